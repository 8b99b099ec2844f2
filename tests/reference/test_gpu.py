"""GPU tests (`pytest -m gpu`): Keras API on in-memory arrays, any backend.

Skipped with the reason where the Keras backend sees no GPU (conftest.py). They import
no TensorFlow themselves, so they also run with KERAS_BACKEND=jax on a machine without it.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from unetcheck import calibrate_encoder, compile_model, create_mask, synthetic_example, unet_model
from unetcheck.checks import assert_loss_curve_falls
from unetcheck.reference.devices import on_cpu
from unetcheck.reference.precision import precision

pytestmark = pytest.mark.gpu

SIZE = 32


def _arrays(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic pets drawn at SIZE x SIZE, normalized as load_image does (no resize needed)."""
    examples = [synthetic_example((seed, i), SIZE, SIZE) for i in range(n)]
    images = np.stack([ex["image"] for ex in examples]).astype(np.float32) / 255.0
    masks = np.stack([ex["segmentation_mask"] for ex in examples]).astype(np.int32) - 1
    return images, masks


def _model(images: np.ndarray, seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = unet_model(input_size=SIZE)
    calibrate_encoder(model, images[:16])
    return compile_model(model)


def test_loss_decreases_on_the_gpu():
    images, masks = _arrays(64)
    model = _model(images)
    history = model.fit(images, masks, batch_size=8, epochs=5, verbose=0)
    # Same bar as the CPU test (tests/reference/test_train.py): measured drops are ~60%.
    assert_loss_curve_falls(history.history["loss"], 0.3)


def test_gpu_logits_equal_cpu_logits_for_the_same_weights():
    images, _ = _arrays(16, seed=1)
    gpu_model = _model(images)
    gpu_logits = np.asarray(gpu_model.predict(images, verbose=0))
    with on_cpu():
        cpu_model = unet_model(input_size=SIZE)
        cpu_model.set_weights(gpu_model.get_weights())
        cpu_logits = np.asarray(cpu_model.predict(images, verbose=0))
    scale = float(np.max(np.abs(cpu_logits)))
    max_diff = float(np.max(np.abs(gpu_logits - cpu_logits)))
    # GPUs run fp32 convolutions in TF32 (10-bit mantissa, ~5e-4 relative per op) by
    # default in TensorFlow and JAX; through ~60 layers that stays within 1% of the
    # logits' scale. Measured on an H100 (JAX 0.11.2, default precision): max diff 1.5e-3
    # at logit scale 3.6 (0.04%); 2.5e-6 with "highest" precision; masks agree on 99.988%.
    assert max_diff <= 1e-2 * scale, f"max |gpu - cpu| = {max_diff:.3g}, logit scale {scale:.3g}"
    agree = float(np.mean(np.asarray(create_mask(gpu_logits)) == np.asarray(create_mask(cpu_logits))))
    # Near-tie pixels may flip under TF32 rounding (2 of 16384 measured); 0.1% allowed.
    assert agree >= 0.999, f"argmax masks agree on {agree:.4%} of pixels"


def test_mixed_float16_stays_close_to_float32_and_trains():
    images, masks = _arrays(32, seed=2)
    reference = _model(images)
    with precision("mixed_float16"):
        half = unet_model(input_size=SIZE)
    assert half.get_layer("encoder").compute_dtype == "float16"
    half.set_weights(reference.get_weights())
    full_logits = np.asarray(reference.predict(images, verbose=0))
    half_logits = np.asarray(half.predict(images, verbose=0)).astype(np.float32)
    scale = float(np.max(np.abs(full_logits)))
    gap = float(np.max(np.abs(half_logits - full_logits)))
    # float16 keeps 10 bits of mantissa: measured on a CPU 0.23% of the logit scale, masks
    # agreeing on 99.8%. Below 1e-5 of the scale it would not be float16 at all; above 2%
    # (bfloat16's 8 bits give 1.6%) something runs in lower precision than asked.
    assert 1e-5 * scale < gap < 2e-2 * scale, f"gap {gap:.3g} at logit scale {scale:.3g}"
    agree = float(np.mean(half_logits.argmax(-1) == full_logits.argmax(-1)))
    assert agree >= 0.99, f"masks agree on {agree:.2%}"
    compile_model(half)
    history = half.fit(images, masks, batch_size=8, epochs=4, verbose=0)
    # The float32 bar of test_loss_decreases_on_the_gpu; loss scaling keeps float16 gradients alive.
    assert_loss_curve_falls(history.history["loss"], 0.3)
