"""Two layers that compute the tutorial's decoder faster without changing its function.

`SkipConv2DTranspose` is `Conv2DTranspose(Concatenate()([x, skip]))` with the same kernel,
computed as a sum of one transposed convolution per input over the kernel's channel
slices: the result is the same sum of products, and the gradient with respect to a
frozen skip (which nothing needs) is no longer computed inside the concatenated one.
With few filters (kh * kw * filters below the input channels: the last layer) it is one
matmul per input to the kernel-tap products, then a transposed convolution of those
with an identity kernel. Where TensorFlow runs oneDNN without AVX-512, the kernel gradient
is one matmul of the output gradient's patches with the input (`_with_gemm_filter_gradient`).
`FusedBatchNormalization` is Keras's BatchNormalization run through TensorFlow's fused
kernel (one oneDNN primitive, which grappler also fuses with the following ReLU or into
the preceding convolution at inference) instead of Keras's chain of element-wise ops,
where TensorFlow runs its oneDNN ops (`fused_kernel_is_faster`). Without them (Eigen's
kernels) the two forms trained equally fast, so there the layer computes as Keras's does.
Both keep the weights, their shapes and order, and the moving-statistics rule; outputs
differ from the tutorial's layers only by float rounding (tests/reference/test_fast_layers.py).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="unetcheck")
class SkipConv2DTranspose(keras.layers.Conv2DTranspose):
    """`Conv2DTranspose` of the channel concatenation of a list of inputs, without the concatenation.

    Called on one tensor it is a plain `Conv2DTranspose`. Called on `[x, skip, ...]` its
    kernel has the concatenation's channel count (so the weights equal those of
    `Conv2DTranspose` after `Concatenate`), and the output is the sum of each input's
    transposed convolution with its slice of the kernel. channels_last only.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.data_format != "channels_last":
            raise ValueError("SkipConv2DTranspose supports data_format='channels_last' only")
        self.input_spec = None  # one tensor or a list: checked in build
        self._splits: list[int] | None = None

    def build(self, input_shape: Any) -> None:
        if _is_shape_list(input_shape):
            spatial = [tuple(shape[:-1]) for shape in input_shape]
            if any(s[1:] != spatial[0][1:] for s in spatial):
                raise ValueError(f"SkipConv2DTranspose inputs must share their spatial dimensions; got {input_shape}")
            self._splits = [int(shape[-1]) for shape in input_shape]
            input_shape = spatial[0] + (sum(self._splits),)
        super().build(input_shape)
        self.input_spec = None  # a list of inputs: checked above

    def compute_output_shape(self, input_shape: Any) -> Any:
        if _is_shape_list(input_shape):
            input_shape = tuple(input_shape[0][:-1]) + (sum(int(s[-1]) for s in input_shape),)
        return super().compute_output_shape(input_shape)

    def call(self, inputs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)):
            return super().call(inputs)
        if self._splits is None or [int(x.shape[-1]) for x in inputs] != self._splits:
            raise ValueError(
                f"{self.name} was built for input channels {self._splits}; got {[x.shape[-1] for x in inputs]}"
            )
        offsets = list(itertools.accumulate(self._splits[:-1]))
        kernels = ops.split(self.kernel, offsets, axis=-1) if offsets else [self.kernel]
        if self.through_taps:
            outputs = self._through_taps(inputs, kernels)
        else:
            outputs = functools.reduce(ops.add, map(self._conv_transpose, inputs, kernels))
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1,) * (self.rank + 1) + (self.filters,)))
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    @property
    def _taps(self) -> int:
        """Kernel-tap products per input pixel: kh * kw * filters."""
        return self.kernel_size[0] * self.kernel_size[1] * self.filters

    @property
    def through_taps(self) -> bool:
        """Whether a list input goes through the kernel-tap products (`_through_taps`):
        kh * kw * filters below the input channels, as in the tutorial's last layer.
        False until the layer is built for a list."""
        return self._splits is not None and self._taps < sum(self._splits)

    def _conv_transpose(self, x: Any, kernel: Any) -> Any:
        def forward(x: Any, kernel: Any) -> Any:
            return ops.conv_transpose(
                x,
                kernel,
                strides=list(self.strides),
                padding=self.padding,
                output_padding=self.output_padding,
                dilation_rate=self.dilation_rate,
                data_format=self.data_format,
            )

        if (
            keras.backend.backend() == "tensorflow"
            and self.padding == "same"
            and self.output_padding is None
            and tuple(self.dilation_rate) == (1, 1)
            and None not in tuple(x.shape[1:3])  # pads need the size
            and gemm_filter_gradient_is_faster()
        ):
            return _with_gemm_filter_gradient(forward, x, kernel, tuple(self.kernel_size), tuple(self.strides))
        return forward(x, kernel)

    def _through_taps(self, inputs: Sequence[Any], kernels: Sequence[Any]) -> Any:
        """Few filters (the tutorial's last layer: 3): each input times its kernel slice as
        one matmul to the `_taps` = kh * kw * filters products per pixel, summed, then one
        transposed convolution of those with the identity kernel, which places each product
        where the kernel tap sends it. Same products and sums; the convolution primitive,
        slow at 3 output channels, now handles `taps` input channels instead of hundreds.
        """

        def tap_products(x: Any, kernel: Any) -> Any:
            channels = int(kernel.shape[-1])
            matrix = ops.reshape(ops.transpose(kernel, (3, 0, 1, 2)), (channels, taps))
            return ops.matmul(ops.reshape(x, (-1, channels)), matrix)

        kh, kw, taps = *self.kernel_size, self._taps
        products = functools.reduce(ops.add, map(tap_products, inputs, kernels))
        products = ops.reshape(products, tuple(ops.shape(inputs[0])[:-1]) + (taps,))
        identity = ops.reshape(ops.eye(taps, dtype=products.dtype), (kh, kw, self.filters, taps))
        return self._conv_transpose(products, identity)


