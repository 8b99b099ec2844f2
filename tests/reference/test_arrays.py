"""The in-memory input path (NumPy alone) gives what load_image gives."""

from __future__ import annotations

import numpy as np
import pytest

from unetcheck import load_image, synthetic_example, synthetic_pets
from unetcheck.reference.arrays import load_arrays, synthetic_arrays


def test_synthetic_arrays_equal_the_tf_data_path():
    images, masks = synthetic_arrays(4, size=32, seed=2, split="test")
    reference = [load_image(ex, size=32) for ex in synthetic_pets(num_train=1, num_test=4, seed=2).split("test")]
    np.testing.assert_allclose(images, np.stack([r[0].numpy() for r in reference]), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(masks, np.stack([r[1].numpy() for r in reference]))
    assert images.dtype == np.float32 and masks.dtype == np.uint8


def test_bad_input_names_the_example():
    good = synthetic_example(0, 20, 30)
    bad = dict(good, segmentation_mask=good["segmentation_mask"] * 0)
    with pytest.raises(ValueError, match=r"example 1: mask values must be trimap labels in 1\.\.3 .*got min 0"):
        load_arrays([good, bad], size=16)
    with pytest.raises(ValueError, match=r"example 0: trimap is 10x30 but its image is 20x30"):
        load_arrays([dict(good, segmentation_mask=good["segmentation_mask"][:10])], size=16)
    with pytest.raises(ValueError, match="no examples"):
        load_arrays([], size=16)
    with pytest.raises(ValueError, match="split must be one of"):
        synthetic_arrays(1, split="validation")
