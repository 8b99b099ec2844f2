"""What a data split holds, recorded beside a baseline so that a change in the data is named
even where the model's metrics cannot show it: examples, each class's share of each image's
pixels and the images that contain it, image sizes, and intensities.

A profile keeps its figures per image: a change is judged by a two-sample test over images
(the independent draws; pixels of one image are not) and by its size, so that a resampled
split of the same data passes and a halved split or a thinned-out class does not.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from unetcheck._core import check, element_part, is_array, to_numpy
from unetcheck.errors import InputError
from unetcheck.metrics import strict_json

FORMAT = "unetcheck.data_profile/2"
#: Earlier formats read too: 1 holds no contrast or sharpness.
_FORMATS = ("unetcheck.data_profile/1", FORMAT)
#: A figure differs when a test over images rejects sameness at this level *and* it moved
#: by more than its tolerance below (both: a large data set makes any change significant).
ALPHA = 1e-3
COUNT_RTOL = 0.02  # examples: a relative change in their number
SHARE_TOLERANCE = 0.02  # a class's mean share of an image's pixels
PRESENCE_TOLERANCE = 0.05  # the share of images that contain a class
SIZE_RTOL = 0.1  # the median image's pixel count
INTENSITY_TOLERANCE = 0.25  # the mean intensity, in standard deviations of the baseline's images
#: Contrast (the grey image's standard deviation), sharpness (the log of its Laplacian's
#: variance: noise raises it, blur lowers it) and each channel's mean: in standard deviations
#: of the baseline's images, as the mean intensity.
SPREAD_TOLERANCE = 0.25


@dataclasses.dataclass
class DataProfile:
    """Per-image figures of one split: `shares[i, k]` is class k's share of image i's labelled
    pixels; `heights`, `widths`, `means` (each channel's mean intensity), `contrasts` (the
    grey image's standard deviation) and `sharpness` (the variance of its Laplacian) per
    image; the last two None in a profile of format 1."""

    num_classes: int
    heights: np.ndarray
    widths: np.ndarray
    shares: np.ndarray
    means: np.ndarray
    class_names: tuple[str, ...] | None = None
    ignore_index: int | None = None
    contrasts: np.ndarray | None = None
    sharpness: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.heights)

    def summary(self) -> dict[str, Any]:
        """The split's figures: examples, each class's share of all labelled pixels and of the
        images containing it, image sizes and mean intensity."""
        pixels = (self.heights * self.widths).astype(np.float64)
        weights = pixels / pixels.sum() if len(self) else pixels
        return {
            "examples": len(self),
            "class_pixel_share": dict(zip(self.names, np.round(weights @ self.shares, 6).tolist())),
            "images_with_class": dict(zip(self.names, np.round((self.shares > 0).mean(0), 6).tolist())),
            "median_height": float(np.median(self.heights)) if len(self) else None,
            "median_width": float(np.median(self.widths)) if len(self) else None,
            "mean_intensity": np.round(self.means.mean(0), 6).tolist() if len(self) else None,
            "median_contrast": _median(self.contrasts),
            "median_sharpness": _median(self.sharpness),
        }

    @property
    def names(self) -> tuple[str, ...]:
        return self.class_names or tuple(f"class_{k}" for k in range(self.num_classes))

    def as_dict(self) -> dict[str, Any]:
        per_image = {
            "heights": self.heights.tolist(),
            "widths": self.widths.tolist(),
            "shares": np.round(self.shares, 6).tolist(),
            "means": np.round(self.means, 6).tolist(),
        }
        for name in ("contrasts", "sharpness"):
            values = getattr(self, name)
            if values is not None:
                per_image[name] = values.tolist()
        return {
            "format": FORMAT,
            "num_classes": self.num_classes,
            "class_names": self.class_names,
            "ignore_index": self.ignore_index,
            "summary": self.summary(),
            "per_image": per_image,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DataProfile:
        if data.get("format") not in _FORMATS:
            raise InputError(f"not a data profile (format {FORMAT!r}); got {data.get('format')!r}")
        per = data["per_image"]
        k = int(data["num_classes"])
        extra = {name: np.asarray(per[name], np.float64) for name in ("contrasts", "sharpness") if name in per}
        return cls(
            k,
            np.asarray(per["heights"], np.int64),
            np.asarray(per["widths"], np.int64),
            np.asarray(per["shares"], np.float64).reshape(-1, k),
            np.asarray(per["means"], np.float64),
            tuple(data["class_names"]) if data.get("class_names") else None,
            data.get("ignore_index"),
            **extra,
        )

    def save(self, path: str | os.PathLike) -> str:
        return strict_json.dump(self.as_dict(), path, indent=None)

    @classmethod
    def load(cls, path: str | os.PathLike) -> DataProfile:
        try:
            with open(path) as f:
                return cls.from_dict(json.load(f))
        except (OSError, json.JSONDecodeError) as err:
            raise InputError(f"cannot read a data profile at {os.fspath(path)!r}: {err}") from None


def _median(values: np.ndarray | None) -> float | None:
    return float(np.median(values)) if values is not None and len(values) else None


def texture(image: np.ndarray) -> tuple[float, float]:
    """(contrast, sharpness) of one image (H, W[, C]): the standard deviation of its grey
    values (the channels' mean), and the variance of their 4-neighbour Laplacian over their
    own variance: the share of the image's variation at the finest scale, which noise raises
    and blur lowers, whatever the brightness or contrast."""
    grey = image.astype(np.float64)
    if grey.ndim == 3:
        grey = grey.mean(-1)
    variance = float(grey.var())
    if min(grey.shape) < 3 or variance == 0:
        return float(np.sqrt(variance)), 0.0
    laplacian = (grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:]) - 4 * grey[1:-1, 1:-1]
    return float(np.sqrt(variance)), float(laplacian.var()) / variance


def _pairs(data: Any, channels_first: bool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(image (H, W, C), mask (H, W)) one at a time from (images, masks, ...) tuples or dicts,
    single or batched (a batch: images of rank 4)."""
    for element in data:
        if not isinstance(element, (Mapping, tuple, list)) or (not isinstance(element, Mapping) and len(element) < 2):
            raise ValueError(f"each element must be (image, mask, ...) or a dict; got {type(element).__name__}")
        image, mask = element_part(element, "image"), element_part(element, "mask")
        image, mask = to_numpy(image, channels_first), to_numpy(mask)
        if channels_first and mask.ndim == image.ndim:  # a (N, 1, H, W) mask: its channel axis last too
            mask = np.moveaxis(mask, -3, -1)
        if image.ndim == 4:
            yield from zip(image, mask)
        else:
            yield image, mask


def data_profile(
    data: Any,
    num_classes: int,
    class_names: Sequence[str] | None = None,
    ignore_index: int | None = None,
    classes: Callable[[np.ndarray], np.ndarray] | None = None,
    channels_first: bool = False,
) -> DataProfile:
    """The profile of one split: any iterable of (image, mask) pairs or batches, TFDS-style
    examples or dict batches (`tf.data`, a PyTorch `DataLoader`, a list), read once.

    Examples:
        >>> import numpy as np
        >>> masks = np.zeros((4, 8, 8), int); masks[:2, :4] = 1   # class 1 in two images
        >>> profile = data_profile(zip(np.ones((4, 8, 8, 3)), masks), num_classes=2)
        >>> profile.summary()["class_pixel_share"], profile.summary()["images_with_class"]
        ({'class_0': 0.75, 'class_1': 0.25}, {'class_0': 1.0, 'class_1': 0.5})

    Args:
      num_classes: class ids are 0..num_classes-1 (after `classes`).
      ignore_index: a void label, left out of the class shares.
      classes: turns a mask into class ids (e.g. Oxford trimaps 1..3 into 0..2).
      channels_first: images are (C, H, W) or (N, C, H, W).
    """
    if is_array(data):
        raise ValueError("pass the split as (image, mask) pairs or batches, e.g. zip(images, masks)")
    heights, widths, shares, means, textures = [], [], [], [], []
    for image, mask in _pairs(data, channels_first):
        labels = np.asarray(classes(mask) if classes else mask).reshape(mask.shape[:2]).astype(np.int64)
        keep = labels != ignore_index if ignore_index is not None else np.ones(labels.shape, bool)
        if ((labels[keep] < 0) | (labels[keep] >= num_classes)).any():
            raise ValueError(f"mask labels outside 0..{num_classes - 1}: {np.unique(labels[keep]).tolist()[:10]}")
        counts = np.bincount(labels[keep], minlength=num_classes).astype(np.float64)
        heights.append(labels.shape[0])
        widths.append(labels.shape[1])
        shares.append(counts / max(counts.sum(), 1.0))
        pixels = image.reshape(-1, image.shape[-1] if image.ndim == 3 else 1).astype(np.float64)
        means.append(pixels.mean(0))
        textures.append(texture(image))
    channels = len(means[0]) if means else 0
    contrasts, sharpness = np.asarray(textures, np.float64).reshape(-1, 2).T
    return DataProfile(
        num_classes,
        np.asarray(heights, np.int64),
        np.asarray(widths, np.int64),
        np.asarray(shares, np.float64).reshape(-1, num_classes),
        np.asarray(means, np.float64).reshape(-1, channels),
        tuple(class_names) if class_names else None,
        ignore_index,
        contrasts,
        sharpness,
    )


def _significant(a: np.ndarray, b: np.ndarray) -> tuple[bool, float]:
    """Whether two samples of per-image figures differ (Mann-Whitney over images), and p."""
    from scipy import stats

    if len(a) < 2 or len(b) < 2 or (np.ptp(a) == 0 and np.ptp(b) == 0 and a[0] == b[0]):
        return False, 1.0
    p = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    return p < ALPHA, p


def profile_differences(baseline: DataProfile, candidate: DataProfile) -> list[str]:
    """What differs between two profiles of one split, in words (empty: nothing measurable).

    A count differs by more than `COUNT_RTOL`; any other figure when a test over images
    rejects sameness at `ALPHA` and it moved by more than its tolerance.
    """
    if baseline.num_classes != candidate.num_classes:
        return [f"classes {baseline.num_classes} -> {candidate.num_classes}"]
    found = []
    n0, n1 = len(baseline), len(candidate)
    if abs(n1 - n0) > COUNT_RTOL * max(n0, 1):
        found.append(f"examples {n0} -> {n1} ({(n1 - n0) / max(n0, 1):+.0%})")
    if not n0 or not n1:
        return found
    for k, name in enumerate(baseline.names):
        a, b = baseline.shares[:, k], candidate.shares[:, k]
        differs, p = _significant(a, b)
        if differs and abs(b.mean() - a.mean()) > SHARE_TOLERANCE:
            found.append(f"{name}'s share of an image's pixels {a.mean():.3f} -> {b.mean():.3f} (p={p:.1g})")
        present0, present1 = (a > 0).mean(), (b > 0).mean()
        differs, p = _significant((a > 0).astype(float), (b > 0).astype(float))
        if differs and abs(present1 - present0) > PRESENCE_TOLERANCE:
            found.append(f"images containing {name} {present0:.1%} -> {present1:.1%} (p={p:.1g})")
    sizes0, sizes1 = baseline.heights * baseline.widths, candidate.heights * candidate.widths
    differs, p = _significant(sizes0.astype(float), sizes1.astype(float))
    ratio = float(np.median(sizes1)) / max(float(np.median(sizes0)), 1.0)
    if differs and abs(ratio - 1) > SIZE_RTOL:
        found.append(
            f"median image {int(np.median(baseline.heights))}x{int(np.median(baseline.widths))} -> "
            f"{int(np.median(candidate.heights))}x{int(np.median(candidate.widths))} (p={p:.1g})"
        )
    return found + _intensity_differences(baseline, candidate)


def _moved(a: np.ndarray, b: np.ndarray, tolerance: float) -> tuple[bool, float]:
    """Whether per-image figures moved: significantly over images, and by more than
    `tolerance` standard deviations of the baseline's images."""
    differs, p = _significant(a, b)
    return differs and abs(b.mean() - a.mean()) > tolerance * (float(a.std()) or 1.0), p


def _intensity_differences(baseline: DataProfile, candidate: DataProfile) -> list[str]:
    """The images' intensity, each channel's (where the overall mean did not move), contrast
    and sharpness (where both profiles hold them)."""
    found = []
    if baseline.means.shape[1] != candidate.means.shape[1]:
        return [f"channels {baseline.means.shape[1]} -> {candidate.means.shape[1]}"]
    m0, m1 = baseline.means.mean(1), candidate.means.mean(1)
    moved, p = _moved(m0, m1, INTENSITY_TOLERANCE)
    if moved:
        found.append(f"mean intensity {m0.mean():.4g} -> {m1.mean():.4g} (p={p:.1g})")
    elif baseline.means.shape[1] > 1:  # a colour cast that keeps the mean
        for c in range(baseline.means.shape[1]):
            a, b = baseline.means[:, c], candidate.means[:, c]
            moved, p = _moved(a, b, SPREAD_TOLERANCE)
            if moved:
                found.append(f"channel {c}'s mean intensity {a.mean():.4g} -> {b.mean():.4g} (p={p:.1g})")
    if baseline.contrasts is not None and candidate.contrasts is not None:
        a, b = baseline.contrasts, candidate.contrasts
        moved, p = _moved(a, b, SPREAD_TOLERANCE)
        if moved:
            found.append(f"contrast (intensity std) {np.median(a):.4g} -> {np.median(b):.4g} (p={p:.1g})")
        a, b = np.log(baseline.sharpness + 1e-12), np.log(candidate.sharpness + 1e-12)
        moved, p = _moved(a, b, SPREAD_TOLERANCE)
        if moved:
            what = "noise" if b.mean() > a.mean() else "blur"
            found.append(
                f"sharpness (fine-scale share of the variation: {what}?) "
                f"{np.median(baseline.sharpness):.4g} -> {np.median(candidate.sharpness):.4g} (p={p:.1g})"
            )
    return found


@check
def assert_same_data(baseline: DataProfile, candidate: DataProfile | Iterable[Any], **profile_options: Any) -> None:
    """Checks that a split holds the data its recorded profile describes: as many examples,
    the same class shares and presence, image sizes and intensities (`profile_differences`).

    Examples:
        >>> import numpy as np
        >>> masks = np.zeros((40, 8, 8), int); masks[::2, :4] = 1
        >>> recorded = data_profile(zip(np.ones((40, 8, 8, 3)), masks), num_classes=2)
        >>> assert_same_data(recorded, zip(np.ones((40, 8, 8, 3)), masks), num_classes=2)
        >>> assert_same_data(recorded, zip(np.ones((20, 8, 8, 3)), masks[:20]), num_classes=2)
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_same_data] the data differs from its profile: examples 40 -> 20 (-50%)

    Args:
      baseline: the recorded `DataProfile` (`DataProfile.load`).
      candidate: a `DataProfile`, or the split itself, profiled with `profile_options`
        (`num_classes`, `classes`, ...: see `data_profile`).

    Raises:
      AssertionError: each figure that changed, from what to what.
    """
    if not isinstance(candidate, DataProfile):
        options = {"num_classes": baseline.num_classes, "ignore_index": baseline.ignore_index, **profile_options}
        candidate = data_profile(candidate, **options)
    found = profile_differences(baseline, candidate)
    if found:
        raise AssertionError("the data differs from its profile: " + "; ".join(found))
