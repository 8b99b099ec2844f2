"""The opt-in mixed_bfloat16 precision: how far it moves the reference, pinned."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.harness.parity import write_reference_inputs
from unetcheck.reference.model import unet_model
from unetcheck.reference.precision import precision


def test_mixed_bfloat16_differs_from_float32_by_a_pinned_amount(tmp_path):
    weights, batch = write_reference_inputs(tmp_path, num_images=8, seed=11)
    images = np.load(batch)["images"]
    logits = {}
    for policy in ("float32", "mixed_bfloat16"):
        with precision(policy):
            model = unet_model(input_size=32)
        model.load_weights(weights)
        logits[policy] = np.asarray(model(images, training=False)).astype(np.float32)
    assert keras.config.dtype_policy().name == "float32"  # restored
    scale = float(np.max(np.abs(logits["float32"])))
    gap = float(np.max(np.abs(logits["mixed_bfloat16"] - logits["float32"])))
    agree = float(np.mean(logits["mixed_bfloat16"].argmax(-1) == logits["float32"].argmax(-1)))
    # Measured: gap 0.072 at a logit scale of 4.4 (1.6%; bfloat16 keeps 8 bits of mantissa),
    # masks agree on 98.7% of pixels. Below 0.1% it would not be bf16 at all; above 5%, or
    # under 97% agreement, the opt-in would change the model too much to offer.
    assert 1e-3 * scale < gap < 5e-2 * scale, f"gap {gap:.3g} at scale {scale:.3g}"
    assert agree >= 0.97, f"masks agree on {agree:.2%}"


def test_unknown_precision():
    with pytest.raises(ValueError, match="precision must be one of"):
        with precision("float64"):
            pass
