"""How long `fit` waits after training ends, with tf.data's autotuner on and off.

    .venv/bin/python benchmarks/iterator_stall.py [--steps 20 60 150] [--repeats 4]

Keras deletes the training iterator when `fit` returns. With the autotuner on, that
deletion waits for the autotuner's thread to wake up, which it does once per optimization
period (a period that doubles while the iterator lives, up to 10 s). The script trains
the 64x64 model for each step count, alternating `make_pipelines(autotune=False)` and
`autotune=True` in one process, and prints the training time (callbacks' train begin to
end) and the time `fit` took after training ended.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from unetcheck import compile_model, make_pipelines, set_seed, synthetic_pets, unet_model  # noqa: E402
from unetcheck.bench.speed import CallSpan  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[20, 60, 150])
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()

    source = synthetic_pets(num_train=2 * args.batch, num_test=8, seed=0)
    runs = {}
    for autotune in (False, True):
        set_seed(0)
        train = make_pipelines(source, size=64, batch_size=args.batch, seed=0, autotune=autotune).train
        model = compile_model(unet_model(input_size=64))
        model.fit(train, epochs=1, steps_per_epoch=3, verbose=0)  # tracing, not timed
        runs[autotune] = (train, model)

    results: dict[tuple[bool, int], list[tuple[float, float]]] = {}
    for _ in range(args.repeats):
        for steps in args.steps:
            for autotune, (train, model) in runs.items():
                timer = CallSpan()
                model.fit(train, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[timer])
                after = time.perf_counter() - timer.end
                results.setdefault((autotune, steps), []).append((timer.end - timer.begin, after))

    print(f"{'autotune':<9} {'steps':>5} {'training s':>11} {'after, mean s':>14} {'max s':>6}  after, each run")
    for (autotune, steps), values in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        training = statistics.median(t for t, _ in values)
        after = [a for _, a in values]
        print(f"{autotune!s:<9} {steps:>5} {training:>11.2f} {statistics.mean(after):>14.2f} "
              f"{max(after):>6.2f}  {' '.join(f'{a:.2f}' for a in after)}")


if __name__ == "__main__":
    main()
