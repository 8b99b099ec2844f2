"""The decoder's stride-2 transposed convolutions in two other exact forms, against TensorFlow's own.

    [ONEDNN_MAX_CPU_ISA=AVX2] .venv/bin/python benchmarks/transposed_conv_forms.py [--batch 64] [--repeats 7]

A 3x3, stride-2, "same" transposed convolution sends input pixel i to outputs 2i + k with
kernel tap k, so each of the four output phases (even or odd row and column) is a
stride-1 convolution with 4, 2, 2 or 1 of the nine taps. Timed per decoder shape (batch 64
at 128x128, each `SkipConv2DTranspose` input; the gradient with respect to a skip is not
computed), forward and gradients in one `tf.function`, the best of `--repeats`:

- `stock`: `tf.nn.conv2d_transpose` (oneDNN's backward-data primitive and its gradients);
- `phase`: the four phase convolutions, interleaved by `depth_to_space`;
- `taps`: one matmul to the nine kernel-tap products per pixel, then each phase as a sum of
  shifted slices of them.

All three compute the same sums of products (the largest difference is printed, relative to
the largest value: float rounding). Under `ONEDNN_MAX_CPU_ISA=AVX2` this is the question of
whether the AVX2 runners' step could lose its transposed convolutions' overhead.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

#: (input side, input channels, filters, input gradient needed) of the decoder at 128x128.
SHAPES = [(4, 320, 512, True), (8, 512, 256, True), (8, 576, 256, False), (16, 256, 128, True),
          (16, 192, 128, False), (32, 128, 64, True), (32, 144, 64, False)]


def stock(x: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    n, h, w, _ = x.shape
    return tf.nn.conv2d_transpose(x, kernel, (n, 2 * h, 2 * w, kernel.shape[2]), strides=2, padding="SAME")


def phase(x: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    w = tf.transpose(kernel, (0, 1, 3, 2))  # (kh, kw, in, out), as conv2d takes it
    padded = tf.pad(x, [[0, 0], [1, 0], [1, 0], [0, 0]])  # row m-1 and column l-1 of the first pixel
    even_even = tf.nn.conv2d(padded, tf.stack([tf.stack([w[2, 2], w[2, 0]]), tf.stack([w[0, 2], w[0, 0]])]),
                             1, "VALID")
    even_odd = tf.nn.conv2d(padded[:, :, 1:], tf.stack([w[2, 1], w[0, 1]])[:, None], 1, "VALID")
    odd_even = tf.nn.conv2d(padded[:, 1:], tf.stack([w[1, 2], w[1, 0]])[None], 1, "VALID")
    odd_odd = tf.nn.conv2d(x, w[1, 1][None, None], 1, "VALID")
    return tf.nn.depth_to_space(tf.concat([even_even, even_odd, odd_even, odd_odd], -1), 2)


def taps(x: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    n, h, w, channels = x.shape
    filters = kernel.shape[2]
    matrix = tf.reshape(tf.transpose(kernel, (3, 0, 1, 2)), (channels, 9 * filters))
    p = tf.reshape(tf.matmul(tf.reshape(x, (-1, channels)), matrix), (n, h, w, 3, 3, filters))
    padded = tf.pad(p, [[0, 0], [1, 0], [1, 0], [0, 0], [0, 0], [0, 0]])
    up, left, diagonal = padded[:, :h, 1:], padded[:, 1:, :w], padded[:, :h, :w]  # from row m-1, column l-1
    even_even = p[..., 0, 0, :] + up[..., 2, 0, :] + left[..., 0, 2, :] + diagonal[..., 2, 2, :]
    even_odd = p[..., 0, 1, :] + up[..., 2, 1, :]
    odd_even = p[..., 1, 0, :] + left[..., 1, 2, :]
    return tf.nn.depth_to_space(tf.concat([even_even, even_odd, odd_even, p[..., 1, 1, :]], -1), 2)


FORMS = {"stock": stock, "phase": phase, "taps": taps}


def time_form(form, x, kernel, upstream, input_gradient: bool, repeats: int):
    """Best wall time of forward and gradients, and the results."""
    @tf.function
    def step(x, kernel):
        with tf.GradientTape() as tape:
            tape.watch([x, kernel])
            y = form(x, kernel)
        return [y, *tape.gradient(y, [x, kernel] if input_gradient else [kernel], output_gradients=upstream)]

    results = [t.numpy() for t in step(x, kernel)]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        [t.numpy() for t in step(x, kernel)]
        times.append(time.perf_counter() - start)
    return min(times), results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    totals = dict.fromkeys(FORMS, 0.0)
    print(f"ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '(unset)')}, batch {args.batch}")
    for side, channels, filters, input_gradient in SHAPES:
        x = tf.constant(rng.normal(size=(args.batch, side, side, channels)), tf.float32)
        kernel = tf.constant(rng.normal(size=(3, 3, filters, channels)) * 0.05, tf.float32)
        upstream = tf.constant(rng.normal(size=(args.batch, 2 * side, 2 * side, filters)), tf.float32)
        timed = {name: time_form(form, x, kernel, upstream, input_gradient, args.repeats)
                 for name, form in FORMS.items()}
        reference = timed["stock"][1]
        line = f"{side:>2}x{side}x{channels:<3} -> {filters:<3} ({'with' if input_gradient else 'no'} input gradient):"
        for name, (seconds, results) in timed.items():
            totals[name] += seconds
            gap = max(float(np.abs(a - b).max() / np.abs(a).max()) for a, b in zip(reference, results))
            line += f"  {name} {1e3 * seconds:7.1f} ms" + (f" (x{timed['stock'][0] / seconds:.2f}, gap {gap:.0e})"
                                                           if name != "stock" else "")
        print(line, flush=True)
    print("total: " + ", ".join(f"{name} {1e3 * s:.0f} ms (x{totals['stock'] / s:.2f})" for name, s in totals.items()))


if __name__ == "__main__":
    main()
