"""Data sources: where TFDS-style examples (`image`, `segmentation_mask`) come from.

A `Source` holds one `tf.data.Dataset` of raw examples per split, the same form
`tfds.load("oxford_iiit_pet")` gives, so every source flows through `load_image`.
The embedded default is `synthetic_pets` (drawn by `unetcheck.pets.synthetic`), since the
real data cannot be downloaded everywhere; `unetcheck.reference.oxford` loads the real one.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from unetcheck.errors import InputError
from unetcheck.pets.synthetic import check_counts_and_sizes, synthetic_examples
from unetcheck.pets.trimaps import SPLITS

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class Source:
    """A data source: raw examples per split, how many each holds, and what was left out.

    `skipped` lists `{"split", "name", "reason"}` of bad examples left out on request;
    `stats` holds per-split `ExampleStats` where loading already scanned the data.
    """

    name: str
    splits: dict[str, tf.data.Dataset]
    num_examples: dict[str, int]
    skipped: list[dict[str, str]] = dataclasses.field(default_factory=list)
    stats: dict[str, list] | None = None

    def split(self, name: str) -> tf.data.Dataset:
        """Returns the raw dataset of split `name`.

        Raises:
          ValueError: an unknown split name.
        """
        if name not in self.splits:
            raise InputError(f"source {self.name!r} has no split {name!r}; it has {sorted(self.splits)}")
        return self.splits[name]


def synthetic_pets(
    num_train: int = 96, num_test: int = 32, seed: int = 0, min_size: int = 96, max_size: int = 160
) -> Source:
    """The embedded default source: Oxford-like pets of random sizes, deterministic in `seed`.

    Each example is drawn from `(seed, split, index)` alone (`unetcheck.pets.synthetic`),
    so a split's examples do not depend on how many are asked for.

    Raises:
      ValueError: non-positive counts or a bad size range.
    """
    import tensorflow as tf

    counts = {"train": num_train, "test": num_test}
    check_counts_and_sizes({f"num_{split}": n for split, n in counts.items()}, min_size, max_size)
    signature = {
        "image": tf.TensorSpec((None, None, 3), tf.uint8),
        "segmentation_mask": tf.TensorSpec((None, None, 1), tf.uint8),
        "file_name": tf.TensorSpec((), tf.string),
    }
    splits = {
        split: tf.data.Dataset.from_generator(
            lambda s=split: synthetic_examples(counts[s], seed, s, min_size, max_size), output_signature=signature
        ).apply(tf.data.experimental.assert_cardinality(counts[split]))
        for split in SPLITS
    }
    return Source(name="synthetic", splits=splits, num_examples=counts)
