"""Label masks on disk: finding them in two folders, matching them by name, reading them.

PNG (8- or 16-bit grey, or palette indices as Pascal VOC stores them; Pillow), NumPy `.npy`,
and NIfTI volumes (`.nii`, `.nii.gz`; nibabel, whose header gives the voxel spacing). A mask
is matched by its path inside its folder less the suffix: `truth/city/a.png` with
`pred/city/a.npy`. Files of other suffixes are left alone.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import numpy as np

from unetcheck.errors import InputError

SUFFIXES = (".nii.gz", ".nii", ".png", ".npy")


def suffix_of(path: str) -> str | None:
    """The mask suffix `path` ends with (case-insensitive), or None."""
    lower = path.lower()
    return next((s for s in SUFFIXES if lower.endswith(s)), None)


def find_masks(folder: str) -> tuple[dict[str, str], list[str]]:
    """Mask files under `folder` by name (relative path less the suffix), and the problems:
    two files with one name."""
    if not os.path.isdir(folder):
        raise InputError(f"{folder!r} is not a folder of masks")
    found: dict[str, str] = {}
    problems = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for file in sorted(files):
            suffix = suffix_of(file)
            if suffix is None:
                continue
            path = os.path.join(root, file)
            name = os.path.relpath(path, folder)[: -len(suffix)].replace(os.sep, "/")
            if name in found:
                problems.append(f"{path}: a second file named {name!r} (beside {found[name]})")
            else:
                found[name] = path
    return found, problems


def _open_png(path: str):
    from PIL import Image

    image = Image.open(path)
    if image.mode not in ("1", "L", "P", "I", "I;16", "I;16B", "I;16L"):
        image.close()
        raise ValueError(f"a {image.mode} picture, not a label mask (one class id per pixel: grey or palette)")
    return image


def read_header(path: str) -> tuple[tuple[int, ...], tuple[float, ...] | None]:
    """A mask file's shape, and its voxel spacing where the format records one, without
    reading its pixels."""
    suffix = suffix_of(path)
    if suffix == ".png":
        with _open_png(path) as image:
            return (image.height, image.width), None
    if suffix == ".npy":
        return tuple(np.load(path, mmap_mode="r", allow_pickle=False).shape), None
    import nibabel

    image = nibabel.load(path)
    shape = tuple(int(n) for n in image.shape)
    # NIfTI stores sizes as float32: their shortest decimal (0.8, not 0.800000011920929) is the size meant.
    return shape, tuple(float(str(np.float32(z))) for z in image.header.get_zooms()[: len(shape)])


def read_mask(path: str) -> np.ndarray:
    """A mask file's class ids as an integer array."""
    suffix = suffix_of(path)
    if suffix == ".png":
        with _open_png(path) as image:
            labels = np.asarray(image)
    elif suffix == ".npy":
        labels = np.load(path, allow_pickle=False)
    else:
        import nibabel

        labels = np.asanyarray(nibabel.load(path).dataobj)
    if labels.dtype == bool:
        labels = labels.astype(np.uint8)
    if not np.issubdtype(labels.dtype, np.integer):
        if not (np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels))):
            raise ValueError(f"holds {labels.dtype} values that are not class ids (whole numbers)")
        labels = labels.astype(np.int64)
    return labels


def spatial(shape: tuple[int, ...]) -> tuple[int, ...]:
    """A mask's shape less a trailing axis of 1 (a channel)."""
    return shape[:-1] if len(shape) in (3, 4) and shape[-1] == 1 else shape


@dataclasses.dataclass(frozen=True)
class Pair:
    """One image's truth and prediction files."""

    name: str
    truth: str
    pred: str


def _read_headers(
    pairs: list[Pair], spacing: Sequence[float] | None, problems: list[str]
) -> tuple[set[int], set[tuple[float, ...]]]:
    """The pairs' spatial dimensions and (where no `spacing` is given) their headers' spacings;
    every unreadable or mis-sized file appended to `problems`."""
    dims: set[int] = set()
    spacings: set[tuple[float, ...]] = set()
    for pair in pairs:
        headers = {}
        for path in (pair.truth, pair.pred):
            try:
                headers[path] = read_header(path)
            except ModuleNotFoundError:
                raise
            except Exception as err:  # any reader's failure: the file is named, with the reader's words
                problems.append(f"{path}: unreadable ({err})")
        if len(headers) < 2:
            continue
        (truth_shape, truth_zooms), (pred_shape, pred_zooms) = headers[pair.truth], headers[pair.pred]
        if spatial(truth_shape) != spatial(pred_shape):
            problems.append(f"{pair.pred}: shape {pred_shape}, but its truth {pair.truth} has {truth_shape}")
            continue
        if len(spatial(truth_shape)) not in (2, 3):
            problems.append(f"{pair.truth}: shape {truth_shape} is neither an image (H, W) nor a volume (D, H, W)")
            continue
        dims.add(len(spatial(truth_shape)))
        if spacing is None and truth_zooms is not None:
            if pred_zooms is not None and not np.allclose(truth_zooms, pred_zooms, rtol=1e-5):
                problems.append(f"{pair.pred}: voxel spacing {pred_zooms}, but its truth's is {truth_zooms}")
            spacings.add(truth_zooms[: len(spatial(truth_shape))])
    return dims, spacings


def match(
    truth_dir: str, pred_dir: str, spacing: Sequence[float] | None = None
) -> tuple[list[Pair], int, tuple[float, ...] | None]:
    """The pairs of the two folders, their spatial dimensions and spacing (`spacing`, else
    the truth files' headers, else None: pixels).

    Raises:
      InputError: naming every unmatched, unreadable or mis-sized file at once.
    """
    truths, problems = find_masks(truth_dir)
    preds, more = find_masks(pred_dir)
    problems += more
    problems += [f"{truths[n]}: no prediction named {n!r} in {pred_dir}" for n in sorted(set(truths) - set(preds))]
    problems += [f"{preds[n]}: no truth named {n!r} in {truth_dir}" for n in sorted(set(preds) - set(truths))]
    pairs = [Pair(n, truths[n], preds[n]) for n in sorted(set(truths) & set(preds))]
    dims, spacings = _read_headers(pairs, spacing, problems)
    if len(dims) > 1:
        problems.append(f"images and volumes mixed: masks of {sorted(dims)} dimensions")
    if spacing is None and len(spacings) > 1:
        problems.append(
            f"the volumes' headers give {len(spacings)} spacings ({sorted(spacings)[:3]}...): give --spacing, "
            "or evaluate each spacing apart"
        )
    if not pairs and not problems:
        problems.append(f"no masks ({', '.join(SUFFIXES)}) in {truth_dir}")
    if problems:
        raise InputError(f"{len(problems)} problem(s) with the masks:\n  " + "\n  ".join(problems))
    ndim = dims.pop()
    chosen = tuple(float(v) for v in spacing) if spacing is not None else (spacings.pop() if spacings else None)
    if chosen is not None and len(chosen) != ndim:
        raise InputError(f"--spacing has {len(chosen)} value(s) for {ndim}-D masks; give one per axis")
    return pairs, ndim, chosen
