"""Facts about the machine and the model that every speed figure is measured against:
fp32 matmul GFLOP/s (the roofline's peak), FLOPs per image, the CPU's vector extensions."""

from __future__ import annotations

import time
from typing import Any

from unetcheck.hardware import cpu_flags, onednn_allows


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Best-of-3 fp32 `tf.matmul` throughput on an n x n product, in GFLOP/s."""
    import tensorflow as tf

    a, b = tf.random.normal((n, n)), tf.random.normal((n, n))
    tf.matmul(a, b).numpy()
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            tf.matmul(a, b).numpy()
        best = max(best, 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9)
    return best


def model_flops(
    size: int,
    fast: bool = False,
    op_types: tuple[str, ...] | None = None,
    passes: tuple[str, ...] = ("forward", "train"),
) -> dict[str, float]:
    """FLOPs per image that run in the forward pass and in a training step's forward + gradients.

    Counted by TensorFlow's profiler on each traced graph pruned to its outputs: the
    gradient graph also holds ops that never run (the frozen encoder's backward pass,
    the input gradients of frozen skips), which a count of the whole graph includes.
    `fast=False` counts the tutorial's layer graph, `fast=True` the fast layers (whose fused
    BatchNorm ops have no FLOP count registered: ~0.5% of a step uncounted at 128x128).
    `op_types` counts only those TensorFlow op types (e.g. `("Conv2D",)`); `passes`
    picks "forward" and/or "train".
    """
    import keras
    import tensorflow as tf

    from unetcheck.reference.model import unet_model

    model = unet_model(input_size=size, fast=fast)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def forward(x: Any) -> Any:
        return model(x, training=False)

    @tf.function
    def gradients(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        return tape.gradient(loss, model.trainable_variables)

    def count(concrete: Any) -> float:
        needed = tf.compat.v1.graph_util.extract_sub_graph(
            concrete.graph.as_graph_def(add_shapes=True), [t.op.name for t in concrete.outputs]
        )
        graph = tf.Graph()
        with graph.as_default():
            tf.graph_util.import_graph_def(needed, name="")
        options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
        options["output"] = "none"
        result = tf.compat.v1.profiler.profile(
            graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=options
        )
        if op_types is None:
            return float(result.total_float_ops)
        # The "op" view nests op types in a chain: each node's float_ops is its own type's.
        total, nodes = 0.0, list(result.children)
        while nodes:
            node = nodes.pop()
            total += node.float_ops if node.name in op_types else 0.0
            nodes.extend(node.children)
        return total

    image, mask = tf.TensorSpec([1, size, size, 3]), tf.TensorSpec([1, size, size, 1], tf.int32)
    traced = {"forward": (forward, (image,)), "train": (gradients, (image, mask))}
    return {name: count(traced[name][0].get_concrete_function(*traced[name][1])) for name in passes}


#: The CPU flags a report names: vector width, FMA, native bfloat16, AMX.
REPORTED_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile")


def native_bfloat16(flags: frozenset[str] | None = None) -> bool:
    """Whether oneDNN computes bfloat16 natively here: the CPU has AVX512_BF16 or AMX and
    `ONEDNN_MAX_CPU_ISA` does not cap oneDNN below them. Elsewhere bfloat16 is emulated,
    slowly, and under such a cap oneDNN may have no bfloat16 convolution at all."""
    flags = cpu_flags() if flags is None else flags
    return bool(
        ("avx512_bf16" in flags and onednn_allows("AVX512_CORE_BF16"))
        or ("amx_bf16" in flags and onednn_allows("AVX512_CORE_AMX"))
    )
