"""How fast our training step could be if only oneDNN's own primitives took time.

    .venv/bin/python benchmarks/kernel_bound.py [--batch 64] [--steps 3] [--by-shape]

Runs a few warm training steps of a bench path (`--path`, default the fast layers; 128x128) in a child process with
`ONEDNN_VERBOSE=1` and one inter-op thread (so that no two primitives share the cores
and each one's time is its own), and sums the time oneDNN reports for each primitive
kind and implementation, with its GFLOP/s where the shapes give a FLOP count
(convolutions, matmuls). If every other op (tf.data, the loss, the metric, the
optimizer, element-wise ops, Python) took no time, a step would take that sum: the
script prints the images/s that implies and its fraction of the roofline of
`unetcheck bench` (fp32 matmul GFLOP/s, the best of a measurement before the steps and
one after, and the tutorial model's FLOPs per training image). `--by-shape` splits each
primitive kind by the shapes oneDNN ran it on (one line per layer and pass).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

_START, _END, _MATMUL = "=====kernel_bound start", "=====kernel_bound end", "=====matmul_gflops "
_CONV = re.compile(r"(?:g(\d+))?mb(\d+)_ic(\d+)oc(\d+)_ih\d+oh(\d+)kh(\d+)\S*_iw\d+ow(\d+)kw(\d+)")
_GEMM = re.compile(r"^(\d+)x(\d+):(\d+)x(\d+)$")


def _flops(kind: str, shape: str) -> float | None:
    """FLOPs of one primitive from oneDNN's shape string, where it gives them."""
    conv = _CONV.match(shape)
    if kind == "convolution" and conv:
        groups, mb, ic, oc, oh, kh, ow, kw = (int(v) if v else 1 for v in conv.groups())
        return 2.0 * mb * oh * ow * kh * kw * ic * oc / groups
    gemm = _GEMM.match(shape)
    if kind in ("gemm_api", "matmul") and gemm:
        m, k, _, n = map(int, gemm.groups())
        return 2.0 * m * k * n
    return None


def _child(batch: int, steps: int, path_name: str) -> None:
    import tensorflow as tf

    tf.config.threading.set_inter_op_parallelism_threads(1)
    from unetcheck.bench.machine import matmul_gflops
    from unetcheck.bench.speed import BenchPath
    from unetcheck.reference.sources import synthetic_pets

    matmul = matmul_gflops()  # as `unetcheck bench`: the best of measurements before and after
    # Built and warmed up (tracing, primitive caches) as `unetcheck bench` does.
    path = BenchPath(path_name, synthetic_pets(num_train=2 * batch, num_test=8, seed=0), 128, batch, steps=3)
    print(_START, flush=True)
    path.model.fit(path.train, epochs=1, steps_per_epoch=steps, verbose=0)
    print(_END, flush=True)
    print(f"{_MATMUL}{max(matmul, matmul_gflops())}", flush=True)


def main() -> None:
    from unetcheck.reference.onednn import prefer_onednn

    prefer_onednn()  # as `unetcheck bench` runs TensorFlow
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--by-shape", action="store_true", help="one line per primitive shape")
    parser.add_argument("--path", default="fast", choices=("literal", "stock", "fast"), help="which bench path")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.batch, args.steps, args.path)
        return

    env = dict(os.environ, ONEDNN_VERBOSE="1", TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, __file__, "--child", "--batch", str(args.batch), "--steps", str(args.steps),
                          "--path", args.path], env=env, capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    inside = lines[lines.index(_START) + 1: lines.index(_END)]
    matmul = float(next(line for line in lines if line.startswith(_MATMUL))[len(_MATMUL):])

    ms: collections.Counter = collections.Counter()
    flops: collections.Counter = collections.Counter()
    for line in inside:
        if not line.startswith("onednn_verbose,v1,primitive,exec,cpu,"):
            continue
        fields = line.split(",")
        key = " ".join(fields[5:8])  # primitive kind, implementation, propagation
        if args.by_shape:
            key += " " + fields[-2]
        ms[key] += float(fields[-1]) / args.steps
        counted = _flops(fields[5], fields[-2])
        if counted is not None:
            flops[key] += counted / args.steps

    from unetcheck.bench.machine import model_flops

    tutorial = model_flops(128)["train"]
    total = sum(ms.values())
    print(f"batch {args.batch}, {args.steps} steps: oneDNN primitives {total:.1f} ms per step, "
          f"{sum(flops.values()) / args.batch / 1e9:.3f} GFLOP per image counted from their shapes")
    width = max(70, *map(len, ms))
    print(f"\n{'primitive':<{width}} {'ms/step':>8} {'GFLOP/s':>8}")
    for key, value in ms.most_common():
        rate = f"{flops[key] / value / 1e6:8.0f}" if flops[key] else f"{'':>8}"
        print(f"{key:<{width}} {value:8.1f} {rate}")
    bound = args.batch / (total / 1e3)
    roofline = matmul * 1e9 / tutorial
    print(f"\nmatmul {matmul:.0f} GFLOP/s; tutorial model {tutorial / 1e9:.2f} GFLOP per training image;"
          f" roofline {roofline:.1f} img/s")
    print(f"oneDNN primitives alone: {bound:.1f} img/s = {bound / roofline:.3f} of the roofline")


if __name__ == "__main__":
    main()
