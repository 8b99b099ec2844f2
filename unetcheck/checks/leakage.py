"""Train/test leakage: the same photo, or a near copy of it (resized, recompressed, a little
brighter), in both splits makes test figures measure memory, not generalization.

Exact copies are found by their pixels' SHA-256; near copies by a perceptual hash: the
image in grey, averaged down to 32x32, its 2-D DCT, and one bit per coefficient of the 8x8
lowest frequencies, set where the coefficient exceeds their median (the pHash of Zauner,
"Implementation and Benchmarking of Perceptual Image Hash Functions", 2010, as the
ImageHash package computes it, but with an exact area average for the shrinking). Two
images are near copies when their 64-bit hashes differ in at most `max_distance` bits.
A test image's left-right mirror is hashed too: a flipped copy is a copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from unetcheck._core import array_digest, check, element_part, to_numpy

#: Keys an image goes by in dict batches or examples, tried in this order.
#: Hash bits two images may differ in and still be near copies. Measured on synthetic pets
#: (docs/leakage.md): copies resized by 0.5 or 1.5, JPEG-recompressed at quality 70 or
#: cropped by 2% a side stayed within 8 bits; brightened copies whose highlights clip can
#: stray further (10% brighter: 99 in 100 within 5 bits, the worst 16). Of 19,900 pairs of
#: distinct pets none came closer than 12 bits (median 32).
MAX_DISTANCE = 8
_SIDE, _LOW = 32, 8
_CHUNK = 1024


def _area_matrix(source: int, target: int) -> np.ndarray:
    """(target, source) weights averaging each target cell's share of the source axis."""
    edges = np.linspace(0, source, target + 1)
    starts, stops = np.arange(source), np.arange(1, source + 1)
    overlap = np.clip(
        np.minimum(stops[None, :], edges[1:, None]) - np.maximum(starts[None, :], edges[:-1, None]), 0, None
    )
    return overlap / overlap.sum(1, keepdims=True)


def _dct_matrix(n: int) -> np.ndarray:
    """The orthonormal DCT-II matrix."""
    k, i = np.arange(n)[:, None], np.arange(n)[None, :]
    matrix = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2 / n)
    matrix[0] /= np.sqrt(2)
    return matrix


_DCT = _dct_matrix(_SIDE)


def perceptual_hash(image: Any, channels_first: bool = False) -> int:
    """The 64-bit pHash of one (H, W, C) or (H, W) image of any framework and value range.

    Examples:
        >>> from unetcheck.pets.synthetic import synthetic_example
        >>> photo = synthetic_example(0, 96, 128)["image"]
        >>> half = photo.reshape(48, 2, 64, 2, 3).mean((1, 3))  # half the size
        >>> bin(perceptual_hash(photo) ^ perceptual_hash(half)).count("1")  # bits apart
        0
        >>> bin(perceptual_hash(photo) ^ perceptual_hash(photo[:, ::-1])).count("1")  # its mirror
        30
    """
    arr = to_numpy(image, channels_first and np.ndim(image) == 3).astype(np.float64)
    if arr.ndim == 3:
        if arr.shape[-1] >= 3:
            arr = arr[..., 0] * 0.299 + arr[..., 1] * 0.587 + arr[..., 2] * 0.114
        else:
            arr = arr.mean(-1)
    if arr.ndim != 2 or min(arr.shape) < 1:
        raise ValueError(f"an image must be (H, W, C) or (H, W); got shape {np.shape(image)}")
    small = _area_matrix(arr.shape[0], _SIDE) @ arr @ _area_matrix(arr.shape[1], _SIDE).T
    low = (_DCT @ small @ _DCT.T)[:_LOW, :_LOW].ravel()
    bits = low > np.median(low)
    return int(np.packbits(bits).view(">u8")[0])


def _digest(image: Any, channels_first: bool) -> str:
    return array_digest(to_numpy(image, channels_first))


def _single_images(data: Any, channels_first: bool) -> Iterator[Any]:
    """One image at a time from an array (N, H, W[, C]), a sequence of images, or an iterable
    of batches: (images, masks, ...) tuples, dicts with an image key, TFDS-style examples."""
    if hasattr(data, "shape") and not isinstance(data, Mapping):
        yield from to_numpy(data)
        return
    for element in data:
        arr = to_numpy(element_part(element, "image"))
        batched = arr.ndim == 4 or (arr.ndim == 3 and not channels_first and arr.shape[-1] not in (1, 3, 4))
        yield from (arr if batched else [arr])


@dataclasses.dataclass(frozen=True)
class Leak:
    """A test image that is a copy of a training image."""

    train_index: int
    test_index: int
    distance: int  # hash bits that differ
    exact: bool  # the same pixels
    mirrored: bool = False  # the test image is the training image flipped left-right

    def describe(self, train_names: Sequence[str] | None = None, test_names: Sequence[str] | None = None) -> str:
        train = train_names[self.train_index] if train_names else f"train[{self.train_index}]"
        test = test_names[self.test_index] if test_names else f"test[{self.test_index}]"
        how = "exact copy" if self.exact else f"{self.distance} bits apart"
        return f"{train} ~ {test} ({how}{', mirrored' if self.mirrored else ''})"


