"""Label masks to measure metrics on, at the scale of real test sets, with NumPy and SciPy
alone: regions with wavy boundaries (each pixel takes the class of the nearest of a few
seeds, after a smooth warp of the coordinates), and predictions whose warp differs a little,
so their edges wander a few pixels from the truth's as a trained model's do.

`CASES` are the sizes `benchmarks/metrics/bench_metrics.py` measures: the tutorial's pets, 512 x 512
images, Cityscapes (1024 x 2048, 19 classes) and CT-like volumes with anisotropic voxels.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Case:
    """A test set's shape: `count` masks of `shape` with `classes` classes."""

    name: str
    count: int
    shape: tuple[int, ...]
    classes: int
    spacing: tuple[float, ...] | None = None
    seeds_per_class: int = 3


CASES = (
    Case("pets-128", 256, (128, 128), 3),
    Case("512", 64, (512, 512), 5),
    Case("cityscapes-1024x2048", 8, (1024, 2048), 19, seeds_per_class=4),
    Case("ct-128^3", 16, (128, 128, 128), 4, spacing=(2.5, 0.8, 0.8)),
)
#: A CT volume's size with many organs (a whole-body atlas's 41 classes): where surface
#: distances cost most, measured against MONAI alone.
CT_ORGANS = Case("ct-160x256x256-41", 1, (160, 256, 256), 41, spacing=(1.5, 0.8, 0.8))


def smoke(case: Case) -> Case:
    """`case` small: what CI runs to see a benchmark still works."""
    return dataclasses.replace(case, count=2, shape=tuple(max(16, n // 16) for n in case.shape))


#: The same cases, small.
SMOKE = tuple(smoke(c) for c in CASES)


def _warp(grid: np.ndarray, rng: np.random.Generator, amplitude: float, waves: int) -> np.ndarray:
    """The coordinates (ndim, *shape) moved by a sum of random sine waves along each axis."""
    ndim = grid.shape[0]
    span = np.array(grid.shape[1:], np.float64).reshape((ndim,) + (1,) * ndim)
    moved = grid.astype(np.float32)
    for axis in range(ndim):
        for _ in range(waves):
            frequency = rng.uniform(1, 4, ndim).reshape((ndim,) + (1,) * ndim) * 2 * np.pi / span
            phase = rng.uniform(0, 2 * np.pi)
            moved[axis] += np.float32(amplitude * span[axis].item() / waves) * np.sin(
                (frequency * grid).sum(0) + phase
            ).astype(np.float32)
    return moved


def _labels(points: np.ndarray, seeds: np.ndarray, classes: np.ndarray) -> np.ndarray:
    from scipy.spatial import cKDTree

    flat = points.reshape(points.shape[0], -1).T
    return classes[cKDTree(seeds).query(flat, k=1)[1]].reshape(points.shape[1:])


def case_masks(case: Case, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(truth, prediction), each (count, *shape) uint8: a test set of `case`'s shape."""
    rng = np.random.default_rng(seed)
    grid = np.indices(case.shape, dtype=np.int32)
    truths, preds = [], []
    for _ in range(case.count):
        seeds = rng.uniform(0, 1, (case.classes * case.seeds_per_class, len(case.shape))) * np.array(case.shape)
        classes = np.repeat(np.arange(case.classes), case.seeds_per_class).astype(np.uint8)
        warped = _warp(grid, rng, amplitude=0.08, waves=3)
        truths.append(_labels(warped, seeds, classes))
        # The prediction: the same regions under an extra warp of about 0.5% of the side.
        wander = _warp(grid, rng, amplitude=0.005, waves=2) - grid
        preds.append(_labels(warped + wander, seeds, classes))
    return np.stack(truths), np.stack(preds)