def _with_gemm_filter_gradient(
    forward: Any, x: Any, kernel: Any, size: tuple[int, int], strides: tuple[int, int]
) -> Any:
    """`forward(x, kernel)`, a "same" transposed convolution, whose kernel gradient is one
    matmul of the output gradient's patches (the pixels each kernel tap reads, as
    `tf.image.extract_patches` lays them out: rows, columns, channels) with the input: the
    same products and sums as TensorFlow's filter gradient. Its input gradient is
    TensorFlow's own (`tf.nn.conv2d` of the output gradient)."""
    import tensorflow as tf

    @tf.custom_gradient
    def conv_transpose(x: Any, kernel: Any) -> Any:
        y = forward(x, kernel)

        def grad(dy: Any) -> tuple[Any, Any]:
            dx = tf.nn.conv2d(dy, kernel, strides=[1, *strides, 1], padding="SAME")
            pads = [[0, 0]]
            for out, inp, k, s in zip(dy.shape[1:3], x.shape[1:3], size, strides):
                total = max((inp - 1) * s + k - out, 0)  # as TensorFlow pads a "same" convolution
                pads.append([total // 2, total - total // 2])
            patches = tf.image.extract_patches(
                tf.pad(dy, pads + [[0, 0]]), [1, *size, 1], [1, *strides, 1], [1, 1, 1, 1], "VALID"
            )
            taps = size[0] * size[1] * int(dy.shape[-1])
            dkernel = tf.matmul(
                tf.reshape(patches, (-1, taps)), tf.reshape(x, (-1, int(x.shape[-1]))), transpose_a=True
            )
            return dx, tf.reshape(dkernel, tf.shape(kernel))

        return y, grad

    return conv_transpose(tf.convert_to_tensor(x), tf.convert_to_tensor(kernel))  # a variable's value, read


def gemm_filter_gradient_is_faster() -> bool:
    """Whether one matmul beats oneDNN's filter gradient for the decoder's transposed
    convolutions: where TensorFlow runs oneDNN without AVX-512, whose AVX2 backward-weights
    kernel ran them at 53-63 GFLOP/s against 130-160 for a matmul (docs/performance.md)."""
    from unetcheck.hardware import onednn_avx512
    from unetcheck.reference.onednn import onednn_enabled

    return onednn_enabled() and not onednn_avx512()


def _is_shape_list(shape: Any) -> bool:
    return isinstance(shape, (list, tuple)) and len(shape) > 0 and isinstance(shape[0], (list, tuple))


@keras.saving.register_keras_serializable(package="unetcheck")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """BatchNormalization through TensorFlow's `FusedBatchNormV3` on the TensorFlow backend.

    Same weights, epsilon and momentum rule as Keras's layer, including the biased batch
    variance in the moving average (the fused kernel returns the unbiased one, corrected
    here). Falls back to Keras's own computation on other backends, where TensorFlow's oneDNN
    ops are off (`fused_kernel_is_faster`), for a mask, for a normalized axis other than the
    last, with renorm, for `synchronized=True` and for an epsilon under 1.001e-5 (which
    TensorFlow's fused op would silently raise).
    """

    def _fusable(self, inputs: Any, mask: Any) -> bool:
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        rank = len(inputs.shape)
        return (
            keras.backend.backend() == "tensorflow"
            and fused_kernel_is_faster()
            and mask is None
            and rank == 4
            and [a % rank for a in axes] == [rank - 1]
            and self.scale
            and self.center
            and not self.renorm
            and not self.synchronized
            and self.epsilon >= 1.001e-5
        )  # TensorFlow raises a smaller epsilon to this

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        if not self._fusable(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        x = ops.cast(inputs, "float32")  # as Keras's layer: statistics in float32 at least
        if training and self.trainable:
            y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                x, self.gamma, self.beta, epsilon=self.epsilon, is_training=True
            )
            count = ops.cast(ops.prod(ops.shape(x)[:-1]), "float32")
            variance = variance * (count - 1.0) / ops.maximum(count, 1.0)  # unbiased -> biased
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        else:
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                x,
                self.gamma,
                self.beta,
                mean=self.moving_mean,
                variance=self.moving_variance,
                epsilon=self.epsilon,
                is_training=False,
            )
        return ops.cast(y, self.compute_dtype)


def fused_kernel_is_faster() -> bool:
    """Whether TensorFlow's fused batch norm beats Keras's element-wise ops here: where
    TensorFlow runs its oneDNN ops, except on an AVX-512 CPU whose oneDNN is capped below
    AVX-512 (`ONEDNN_MAX_CPU_ISA`), where its AVX2 batch-norm kernel was measured slower
    (docs/performance.md)."""
    from unetcheck.hardware import cpu_flags, onednn_allows
    from unetcheck.reference.onednn import onednn_enabled

    capped_avx512 = "avx512f" in cpu_flags() and not onednn_allows("AVX512_CORE")
    return onednn_enabled() and not capped_avx512


def fuse_batchnorm(model: keras.Model) -> keras.Model:
    """Makes each plain `BatchNormalization` layer of `model` a `FusedBatchNormalization`, in place.

    The layer objects (weights, names, trainability, graph) stay; only the class whose
    `call` runs changes, to a subclass that adds no state: no rebuild of the model
    (`keras.models.clone_model`), which costs a build each time. Returns `model`.
    """
    for layer in model._flatten_layers(include_self=False):
        if type(layer) is keras.layers.BatchNormalization:
            layer.__class__ = FusedBatchNormalization
    return model