def _hashes(data: Any, channels_first: bool, mirrors: bool = False) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Each image's pHash and pixel digest, and (with `mirrors`) its mirror's pHash."""
    hashes, digests, mirrored = [], [], []
    for image in _single_images(data, channels_first):
        arr = to_numpy(image)
        hashes.append(perceptual_hash(arr, channels_first))
        digests.append(_digest(arr, channels_first))
        if mirrors:
            width_axis = -1 if channels_first or arr.ndim == 2 else -2
            mirrored.append(perceptual_hash(np.flip(arr, width_axis), channels_first))
    return np.array(hashes, dtype=np.uint64), digests, np.array(mirrored, dtype=np.uint64)


def _bit_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) Hamming distances of 64-bit hashes."""
    xor = np.bitwise_xor(a[:, None], b[None, :])
    return np.unpackbits(xor.view(np.uint8).reshape(*xor.shape, 8), axis=-1).sum(-1)


def find_leaks(train: Any, test: Any, max_distance: int = MAX_DISTANCE, channels_first: bool = False) -> list[Leak]:
    """Every (training image, test image) pair that is an exact or near copy, by test image.

    Examples:
        >>> import numpy as np
        >>> photos = np.random.default_rng(0).uniform(0, 255, (3, 32, 32, 3))
        >>> find_leaks(photos[:2], [photos[2], photos[0]])
        [Leak(train_index=0, test_index=1, distance=0, exact=True, mirrored=False)]

    Args:
      train: training images, as `assert_no_leakage` takes them.
      test: test images, likewise.
      max_distance: hash bits a near copy may differ in (0 to 64).
    """
    if not 0 <= max_distance <= 64:
        raise ValueError(f"max_distance must lie in [0, 64] bits; got {max_distance}")
    train_hashes, train_digests, _ = _hashes(train, channels_first)
    test_hashes, test_digests, test_mirrors = _hashes(test, channels_first, mirrors=True)
    if not len(train_hashes) or not len(test_hashes):
        raise ValueError(f"nothing to compare: {len(train_hashes)} training and {len(test_hashes)} test images")
    leaks = []
    for start in range(0, len(test_hashes), _CHUNK):
        direct = _bit_distances(test_hashes[start : start + _CHUNK], train_hashes)
        mirrored = _bit_distances(test_mirrors[start : start + _CHUNK], train_hashes)
        distances = np.minimum(direct, mirrored)
        for t, i in zip(*np.nonzero(distances <= max_distance)):
            test_index = start + int(t)
            exact = train_digests[i] == test_digests[test_index]
            leaks.append(Leak(int(i), test_index, int(distances[t, i]), exact, bool(mirrored[t, i] < direct[t, i])))
    return sorted(leaks, key=lambda leak: (leak.test_index, leak.distance, leak.train_index))


@check
def assert_no_leakage(
    train: Any,
    test: Any,
    max_distance: int = MAX_DISTANCE,
    train_names: Sequence[str] | None = None,
    test_names: Sequence[str] | None = None,
    channels_first: bool = False,
) -> None:
    """Checks that no test image is an exact or near copy of a training image.

    Examples:
        >>> import numpy as np
        >>> photos = np.random.default_rng(0).uniform(0, 255, (3, 32, 32, 3))
        >>> assert_no_leakage(photos[:2], photos[2:])
        >>> assert_no_leakage(photos[:2], photos[1:2, :, ::-1])  # a mirrored copy of the second
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_no_leakage] 1 test image(s) have a copy in training (0 exact, 1 near, ...

    Args:
      train: the training split's images, any framework: an array (N, H, W[, C]), a
        sequence of images (of any sizes), or an iterable of batches (a `tf.data.Dataset`,
        a PyTorch `DataLoader`: the images are the first element of a tuple, or the
        "image", "images" or "pixel_values" of a dict; TFDS-style examples too).
      test: the test split's images, likewise.
      max_distance: perceptual-hash bits a near copy may differ in (see `MAX_DISTANCE`).
      train_names: names for the message (file names), in the training images' order.
      test_names: likewise, of the test images.
      channels_first: the images are (C, H, W).

    Raises:
      AssertionError: the number of test images with a copy in training, and the pairs.
      ValueError: an empty split, or elements with no image in them.
    """
    leaks = find_leaks(train, test, max_distance, channels_first)
    if leaks:
        exact = sum(leak.exact for leak in leaks)
        leaked = len({leak.test_index for leak in leaks})
        raise AssertionError(
            f"{leaked} test image(s) have a copy in training ({exact} exact, {len(leaks) - exact} near, within "
            f"{max_distance} of 64 perceptual-hash bits): "
            + "; ".join(leak.describe(train_names, test_names) for leak in leaks[:10])
            + (f"; and {len(leaks) - 10} more pairs" if len(leaks) > 10 else "")
        )
