"""The opt-in mixed_bfloat16 precision: how far it moves the reference, pinned."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.harness.parity import write_reference_inputs
from unetcheck import hardware as devices
from unetcheck.reference.model import unet_model
from unetcheck.reference.precision import precision

AVX2 = frozenset({"avx2", "fma"})
AVX512 = frozenset({"avx2", "fma", "avx512f"})
SAPPHIRE_RAPIDS = AVX512 | {"avx512_bf16", "amx_tile", "amx_bf16"}
SIERRA_FOREST = AVX2 | {"avx_ne_convert"}  # AVX2 with bfloat16 conversions, no AVX-512


@pytest.mark.skipif(
    devices.onednn_refuses_bfloat16(),
    reason="ONEDNN_MAX_CPU_ISA caps oneDNN below the "
    "instructions its bfloat16 convolutions need on this CPU (test_an_isa_cap_refuses_bfloat16)",
)
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


@pytest.mark.parametrize(
    "flags, cap, refused",
    [
        (SAPPHIRE_RAPIDS, None, False),
        (SAPPHIRE_RAPIDS, "AVX2", True),
        (SAPPHIRE_RAPIDS, "AVX512_CORE", False),
        (AVX512, "avx2", True),
        (AVX2, "AVX2", False),  # no AVX512F: TensorFlow computes bfloat16 itself
        (SIERRA_FOREST, "AVX2", True),
        (SIERRA_FOREST, "AVX2_VNNI_2", False),
    ],
    ids=["spr-uncapped", "spr-AVX2", "spr-AVX512_CORE", "avx512-avx2", "avx2-AVX2", "srf-AVX2", "srf-AVX2_VNNI_2"],
)
def test_an_isa_cap_refuses_bfloat16(monkeypatch, flags, cap, refused):
    """Under ONEDNN_MAX_CPU_ISA=AVX2 on an AVX-512 CPU, TensorFlow gives bfloat16 convolutions to
    oneDNN, which then has none: the mixed_bfloat16 model failed in its first Conv2D with
    "could not create a primitive descriptor". The opt-in now says why, before any layer is built."""
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    if cap is None:
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    else:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    monkeypatch.setattr(devices, "cpu_flags", lambda: flags)
    assert devices.onednn_refuses_bfloat16() is refused
    if refused:
        with pytest.raises(ValueError, match=f"mixed_bfloat16 cannot run under ONEDNN_MAX_CPU_ISA={cap}"):
            with precision("mixed_bfloat16"):
                pass
        assert keras.config.dtype_policy().name == "float32"
        with precision("float32"):  # the cap takes nothing else away
            pass
    else:
        with precision("mixed_bfloat16"):
            assert keras.config.dtype_policy().name == "mixed_bfloat16"


def test_the_refusal_names_the_variable_that_set_the_cap(monkeypatch):
    """oneDNN still reads its older name, DNNL_MAX_CPU_ISA: the message names the one set."""
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.setenv("DNNL_MAX_CPU_ISA", "AVX2")
    monkeypatch.setattr(devices, "cpu_flags", lambda: SAPPHIRE_RAPIDS)
    with pytest.raises(ValueError, match="cannot run under DNNL_MAX_CPU_ISA=AVX2: "):
        with precision("mixed_bfloat16"):
            pass


def test_unknown_precision():
    with pytest.raises(ValueError, match="precision must be one of"):
        with precision("float64"):
            pass
