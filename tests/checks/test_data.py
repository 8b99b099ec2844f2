"""Data checks on any pipeline: label range, paired flips (any library), same preprocessing."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

from unetcheck import Augment, load_image
from unetcheck.checks import assert_labels_in_range, assert_paired_flip, assert_same_preprocessing


def _unpaired_flip(images, masks):
    """The failure Augment prevents: independent decisions for images and masks."""
    fa = np.random.default_rng(1).uniform(size=len(images)) < 0.5
    fb = np.random.default_rng(2).uniform(size=len(masks)) < 0.5
    images = np.where(fa[:, None, None, None], images[:, :, ::-1], images)
    masks = np.where(fb[:, None, None, None], masks[:, :, ::-1], masks)
    return images, masks


def _paired_with_jitter(images, masks):
    """Paired flips, then a colour change of the images alone: brightness, contrast, gamma."""
    flip = np.random.default_rng(3).uniform(size=len(images)) < 0.5
    images = np.where(flip[:, None, None, None], images[:, :, ::-1], images)
    masks = np.where(flip[:, None, None, None], masks[:, :, ::-1], masks)
    return np.clip(0.9 * (images**1.3) + 0.05, 0, 1), masks


def test_paired_flip_on_batch_callables():
    assert_paired_flip(Augment(seed=3))
    assert_paired_flip(_paired_with_jitter)  # a colour change is not a mismatch
    with pytest.raises(
        AssertionError,
        match=r"of 64 examples .* flipped differently from their masks "
        r"\(left-right\): examples \[",
    ):
        assert_paired_flip(_unpaired_flip)
    with pytest.raises(AssertionError, match="left unflipped: the flip is not random"):
        assert_paired_flip(lambda images, masks: (images, masks))
    with pytest.raises(AssertionError, match=r"flipped differently .*\(up-down\)"):
        assert_paired_flip(lambda images, masks: (images, masks[:, ::-1]))
    with pytest.raises(AssertionError, match="images came back .* but masks"):
        assert_paired_flip(lambda images, masks: (images[:, 1:], masks))


def test_paired_flip_on_library_augmentations():
    import albumentations as A  # 0.4 s to import: not at collection

    # albumentations, per example, keyword call; with a colour jitter and a crop on both.
    assert_paired_flip(
        A.Compose([A.HorizontalFlip(p=0.5), A.ColorJitter(p=1.0), A.RandomCrop(12, 20)]),
        call="kwargs",
        per_example=True,
    )
    image_only = A.HorizontalFlip(p=0.5)
    with pytest.raises(AssertionError, match="flipped differently"):
        assert_paired_flip(
            lambda image, mask: {"image": image_only(image=image)["image"], "mask": mask},
            call="kwargs",
            per_example=True,
        )
    # Keras 3's own paired augmentation: a dict of images and segmentation masks.
    flip = keras.layers.RandomFlip("horizontal", seed=1)
    assert_paired_flip(lambda batch: flip(batch, training=True), call="dict")

    # Channels first, torch tensors in and out (as torchvision's transforms take them).
    def torch_flip(images, masks):
        flip = torch.rand(len(images), generator=torch.Generator().manual_seed(0)) < 0.5
        images, masks = torch.from_numpy(images), torch.from_numpy(masks)
        return (
            torch.where(flip[:, None, None, None], images.flip(-1), images),
            torch.where(flip[:, None, None, None], masks.flip(-1), masks),
        )

    assert_paired_flip(torch_flip, channels_first=True)
    with pytest.raises(ValueError, match="call must be one of"):
        assert_paired_flip(torch_flip, call="positional")


def test_labels_in_range_allows_the_void_label_when_named():
    masks = np.zeros((2, 4, 4), np.uint8)
    masks[0, 0, :2] = 255  # Pascal VOC's and SegFormer's void label
    assert_labels_in_range(masks, 3, ignore_index=255)
    with pytest.raises(AssertionError, match=r"2 of 32 mask pixels .* outside \[0, 3\): values \[255\]"):
        assert_labels_in_range(masks, 3)
    masks[1, 1, 1] = 7
    with pytest.raises(
        AssertionError,
        match=r"1 of 32 mask pixels .* outside \[0, 3\) \(nor ignore_index 255\): "
        r"values \[7\]",
    ):
        assert_labels_in_range(masks, 3, ignore_index=255)


def test_labels_in_range_on_arrays_and_any_batches():
    good = np.zeros((2, 4, 4, 1), np.uint8)
    assert_labels_in_range(good, 3)
    bad = good.copy()
    bad[1, 2, 3, 0] = 3  # trimap label left unshifted
    with pytest.raises(
        AssertionError,
        match=r"1 of 32 mask pixels \(3\.12%\).*values \[3\].*index \(1, 2, 3, 0\)"
        r".*must be shifted to 0\.\.2",
    ):
        assert_labels_in_range(bad, 3)
    ds = tf.data.Dataset.from_tensor_slices((np.zeros((2, 4, 4, 3)), bad)).batch(1)
    with pytest.raises(AssertionError, match=r"first at batch 1"):
        assert_labels_in_range(ds, 3)
    with pytest.raises(AssertionError, match="bilinear"):
        assert_labels_in_range(good.astype(np.float32), 3)
    with pytest.raises(ValueError, match="repeats forever: pass max_batches"):
        assert_labels_in_range(ds.repeat(), 3)
    # A filtered dataset's length is unknown, not infinite: it is iterated.
    assert_labels_in_range(ds.filter(lambda image, mask: tf.reduce_max(mask) < 3), 3)
    # A torch DataLoader yields [images, masks] lists of tensors; channels first is fine.
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.zeros(2, 3, 4, 4), torch.from_numpy(bad[..., 0]).long()), batch_size=1
    )
    with pytest.raises(AssertionError, match=r"first at batch 1, index \(0, 2, 3\)"):
        assert_labels_in_range(loader, 3)
    dicts = [{"pixel_values": np.zeros((1, 4, 4, 3)), "target": bad[:1]}, {"pixel_values": None, "target": bad[1:]}]
    with pytest.raises(AssertionError, match="first at batch 1"):
        assert_labels_in_range(dicts, 3, mask_key="target")
    with pytest.raises(
        ValueError,
        match=r"no mask in an element with keys \['pixel_values', 'target'\]; keys tried: \['segmentation_mask'"
        r".*name it with mask_key=",
    ):
        assert_labels_in_range(dicts, 3)
    assert_labels_in_range([{"segmentation_mask": good}], 3)


def _tutorial_bilinear(datapoint):
    image = tf.image.resize(datapoint["image"], (32, 32)) / 255.0
    mask = tf.image.resize(datapoint["segmentation_mask"], (32, 32)) - 1  # the tutorial's old step
    return image, mask


def _bilinear_then_cast(datapoint):
    image, mask = _tutorial_bilinear(datapoint)
    return image, tf.cast(tf.round(mask), tf.uint8)


def _labels_unshifted(datapoint):
    image, mask = load_image(datapoint, size=32)
    return image, mask + 1


def _torch_style(datapoint):
    """A PyTorch pipeline: non-square output, CHW float image, (H, W) long mask."""
    image, mask = load_image(datapoint, size=(24, 40))
    return torch.from_numpy(image.numpy()).permute(2, 0, 1), torch.from_numpy(mask.numpy()[..., 0]).long()


def test_same_preprocessing():
    assert_same_preprocessing(lambda d: load_image(d, size=32))
    assert_same_preprocessing(_torch_style, channels_first=True)
    with pytest.raises(
        AssertionError,
        match=r"^\[unetcheck.assert_same_preprocessing\] example 0 \(37x53 -> 32x32\)"
        r".*float32.*method='nearest'",
    ):
        assert_same_preprocessing(_tutorial_bilinear)
    with pytest.raises(AssertionError, match=r"only along label edges.*nearest-neighbour"):
        assert_same_preprocessing(_bilinear_then_cast)
    with pytest.raises(AssertionError, match=r"one too high.*1\.\.3 were not shifted"):
        assert_same_preprocessing(_labels_unshifted)
    with pytest.raises(AssertionError, match=r"images differ by up to 0\.7.*value ranges \[0, 1\.49\]"):
        assert_same_preprocessing(lambda d: (load_image(d, size=32)[0] * 2, load_image(d, size=32)[1]))
    with pytest.raises(AssertionError, match="mine: example 0"):
        assert_same_preprocessing(_tutorial_bilinear, custom_message="mine")
    with pytest.raises(ValueError, match="reference must be one of"):
        assert_same_preprocessing(_tutorial_bilinear, reference="cityscapes")


def _torch_nearest(size):
    """PyTorch's "nearest" (no half-pixel centres) on the mask: edges move by up to one source pixel."""

    def preprocess(datapoint):
        image, _ = load_image(datapoint, size=size)
        mask = torch.from_numpy(np.asarray(datapoint["segmentation_mask"])).permute(2, 0, 1)[None].float()
        mask = torch.nn.functional.interpolate(mask, size=(size, size), mode="nearest")[0, 0].long() - 1
        return torch.from_numpy(image.numpy()).permute(2, 0, 1), mask

    return preprocess


@pytest.mark.parametrize("size", [32, 64])  # 37x53 shrunk, then grown: one source pixel spans two at 64
def test_same_preprocessing_names_a_nearest_without_half_pixel_centres(size):
    with pytest.raises(AssertionError, match=r"only along label edges.*'nearest' instead of 'nearest-exact'"):
        assert_same_preprocessing(_torch_nearest(size), channels_first=True)


def test_same_preprocessing_against_a_reference_of_your_own():
    # A dataset whose masks are already 0-based: the reference is yours to give.
    def zero_based(datapoint, size):
        return load_image(
            {"image": datapoint["image"], "segmentation_mask": datapoint["segmentation_mask"] + 1}, size=size
        )

    examples = [{"image": np.zeros((8, 8, 3), np.uint8), "segmentation_mask": np.zeros((8, 8, 1), np.uint8)}]
    assert_same_preprocessing(lambda d: zero_based(d, (4, 4)), reference=zero_based, examples=examples)
