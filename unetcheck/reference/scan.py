"""One pass over a split's raw examples: sizes and label counts, and which are bad, why.

Shared by every source (the folder loader, TFDS, synthetic) and by `validate-data`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from unetcheck.pets import trimaps

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class ExampleStats:
    """What a scan found about one usable example."""

    name: str
    height: int
    width: int
    label_counts: tuple[int, ...]  # pixels with each of TRIMAP_LABELS: 1 (pet), 2 (background), 3 (border)


def label_stats(image: tf.Tensor, trimap: tf.Tensor) -> dict[str, tf.Tensor]:
    """Graph-side summary of one example: both sizes and a 256-bin histogram of the trimap."""
    import tensorflow as tf

    values = tf.cast(tf.reshape(trimap, [-1]), tf.int32)
    return {
        "image_shape": tf.shape(image)[:2],
        "mask_shape": tf.shape(trimap)[:2],
        "counts": tf.math.bincount(values, minlength=256, maxlength=256),
    }


def problem(stats: dict[str, Any]) -> str | None:
    """Why an example's summary makes it unusable (`unetcheck.pets.trimaps`' rule), or None."""
    return trimaps.size_problem(stats["image_shape"], stats["mask_shape"]) or trimaps.histogram_problem(stats["counts"])


def to_example_stats(name: str, stats: dict[str, Any]) -> ExampleStats:
    h, w = (int(v) for v in stats["image_shape"])
    counts = stats["counts"]
    return ExampleStats(name, h, w, tuple(int(counts[label]) for label in trimaps.TRIMAP_LABELS))


def scan_examples(ds: tf.data.Dataset) -> tuple[list[ExampleStats], dict[str, str]]:
    """Scans decoded examples (`image`, `segmentation_mask`, optional `file_name`) in parallel.

    Returns:
      the stats of the usable examples, and `{name: reason}` for the bad ones.
    """
    import tensorflow as tf

    def summarize(ex: dict) -> tuple:
        name = ex.get("file_name", tf.constant(""))
        return name, label_stats(ex["image"], ex["segmentation_mask"])

    summaries = ds.map(
        tf.autograph.experimental.do_not_convert(summarize), num_parallel_calls=tf.data.AUTOTUNE
    ).as_numpy_iterator()
    return classify((name.decode() or f"example {index}", stats) for index, (name, stats) in enumerate(summaries))


def classify(summaries: Iterable[tuple[str, dict[str, Any]]]) -> tuple[list[ExampleStats], dict[str, str]]:
    """Splits `(name, label_stats)` pairs into the stats of usable examples and `{name: reason}`."""
    good, bad = [], {}
    for name, stats in summaries:
        reason = problem(stats)
        if reason:
            bad[name] = reason
        else:
            good.append(to_example_stats(name, stats))
    return good, bad
