"""Oxford-IIIT Pet sources: the folder layout (fixtures/) and TFDS (offline, mocked)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from tests.paths import FIXTURES
from unetcheck import load_image
from unetcheck.pets.synthetic import synthetic_example
from unetcheck.reference.oxford import oxford_folder, oxford_tfds

TINY = FIXTURES / "oxford_tiny"
BROKEN = FIXTURES / "oxford_broken"


def test_folder_loads_splits_from_list_files_and_decodes_oddities_to_rgb():
    source = oxford_folder(TINY)
    assert source.num_examples == {"train": 8, "test": 4} and source.skipped == []
    names = [ex["file_name"].numpy().decode() for ex in source.split("train")]
    assert names[0] == "Abyssinian_100" and len(names) == 8  # the list file's order
    for ex in source.split("train"):
        # PNG-as-.jpg, RGBA, grayscale and CMYK JPEGs all arrive as RGB uint8.
        assert ex["image"].shape[-1] == 3 and ex["image"].dtype == tf.uint8
        assert ex["image"].shape[:2] == ex["segmentation_mask"].shape[:2]
        image, mask = load_image(ex, size=32)  # the same path as every source
        assert set(np.unique(mask.numpy())) <= {0, 1, 2}


def test_folder_decodes_the_pixels_right():
    # Abyssinian_100 was written as a lossless PNG (named .jpg) from synthetic_example(0, ...).
    ex = next(iter(oxford_folder(TINY).split("train")))
    expected = synthetic_example(0, 60, 110)
    np.testing.assert_array_equal(ex["image"].numpy(), expected["image"])
    np.testing.assert_array_equal(ex["segmentation_mask"].numpy(), expected["segmentation_mask"])


def test_bad_examples_fail_by_default_naming_each_file():
    with pytest.raises(ValueError) as info:
        oxford_folder(BROKEN)
    message = str(info.value)
    assert message.startswith("6 bad example(s)")
    for expected in (
        "train/Bengal_302: image Bengal_302.jpg cannot be decoded",
        "train/boxer_303: trimap annotations/trimaps/boxer_303.png is missing",
        "train/Abyssinian_304: trimap is 40x40 but its image is 64x80",
        "train/beagle_305: trimap values [0, 4,",
        "test/beagle_401: image images/beagle_401.jpg is missing",
        "test/Bengal_402: image Bengal_402.jpg cannot be decoded: Unknown image file format",
        "skip_bad=True",
    ):
        assert expected in message


def test_skip_bad_leaves_them_out_and_lists_them():
    source = oxford_folder(BROKEN, skip_bad=True)
    assert source.num_examples == {"train": 2, "test": 1}
    assert sorted(b["name"] for b in source.skipped) == sorted(
        ["Bengal_302", "boxer_303", "Abyssinian_304", "beagle_305", "beagle_401", "Bengal_402"]
    )
    assert [ex["file_name"].numpy().decode() for ex in source.split("train")] == ["Abyssinian_300", "beagle_301"]


def test_layout_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        oxford_folder(tmp_path / "absent")
    with pytest.raises(ValueError, match=r"not an Oxford-IIIT Pet folder: missing \['images'"):
        oxford_folder(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(TINY, copy)
    (copy / "annotations" / "test.txt").write_text("#Image CLASS-ID SPECIES BREED ID\n")
    with pytest.raises(ValueError, match="split 'test' is empty"):
        oxford_folder(copy)
    (copy / "annotations" / "test.txt").write_text("ghost_1 1 1 1\n")
    with pytest.raises(ValueError, match="split 'test' has no usable example"):
        oxford_folder(copy, skip_bad=True)


def _mock_as_dataset(valid: bool, bad_train: tuple[int, ...] = ()):
    def as_dataset(self, split, *args, **kwargs):
        train = str(split).startswith("train")
        examples = []
        for i in range(5 if train else 3):
            ex = synthetic_example((train, i), 40, 50)
            ok = valid and not (train and i in bad_train)
            mask = ex["segmentation_mask"] if ok else np.full((40, 50, 1), 200, np.uint8)
            examples.append({"image": ex["image"], "segmentation_mask": mask, "file_name": f"{split}_{i}"})
        return tf.data.Dataset.from_generator(
            lambda: iter(examples),
            output_signature={
                "image": tf.TensorSpec((None, None, 3), tf.uint8),
                "segmentation_mask": tf.TensorSpec((None, None, 1), tf.uint8),
                "file_name": tf.TensorSpec((), tf.string),
            },
        )

    return as_dataset


def test_tfds_with_valid_trimaps_loads_offline():
    with tfds.testing.mock_data(as_dataset_fn=_mock_as_dataset(valid=True)):
        source = oxford_tfds()
    assert source.num_examples == {"train": 5, "test": 3}
    image, mask = load_image(next(iter(source.split("train"))), size=32)
    assert image.shape == (32, 32, 3) and set(np.unique(mask.numpy())) <= {0, 1, 2}


def test_tfds_default_mock_masks_are_rejected_clearly():
    # TFDS's own mock masks are random 0..255 with a shape unrelated to the image.
    with tfds.testing.mock_data(num_examples=2):
        with pytest.raises(ValueError, match=r"no usable example: train/.*: trimap is"):
            oxford_tfds()


def test_tfds_bad_labels_name_the_example():
    with tfds.testing.mock_data(as_dataset_fn=_mock_as_dataset(valid=False)):
        with pytest.raises(ValueError, match=r"train/train_0: trimap values \[200\] outside 1\.\.3"):
            oxford_tfds()


def test_tfds_skip_bad_filters_them_out():
    with tfds.testing.mock_data(as_dataset_fn=_mock_as_dataset(valid=True, bad_train=(1, 3))):
        source = oxford_tfds(skip_bad=True)
        names = [ex["file_name"].numpy().decode() for ex in source.split("train")]
    assert source.num_examples["train"] == 3 and names == ["train_0", "train_2", "train_4"]
    assert [b["name"] for b in source.skipped] == ["train_1", "train_3"]


def test_tfds_tutorial_version_and_missing_data_dir(tmp_path):
    with pytest.raises(ValueError, match=r"3\.\*\.\* no longer resolves.*only version 4\.0\.0"):
        oxford_tfds(version="3.*.*")
    with pytest.raises(ValueError, match="not prepared in .*never downloads.*tfds build oxford_iiit_pet"):
        oxford_tfds(data_dir=tmp_path)
