"""The decoder's filter gradients alone, in TensorFlow and in PyTorch, against a matmul.

    .venv/bin/python benchmarks/filter_gradient.py [--batch 64] [--size 128] [--repeats 5]

The filter gradients of the decoder's transposed convolutions are the largest share of
a training step (README "Performance") and oneDNN runs them below the matmul rate.
This times each one alone, with the shapes our default model gives them (each
`SkipConv2DTranspose` input with its slice of the kernel, batch 64 at 128x128):
TensorFlow's `Conv2DBackpropFilter` (what the step's gradient runs, oneDNN's
backward-weights primitive) and, where PyTorch is installed (`.[torch]`), its
`convolution_backward` for the same transposed convolution in channels_last (its own
oneDNN or native kernel). Both are printed as GFLOP/s beside fp32 matmul GFLOP/s
measured in the same process, so that the gap is seen without the rest of the step.
PyTorch pads its transposed convolution symmetrically (padding 1, output_padding 1)
where TensorFlow's "same" pads one side: the output is shifted, the shapes and FLOPs
are the same.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def _best_ms(run: Callable[[], object], repeats: int) -> float:
    """Best wall time of `repeats` calls after one warm-up, in ms."""
    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def _shapes(size: int) -> list[tuple[str, int, int, int]]:
    """(layer, input side, input channels, filters) of each stride-2 transposed
    convolution of the fast-layer model that oneDNN runs as a convolution, per input."""
    from unetcheck.reference.fast_layers import SkipConv2DTranspose
    from unetcheck.reference.model import unet_model

    model = unet_model(input_size=size, fast=True)
    shapes = []
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, SkipConv2DTranspose) and not layer.through_taps:
            inputs = layer.input if isinstance(layer.input, list) else [layer.input]
            for part, tensor in zip(("x", "skip"), inputs):
                shapes.append((f"{layer.name} {part}", tensor.shape[1], tensor.shape[3], layer.filters))
    return shapes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import tensorflow as tf

    from unetcheck.bench.machine import matmul_gflops

    try:
        import torch
    except ImportError:
        torch = None
    else:
        torch.set_num_threads(os.cpu_count() or 1)

    matmul = matmul_gflops()
    print(f"fp32 matmul {matmul:.0f} GFLOP/s (TensorFlow, best of 3); batch {args.batch}\n")
    print(f"{'layer input':<26} {'in':>9} {'out':>9} {'GFLOP':>6} {'TF ms':>7} {'TF GF/s':>8}"
          + (f" {'torch ms':>8} {'torch GF/s':>10}" if torch else ""))
    for name, side, channels, filters in _shapes(args.size):
        flops = 2.0 * args.batch * side * side * 9 * channels * filters
        x = tf.random.normal((args.batch, side, side, channels))
        dy = tf.random.normal((args.batch, 2 * side, 2 * side, filters))
        # One eager op: the dispatch (microseconds) is nothing beside the 10-40 ms kernel.
        tf_ms = _best_ms(lambda dy=dy, x=x, f=filters, c=channels: tf.raw_ops.Conv2DBackpropFilter(
            input=dy, filter_sizes=[3, 3, f, c], out_backprop=x, strides=[1, 2, 2, 1],
            padding="SAME").numpy(), args.repeats)
        row = (f"{name:<26} {f'{side}x{channels}':>9} {f'{2 * side}x{filters}':>9} {flops / 1e9:6.2f} "
               f"{tf_ms:7.1f} {flops / tf_ms / 1e6:8.0f}")
        if torch:
            tx = torch.from_numpy(x.numpy()).permute(0, 3, 1, 2)  # NCHW view of NHWC memory
            tdy = torch.from_numpy(dy.numpy()).permute(0, 3, 1, 2)
            weight = torch.zeros(channels, filters, 3, 3)

            def run(tx=tx, tdy=tdy, weight=weight):
                return torch.ops.aten.convolution_backward(
                    tdy, tx, weight, None, [2, 2], [1, 1], [1, 1], True, [1, 1], 1, [False, True, False])

            torch_ms = _best_ms(run, args.repeats)
            row += f" {torch_ms:8.1f} {flops / torch_ms / 1e6:10.0f}"
        print(row)


if __name__ == "__main__":
    main()
