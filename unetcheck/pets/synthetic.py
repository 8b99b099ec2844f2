"""The embedded synthetic pets: Oxford-like photos and trimaps drawn from a seed, in NumPy.

The real data cannot be downloaded everywhere, so the main job and the tests draw these:
a textured background, one or two textured blobs, and a trimap with pet, background and
a border band of a few pixels along each blob's edge, as Oxford trimaps have.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from unetcheck.errors import InputError
from unetcheck.pets.trimaps import SPLITS


def _pet_shape(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray, radius: float) -> np.ndarray:
    """Signed radial distance (pixels) to an irregular blob's edge: < 0 inside."""
    h, w = yy.shape
    cy = rng.uniform(0.3, 0.7) * h
    cx = rng.uniform(0.3, 0.7) * w
    dy, dx = yy - cy, xx - cx
    rho = np.hypot(dy, dx)
    theta = np.arctan2(dy, dx)
    edge = np.ones_like(theta)
    for k in (2, 3, 4, 5):  # a few lobes: ears, legs, tail
        edge += rng.uniform(0.0, 0.12) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    return rho - radius * edge


def _texture(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray, scale: float) -> np.ndarray:
    """A sum of random plane waves in [-1, 1]: fur, carpet, grass."""
    out = np.zeros_like(yy)
    for _ in range(3):
        freq = rng.uniform(0.5, 1.5) / scale
        angle = rng.uniform(0, np.pi)
        out += np.sin(freq * (np.cos(angle) * xx + np.sin(angle) * yy) + rng.uniform(0, 2 * np.pi))
    return out / 3.0


def _hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    i = int(h * 6.0) % 6
    f = h * 6.0 - int(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return np.array([(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i])


def synthetic_example(seed: int | tuple[int, ...], height: int, width: int) -> dict[str, np.ndarray]:
    """One synthetic pet photo and its Oxford-style trimap, fully determined by `seed`.

    Returns:
      `{"image": uint8 (height, width, 3), "segmentation_mask": uint8 (height, width, 1)}`,
      the trimap holding 1 (pet), 2 (background) and 3 (border band).

    Raises:
      ValueError: a side under 8 pixels.
    """
    if height < 8 or width < 8:
        raise InputError(f"synthetic images need height and width >= 8; got {height}x{width}")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    side = min(height, width)

    bg_colour = _hsv_to_rgb(rng.uniform(), rng.uniform(0.0, 0.25), rng.uniform(0.35, 0.8))
    image = bg_colour * 255.0 + 35.0 * _texture(rng, yy, xx, side / 12)[..., None]
    trimap = np.full((height, width), 2, np.uint8)

    n_pets = 1 if rng.uniform() < 0.75 else 2
    for _ in range(n_pets):
        radius = rng.uniform(0.18, 0.3) * side / np.sqrt(n_pets)
        dist = _pet_shape(rng, yy, xx, radius)
        half_band = rng.uniform(1.0, 2.5) * side / 128  # Oxford bands: a few pixels at ~400 px
        colour = _hsv_to_rgb(rng.uniform(), rng.uniform(0.6, 1.0), rng.uniform(0.5, 1.0)) * 255.0
        fur = colour + 30.0 * _texture(rng, yy, xx, side / 40)[..., None]
        # Soft edge over the band: the photo's boundary is blurred, the trimap's is marked.
        alpha = np.clip(0.5 - dist / (2 * half_band + 1e-6), 0.0, 1.0)[..., None]
        image = alpha * fur + (1 - alpha) * image
        trimap[np.abs(dist) <= half_band] = 3
        trimap[dist < -half_band] = 1

    image = image + rng.normal(0.0, 6.0, image.shape)
    return {"image": np.clip(np.rint(image), 0, 255).astype(np.uint8), "segmentation_mask": trimap[..., None]}


def check_counts_and_sizes(num_examples: dict[str, int], min_size: int, max_size: int) -> None:
    """Raises ValueError for a non-positive count or a size range outside 8 <= min <= max."""
    for name, value in num_examples.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InputError(f"{name} must be a positive int; got {value!r}")
    if not 8 <= min_size <= max_size:
        raise InputError(f"need 8 <= min_size <= max_size; got {min_size}, {max_size}")


def synthetic_examples(
    num_examples: int, seed: int = 0, split: str = "train", min_size: int = 96, max_size: int = 160
) -> Iterator[dict]:
    """The examples of one split of the synthetic pets, each with its `file_name`.

    Example i of a split is drawn from `(seed, split, i)` alone, its height and width
    uniformly in [min_size, max_size]: a split's first examples do not depend on how
    many are asked for.

    Raises:
      ValueError: an unknown split, a negative count or a bad size range.
    """
    if split not in SPLITS:
        raise InputError(f"split must be one of {SPLITS}; got {split!r}")
    check_counts_and_sizes({"num_examples": max(num_examples, 1)}, min_size, max_size)
    return _draw(num_examples, seed, SPLITS.index(split), split, min_size, max_size)


def _draw(num_examples: int, seed: int, split_id: int, split: str, min_size: int, max_size: int) -> Iterator[dict]:
    for i in range(num_examples):
        h, w = (int(v) for v in np.random.default_rng((seed, split_id, i, 1)).integers(min_size, max_size + 1, 2))
        example = synthetic_example((seed, split_id, i), h, w)
        example["file_name"] = f"synthetic_{split}_{i:05d}"
        yield example
