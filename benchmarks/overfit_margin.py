"""How far above its bound `test_overfits_batch_keras_form` passes, over seeds.

    .venv/bin/python benchmarks/overfit_margin.py [--seeds 30] [--filters 32] [--unseeded-extra]

Trains `tests.checks.models.tiny_keras` with an extra `Conv2D(filters)` 150 steps on the
test's batch, once per seed, and prints the pixel accuracy `assert_overfits_batch` reads
(the test asks for 0.8). By default each seed seeds every weight; `--unseeded-extra` makes
the extra layer as the test once did, before `tiny_keras` seeds, so that only Python's
`random` (which pytest-randomly reseeds per run) decides its initializer.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import keras  # noqa: E402

from tests.checks.models import IMAGES, MASKS, tiny_keras  # noqa: E402
from unetcheck.checks import assert_overfits_batch  # noqa: E402


def reached(model: keras.Model, steps: int = 150) -> float:
    """The accuracy `assert_overfits_batch` reads, from its message (a bound no run meets)."""
    try:
        assert_overfits_batch(model, IMAGES, MASKS, steps=steps, min_accuracy=1.01)
    except AssertionError as err:
        return float(re.search(r"pixel accuracy is ([\d.]+)", str(err)).group(1))
    raise RuntimeError("an accuracy above 1.01 was reached")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--unseeded-extra", action="store_true")
    args = parser.parse_args()
    accuracies = []
    for seed in range(args.seeds):
        if args.unseeded_extra:
            random.seed(seed)
            extra = keras.layers.Conv2D(args.filters, 3, padding="same", activation="relu")
            model = tiny_keras(extra)
        else:
            keras.utils.set_random_seed(seed)
            extra = keras.layers.Conv2D(args.filters, 3, padding="same", activation="relu",
                                        kernel_initializer=keras.initializers.GlorotUniform(seed=seed))
            model = tiny_keras(extra, seed=seed)
        accuracies.append(reached(model))
        print(f"seed {seed}: {accuracies[-1]:.3f}", flush=True)
    print(f"{args.filters} filters{', extra unseeded' if args.unseeded_extra else ''}: accuracy "
          f"{min(accuracies):.3f}-{max(accuracies):.3f}, below 0.8 in {sum(a < 0.8 for a in accuracies)} "
          f"of {len(accuracies)} seeds")


if __name__ == "__main__":
    main()
