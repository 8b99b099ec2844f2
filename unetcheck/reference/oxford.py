"""Oxford-IIIT Pet as users have it: the TFDS build, or the dataset's own unpacked archives.

Folder layout (as `images.tar.gz` and `annotations.tar.gz` unpack):

    ROOT/images/NAME.jpg               photos (some are really PNG, grayscale, RGBA or CMYK)
    ROOT/annotations/trimaps/NAME.png  trimaps, values 1 pet, 2 background, 3 border
    ROOT/annotations/trainval.txt      lines "NAME CLASS-ID SPECIES BREED-ID" -> split "train"
    ROOT/annotations/test.txt          the same                               -> split "test"

Photos are decoded to RGB in a parallel `tf.data` map. A file that cannot be decoded, a
missing file, a trimap whose size differs from its photo or whose values fall outside
1..3 make an example *bad*: by default loading fails naming each with its reason; with
`skip_bad=True` they are left out and listed in `Source.skipped`, never dropped silently.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from unetcheck.errors import InputError
from unetcheck.pets.trimaps import SPLITS
from unetcheck.reference.scan import ExampleStats, classify, label_stats, scan_examples
from unetcheck.reference.sources import Source

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf

SPLIT_FILES = {"train": "trainval.txt", "test": "test.txt"}
TFDS_NAME = "oxford_iiit_pet"
TFDS_VERSION = "4.*.*"


def _read_split_list(path: str) -> list[str]:
    """Example names from a list file; '#' lines are comments, as in the archive."""
    with open(path) as f:
        return [line.split()[0] for line in f if line.strip() and not line.startswith("#")]


def _decode(name: tf.Tensor, image_path: tf.Tensor, trimap_path: tf.Tensor) -> dict:
    """Decodes any JPEG/PNG/GIF/BMP photo (by content, not extension) to RGB uint8."""
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(image_path), channels=3, expand_animations=False)
    trimap = tf.io.decode_image(tf.io.read_file(trimap_path), channels=1, expand_animations=False)
    image.set_shape((None, None, 3))
    trimap.set_shape((None, None, 1))
    return {"image": image, "segmentation_mask": trimap, "file_name": name}


def _files_dataset(paths: list[tuple[str, str, str]]) -> tf.data.Dataset:
    import tensorflow as tf

    columns = tuple(list(column) for column in zip(*paths))
    return tf.data.Dataset.from_tensor_slices(columns).map(
        tf.autograph.experimental.do_not_convert(_decode), num_parallel_calls=tf.data.AUTOTUNE
    )


def _decode_failure(image_path: str, trimap_path: str) -> str:
    """Why an example failed to decode (run eagerly, only for the few that fail)."""
    import tensorflow as tf

    for what, path, channels in (("image", image_path, 3), ("trimap", trimap_path, 1)):
        try:
            tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
        except tf.errors.OpError as err:
            # Keep TensorFlow's reason, not its op plumbing ("{{function_node ...}}", "[Op:...]").
            reason = re.sub(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:.*$", "", err.message.strip().splitlines()[-1])
            return f"{what} {os.path.basename(path)} cannot be decoded: {reason}"
    return "cannot be decoded"


def _scan_files(paths: list[tuple[str, str, str]]) -> tuple[list[ExampleStats], dict[str, str]]:
    """Decodes every (name, image, trimap) once in parallel: stats of the good, reasons of the bad."""
    import tensorflow as tf

    ds = _files_dataset(paths).map(
        tf.autograph.experimental.do_not_convert(
            lambda ex: (ex["file_name"], label_stats(ex["image"], ex["segmentation_mask"]))
        ),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    # Undecodable examples do not come out of ignore_errors(): found by name below.
    good, bad = classify((name.decode(), stats) for name, stats in ds.ignore_errors().as_numpy_iterator())
    seen = {example.name for example in good} | set(bad)
    for name, image, trimap in paths:
        if name not in seen:
            bad[name] = _decode_failure(image, trimap)
    return good, bad


def _listing(bad: list[dict[str, str]]) -> str:
    listed = "; ".join(f"{b['split']}/{b['name']}: {b['reason']}" for b in bad[:10])
    return listed + (f" (and {len(bad) - 10} more)" if len(bad) > 10 else "")


def _finish(name: str, splits: dict, stats: dict, bad: list[dict[str, str]], skip_bad: bool) -> Source:
    if bad and not skip_bad:
        raise InputError(
            f"{len(bad)} bad example(s) in {name}: {_listing(bad)}. "
            "Fix or remove them, or skip them with skip_bad=True (--skip-bad)."
        )
    counts = {split: len(stats[split]) for split in splits}
    return Source(name=name, splits=splits, num_examples=counts, skipped=bad, stats=stats)


def oxford_folder(path: str | os.PathLike, skip_bad: bool = False) -> Source:
    """Oxford-IIIT Pet from its unpacked archives (layout in the module docstring).

    Args:
      path: the folder holding `images/` and `annotations/`.
      skip_bad: leave bad examples out (listed in `Source.skipped`) instead of failing.

    Raises:
      ValueError: a path that does not exist, a folder not in this layout, an empty
        split, or (unless `skip_bad`) any bad example, each named with its reason.
    """
    root = os.fspath(path)
    if not os.path.isdir(root):
        raise InputError(f"data path {root!r} {'is not a folder' if os.path.exists(root) else 'does not exist'}")
    expected = ["images", os.path.join("annotations", "trimaps")] + [
        os.path.join("annotations", f) for f in SPLIT_FILES.values()
    ]
    missing = [p for p in expected if not os.path.exists(os.path.join(root, p))]
    if missing:
        raise InputError(
            f"{root!r} is not an Oxford-IIIT Pet folder: missing {missing}. Expected images/*.jpg, "
            "annotations/trimaps/*.png, annotations/trainval.txt and annotations/test.txt, "
            "as images.tar.gz and annotations.tar.gz unpack"
        )
    splits, stats, bad = {}, {}, []
    for split in SPLITS:
        names = _read_split_list(os.path.join(root, "annotations", SPLIT_FILES[split]))
        if not names:
            raise InputError(f"split {split!r} is empty: annotations/{SPLIT_FILES[split]} lists no examples")
        candidates, reasons = [], {}
        for name in names:
            image = os.path.join(root, "images", f"{name}.jpg")
            trimap = os.path.join(root, "annotations", "trimaps", f"{name}.png")
            if not os.path.isfile(image):
                reasons[name] = f"image images/{name}.jpg is missing"
            elif not os.path.isfile(trimap):
                reasons[name] = f"trimap annotations/trimaps/{name}.png is missing"
            else:
                candidates.append((name, image, trimap))
        good, decode_reasons = _scan_files(candidates) if candidates else ([], {})
        reasons.update(decode_reasons)
        bad += [{"split": split, "name": n, "reason": reasons[n]} for n in names if n in reasons]  # list order
        if not good:
            raise InputError(f"split {split!r} has no usable example: all {len(names)} listed are bad: {_listing(bad)}")
        usable = {s.name for s in good}
        splits[split] = _files_dataset([c for c in candidates if c[0] in usable])
        stats[split] = good
    return _finish(f"folder {root}", splits, stats, bad, skip_bad)


def oxford_tfds(
    data_dir: str | os.PathLike | None = None, version: str = TFDS_VERSION, skip_bad: bool = False
) -> Source:
    """Oxford-IIIT Pet from a prepared TFDS data directory (never downloads).

    Raises:
      ValueError: the tutorial's version "3.*.*" (TFDS 4.9 defines only 4.0.0), a data
        directory without the prepared dataset, or bad examples (unless `skip_bad`).
    """
    import tensorflow as tf
    import tensorflow_datasets as tfds

    if str(version).startswith("3"):
        raise InputError(
            f"{TFDS_NAME}:{version} no longer resolves: TFDS 4.9 defines only version 4.0.0 "
            "(the tutorial's '3.*.*' fails). Use version '4.*.*'."
        )
    data_dir = None if data_dir is None else os.fspath(data_dir)
    splits, stats, bad = {}, {}, []
    for split in SPLITS:
        try:
            ds = tfds.load(f"{TFDS_NAME}:{version}", split=split, data_dir=data_dir, download=False)
        except Exception as err:  # TFDS raises AssertionError, FileNotFoundError, DatasetNotFoundError...
            where = data_dir or "the default TFDS data directory (~/tensorflow_datasets)"
            raise InputError(
                f"{TFDS_NAME} {version} is not prepared in {where}, and unetcheck never downloads: on a "
                f"connected machine run `tfds build {TFDS_NAME}` and copy its data directory here, then "
                f"pass --data-dir. ({type(err).__name__}: {str(err).strip().splitlines()[0]})"
            ) from err
        good, reasons = scan_examples(ds)
        bad += [{"split": split, "name": n, "reason": r} for n, r in reasons.items()]
        if not good:
            raise InputError(f"split {split!r} of {TFDS_NAME} has no usable example: {_listing(bad)}")
        if reasons:
            table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(list(reasons), [1] * len(reasons)), default_value=0
            )
            ds = ds.filter(lambda ex, table=table: table.lookup(ex["file_name"]) == 0)
        splits[split], stats[split] = ds, good
    return _finish(f"TFDS {TFDS_NAME}", splits, stats, bad, skip_bad)
