"""Train/test leakage: exact and near copies found in any framework's data, distinct photos
left alone, and the hash's parts against independent computations."""

from __future__ import annotations

import io

import numpy as np
import pytest
import tensorflow as tf
import torch
from PIL import Image, ImageEnhance
from scipy import fft

from unetcheck.checks import assert_no_leakage
from unetcheck.checks.leakage import _DCT, _area_matrix, find_leaks, perceptual_hash
from unetcheck.pets.synthetic import synthetic_examples


@pytest.fixture(scope="module")
def photos():
    return [e["image"] for e in synthetic_examples(40, seed=5, min_size=80, max_size=140)]


def _jpeg(image, quality=70):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer))


def _copies(image):
    """The near copies a scraped or re-exported data set holds."""
    pil = Image.fromarray(image)
    h, w = image.shape[:2]
    return {
        "jpeg": _jpeg(image),
        "half size": np.asarray(pil.resize((w // 2, h // 2), Image.BILINEAR)),
        "brighter": np.asarray(ImageEnhance.Brightness(pil).enhance(1.1)),
        "cropped": image[h // 50 : h - h // 50, w // 50 : w - w // 50],
        "mirrored": image[:, ::-1],
    }


def test_distinct_photos_are_no_leak(photos):
    # 20 x 20 distinct synthetic pets: none within the default 8 bits (docs/leakage.md: the
    # closest of 19,900 pairs were 12 bits apart).
    assert find_leaks(photos[:20], photos[20:]) == []
    assert_no_leakage(photos[:20], photos[20:])


def test_each_kind_of_copy_is_found_and_named(photos):
    train = photos[:20]
    for kind, copy in _copies(photos[3]).items():
        leaks = find_leaks(train, [photos[25], copy])
        assert [(leak.train_index, leak.test_index) for leak in leaks] == [(3, 1)], kind
        assert leaks[0].mirrored == (kind == "mirrored") and not leaks[0].exact
    exact = find_leaks(train, [photos[7]])
    assert exact[0].exact and exact[0].distance == 0
    test = [photos[30], photos[7], _jpeg(photos[2])]
    with pytest.raises(
        AssertionError,
        match=r"2 test image\(s\) have a copy in training \(1 exact, 1 near, within 8 "
        r"of 64 perceptual-hash bits\): a7.jpg ~ b1.jpg \(exact copy\); "
        r"a2.jpg ~ b2.jpg \(\d bits apart\)",
    ):
        assert_no_leakage(
            train, test, train_names=[f"a{i}.jpg" for i in range(20)], test_names=[f"b{i}.jpg" for i in range(3)]
        )


def test_any_frameworks_batches_and_layouts(photos):
    same = [p[:64, :64] for p in photos[:8]]  # one size, to batch
    train, test = np.stack(same[:6]), np.stack([same[6], same[2]])
    expected = [(2, 1)]
    as_pairs = lambda leaks: [(leak.train_index, leak.test_index) for leak in leaks]  # noqa: E731
    assert as_pairs(find_leaks(train, test)) == expected
    batches = tf.data.Dataset.from_tensor_slices((train, np.zeros((6, 64, 64, 1)))).batch(4)
    assert as_pairs(find_leaks(batches, [{"image": tf.constant(t)} for t in test])) == expected  # TFDS-style
    loader = torch.utils.data.DataLoader(torch.from_numpy(train).permute(0, 3, 1, 2), batch_size=4)
    as_dicts = [{"pixel_values": torch.from_numpy(test).permute(0, 3, 1, 2)}]
    assert as_pairs(find_leaks(((b,) for b in loader), as_dicts, channels_first=True)) == expected
    with pytest.raises(ValueError, match=r"no image in an element with keys \['mask'\]"):
        find_leaks([{"mask": train[0]}], test)
    with pytest.raises(ValueError, match="nothing to compare: 0 training and 2 test images"):
        find_leaks([], test)
    with pytest.raises(ValueError, match=r"max_distance must lie in \[0, 64\] bits; got 65"):
        find_leaks(train, test, max_distance=65)


def test_the_hash_is_an_area_average_then_the_orthonormal_dct():
    # SciPy's DCT-II (norm="ortho") is an independent computation of the matrix; a block
    # mean is the area average where the size is a multiple of 32.
    np.testing.assert_allclose(_DCT @ np.eye(32), fft.dct(np.eye(32), norm="ortho", axis=0), atol=1e-12)
    grey = np.random.default_rng(0).uniform(size=(64, 96))
    block_means = grey.reshape(32, 2, 32, 3).mean((1, 3))
    np.testing.assert_allclose(_area_matrix(64, 32) @ grey @ _area_matrix(96, 32).T, block_means, atol=1e-12)
    # The value range changes nothing: the bits compare coefficients with their median, and
    # an offset moves only the mean (the DC coefficient), already above it for a photo.
    image = np.random.default_rng(1).uniform(size=(40, 50, 3))
    assert perceptual_hash(image) == perceptual_hash(image * 255 + 3)
    with pytest.raises(ValueError, match=r"an image must be \(H, W, C\) or \(H, W\); got shape \(2, 3, 4, 5\)"):
        perceptual_hash(np.zeros((2, 3, 4, 5)))
