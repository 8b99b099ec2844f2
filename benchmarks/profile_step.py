"""Where a training step's time goes: TensorFlow profiler trace of `fit`, summed per op.

    python benchmarks/profile_step.py [--batch 32] [--steps 6] [--path literal|stock|fast] [--inter-op 1]

Traces a few warm training steps of the 128x128 model, reads the XPlane the profiler
writes and prints the time per TensorFlow op type and per layer (from the op names),
with each one's share of the traced op time. Two cores run ops in parallel, so the
shares are of summed op time, not of wall time; `--inter-op 1` runs one op at a time, so
that each op's time is its own rather than stretched by another sharing the cores.
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


_WRAPPERS = {"Process", "Run", "ExecutorState", "EagerLocalExecute", "KernelAndDeviceFunc"}


def _events(logdir: str):
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    (path,) = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
    space = xplane_pb2.XSpace()
    with open(path, "rb") as f:
        space.ParseFromString(f.read())
    for plane in space.planes:
        if not plane.name.startswith("/host:CPU"):
            continue
        names = {k: m.name for k, m in plane.event_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                yield names.get(event.metadata_id, ""), event.duration_ps / 1e9  # ms


def main() -> None:
    from unetcheck.reference.onednn import prefer_onednn

    prefer_onednn()  # as `unetcheck bench` runs TensorFlow
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--path", default="fast", choices=("literal", "stock", "fast"))
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--inter-op", type=int, default=0, help="inter-op threads (0: TensorFlow's default)")
    args = parser.parse_args()

    import tensorflow as tf

    if args.inter_op:
        tf.config.threading.set_inter_op_parallelism_threads(args.inter_op)

    from unetcheck.bench.speed import BenchPath
    from unetcheck.reference.sources import synthetic_pets

    # Built and warmed up (tracing, thread pools, the cache) as `unetcheck bench` does.
    path = BenchPath(args.path, synthetic_pets(num_train=2 * args.batch, num_test=8, seed=0), 128,
                     args.batch, steps=3)
    model, train = path.model, path.train
    logdir = tempfile.mkdtemp(prefix="unetcheck-profile-")
    tf.profiler.experimental.start(logdir)
    model.fit(train, epochs=1, steps_per_epoch=args.steps, verbose=0)
    tf.profiler.experimental.stop()

    by_type: collections.Counter = collections.Counter()
    by_layer: collections.Counter = collections.Counter()
    for name, ms in _events(logdir):
        if ":" not in name:  # TF ops are "name:Type"; the rest are runtime annotations
            continue
        op_name, op_type = name.rsplit(":", 1)
        if op_type.strip() in _WRAPPERS or op_type.strip().startswith("__inference") or not op_name:
            continue  # function and executor spans enclose the ops: counting them counts twice
        by_type[op_type] += ms
        parts = [p for p in op_name.split("/")
                 if p not in ("gradient_tape", "StatefulPartitionedCall") and not p.startswith("unet")]
        by_layer[("grad " if "gradient_tape" in op_name or "Grad" in op_name else "") + "/".join(parts[:1])] += ms
    total = sum(by_type.values())
    print(f"{args.path}, batch {args.batch}, {args.steps} steps: {total:.0f} ms of op time "
          f"({total / args.steps / args.batch:.1f} ms per image)")
    for title, counter in (("op type", by_type), ("op name", by_layer)):
        print(f"\n{title:<60} {'ms':>8} {'share':>6}")
        for key, ms in counter.most_common(args.top):
            print(f"{key[:60]:<60} {ms:8.0f} {100 * ms / total:5.1f}%")


if __name__ == "__main__":
    main()
