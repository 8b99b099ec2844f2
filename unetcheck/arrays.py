"""The NumPy input path: `load_image`'s preprocessing on in-memory arrays, any Keras backend.

For machines without TensorFlow (a JAX or PyTorch runner): resizing goes through
`keras.ops.image.resize` (bilinear images, nearest-neighbour masks), so the arrays feed
`model.fit` directly. With TensorFlow installed, `make_pipelines` is the faster path.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from unetcheck.sources import SPLITS, synthetic_example


def load_arrays(examples: Iterable[Mapping[str, Any]], size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Stacks TFDS-style examples into `(images, masks)` at `size` x `size`, as `load_image` makes them.

    Returns:
      float32 images (N, size, size, 3) in [0, 1]; uint8 masks (N, size, size, 1) in {0, 1, 2}.

    Raises:
      ValueError: an empty input, wrong shapes, sizes that differ, or labels outside 1..3,
        naming the example.
    """
    from keras import ops

    images, masks = [], []
    for index, example in enumerate(examples):
        image = np.asarray(example["image"])
        mask = np.asarray(example["segmentation_mask"])
        if image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"example {index}: image must be (height, width, 3); got {image.shape}")
        if mask.ndim != 3 or mask.shape[-1] != 1 or mask.shape[:2] != image.shape[:2]:
            raise ValueError(f"example {index}: segmentation_mask must be {image.shape[:2] + (1,)}; got {mask.shape}")
        if mask.min() < 1 or mask.max() > 3:
            raise ValueError(f"example {index}: mask values must be trimap labels in 1..3; got min {mask.min()}, "
                             f"max {mask.max()}")
        resized = ops.image.resize(image.astype(np.float32)[None], (size, size), interpolation="bilinear")
        nearest = ops.image.resize(mask[None], (size, size), interpolation="nearest")
        images.append(ops.convert_to_numpy(resized)[0] / 255.0)
        masks.append(ops.convert_to_numpy(nearest)[0].astype(np.uint8) - 1)
    if not images:
        raise ValueError("no examples to load")
    return np.stack(images).astype(np.float32), np.stack(masks)


def synthetic_arrays(num_examples: int, size: int = 128, seed: int = 0, split: str = "train",
                     min_size: int = 96, max_size: int = 160) -> tuple[np.ndarray, np.ndarray]:
    """The synthetic pets of `synthetic_pets(seed=seed)`'s `split`, as arrays (no TensorFlow)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    split_id = SPLITS.index(split)
    examples = []
    for i in range(num_examples):
        h, w = (int(v) for v in np.random.default_rng((seed, split_id, i, 1)).integers(min_size, max_size + 1, 2))
        examples.append(synthetic_example((seed, split_id, i), h, w))
    return load_arrays(examples, size)
