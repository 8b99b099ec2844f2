"""The in-memory input path: `load_image`'s arrays from NumPy alone, for `model.fit` on any backend.

For runners without TensorFlow (a JAX or PyTorch machine): `unetcheck.pets.preprocess`
computes exactly what `tf.image.resize` does. With TensorFlow, `make_pipelines` is the
faster, streaming path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from unetcheck.errors import InputError
from unetcheck.pets.preprocess import oxford_preprocess
from unetcheck.pets.synthetic import synthetic_examples


def load_arrays(
    examples: Iterable[Mapping[str, Any]], size: int | tuple[int, int] = 128
) -> tuple[np.ndarray, np.ndarray]:
    """Stacks TFDS-style examples into `(images, masks)` at `size`, as `load_image` makes them.

    Returns:
      float32 images (N, h, w, 3) in [0, 1]; uint8 masks (N, h, w, 1) in {0, 1, 2}.

    Raises:
      ValueError: an empty input, or an example `oxford_preprocess` refuses, naming its index.
    """
    images, masks = [], []
    for index, example in enumerate(examples):
        try:
            image, mask = oxford_preprocess(example, size)
        except ValueError as err:
            raise InputError(f"example {index}: {err}") from None
        images.append(image)
        masks.append(mask)
    if not images:
        raise InputError("no examples to load")
    return np.stack(images), np.stack(masks)


def synthetic_arrays(
    num_examples: int,
    size: int | tuple[int, int] = 128,
    seed: int = 0,
    split: str = "train",
    min_size: int = 96,
    max_size: int = 160,
) -> tuple[np.ndarray, np.ndarray]:
    """The synthetic pets of `synthetic_pets(seed=seed)`'s `split`, as arrays (no TensorFlow)."""
    return load_arrays(synthetic_examples(num_examples, seed, split, min_size, max_size), size)
