"""How far apart the perceptual hashes of `unetcheck.checks.leakage` put copies and distinct
photos: the figures behind `MAX_DISTANCE` (docs/leakage.md).

    .venv/bin/python benchmarks/leakage_hash.py [--photos 200] [--copies 100]

Hashes `--photos` distinct synthetic pets (96 to 160 pixels a side) and prints the bit
distances of every pair; then, for the first `--copies`, the distance from each to its
near copies (PIL's JPEG at quality 70, resized by 0.5 and 1.5, 10% and 20% brighter,
contrast 0.8, cropped by 2% a side, and the mirror, which the check hashes too).
"""

from __future__ import annotations

import argparse
import io
import os
import sys

import numpy as np
from PIL import Image, ImageEnhance

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from unetcheck.checks.leakage import _bit_distances, perceptual_hash  # noqa: E402
from unetcheck.pets.synthetic import synthetic_examples  # noqa: E402


def _jpeg(pil: Image.Image) -> np.ndarray:
    buffer = io.BytesIO()
    pil.save(buffer, "JPEG", quality=70)
    return np.asarray(Image.open(buffer))


def copies(image: np.ndarray) -> dict[str, np.ndarray]:
    pil = Image.fromarray(image)
    h, w = image.shape[:2]
    return {
        "jpeg q70": _jpeg(pil),
        "resize 0.5": np.asarray(pil.resize((w // 2, h // 2), Image.BILINEAR)),
        "resize 1.5": np.asarray(pil.resize((w * 3 // 2, h * 3 // 2), Image.BICUBIC)),
        "brighter 10%": np.asarray(ImageEnhance.Brightness(pil).enhance(1.1)),
        "brighter 20%": np.asarray(ImageEnhance.Brightness(pil).enhance(1.2)),
        "contrast 0.8": np.asarray(ImageEnhance.Contrast(pil).enhance(0.8)),
        "crop 2%": image[h // 50:h - h // 50, w // 50:w - w // 50],
        "mirror (hashed as such)": image,  # the check hashes the mirror of each test image
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--copies", type=int, default=100)
    args = parser.parse_args()
    photos = [e["image"] for e in synthetic_examples(args.photos, seed=0, min_size=96, max_size=160)]
    hashes = np.array([perceptual_hash(p) for p in photos], dtype=np.uint64)
    distances = _bit_distances(hashes, hashes)[~np.eye(len(photos), dtype=bool)]
    pairs = len(distances) // 2
    print(f"{pairs} pairs of distinct photos: min {distances.min()}, 0.1st percentile "
          f"{np.percentile(distances, 0.1):.0f}, 1st {np.percentile(distances, 1):.0f}, median "
          f"{np.median(distances):.0f} bits")
    per_kind: dict[str, list[int]] = {}
    for i, photo in enumerate(photos[:args.copies]):
        for kind, copy in copies(photo).items():
            per_kind.setdefault(kind, []).append(bin(perceptual_hash(copy) ^ int(hashes[i])).count("1"))
    print(f"copies of {args.copies} photos, bits from the original: median / 99th percentile / max")
    for kind, values in per_kind.items():
        print(f"  {kind:<24} {np.median(values):4.0f} {np.percentile(values, 99):6.1f} {max(values):5d}")


if __name__ == "__main__":
    main()
