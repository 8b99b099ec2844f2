"""Data sources: where TFDS-style examples (`image`, `segmentation_mask`) come from.

A `Source` holds one `tf.data.Dataset` of raw examples per split, the same form
`tfds.load("oxford_iiit_pet")` gives, so every source flows through `load_image`.
The embedded default is `synthetic_pets`: Oxford-like images and trimaps drawn from a
seed, since the real data cannot be downloaded everywhere.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Iterator

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf

SPLITS = ("train", "test")


@dataclasses.dataclass(frozen=True)
class Source:
    """A data source: raw examples per split, how many each holds, and what was left out.

    `skipped` lists `{"split", "name", "reason"}` of bad examples left out on request;
    `stats` holds per-split `ExampleStats` where loading already scanned the data.
    """

    name: str
    splits: dict[str, "tf.data.Dataset"]
    num_examples: dict[str, int]
    skipped: list[dict[str, str]] = dataclasses.field(default_factory=list)
    stats: dict[str, list] | None = None

    def split(self, name: str) -> "tf.data.Dataset":
        """Returns the raw dataset of split `name`.

        Raises:
          ValueError: an unknown split name.
        """
        if name not in self.splits:
            raise ValueError(f"source {self.name!r} has no split {name!r}; it has {sorted(self.splits)}")
        return self.splits[name]


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

    A textured, desaturated background with one or two saturated, textured blobs; the
    trimap marks pet (1), background (2) and a border band of a few pixels (3) along
    each blob's edge, as Oxford trimaps do.

    Returns:
      `{"image": uint8 (height, width, 3), "segmentation_mask": uint8 (height, width, 1)}`.
    """
    if height < 8 or width < 8:
        raise ValueError(f"synthetic images need height and width >= 8; got {height}x{width}")
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
    return {
        "image": np.clip(np.rint(image), 0, 255).astype(np.uint8),
        "segmentation_mask": trimap[..., None],
    }


def synthetic_pets(
    num_train: int = 96,
    num_test: int = 32,
    seed: int = 0,
    min_size: int = 96,
    max_size: int = 160,
) -> Source:
    """The embedded default source: Oxford-like pets of random sizes, deterministic in `seed`.

    Each example is drawn from `(seed, split, index)` alone, so a split's examples do not
    depend on how many are asked for.

    Raises:
      ValueError: non-positive counts or a bad size range.
    """
    import tensorflow as tf

    for name, value in (("num_train", num_train), ("num_test", num_test)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}")
    if not 8 <= min_size <= max_size:
        raise ValueError(f"need 8 <= min_size <= max_size; got {min_size}, {max_size}")
    counts = {"train": num_train, "test": num_test}
    signature = {
        "image": tf.TensorSpec((None, None, 3), tf.uint8),
        "segmentation_mask": tf.TensorSpec((None, None, 1), tf.uint8),
        "file_name": tf.TensorSpec((), tf.string),
    }

    def examples(split: str) -> Iterator[dict]:
        split_id = SPLITS.index(split)
        for i in range(counts[split]):
            size_rng = np.random.default_rng((seed, split_id, i, 1))
            h, w = (int(v) for v in size_rng.integers(min_size, max_size + 1, size=2))
            example = synthetic_example((seed, split_id, i), h, w)
            example["file_name"] = f"synthetic_{split}_{i:05d}"
            yield example

    splits = {
        split: tf.data.Dataset.from_generator(lambda s=split: examples(s), output_signature=signature)
        .apply(tf.data.experimental.assert_cardinality(counts[split]))
        for split in SPLITS
    }
    return Source(name="synthetic", splits=splits, num_examples=counts)
