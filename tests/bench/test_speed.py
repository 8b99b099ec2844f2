"""The benchmark's pieces (the benchmark itself never runs in the suite)."""

from __future__ import annotations

import numpy as np
import pytest

from unetcheck import hardware as devices
from unetcheck import synthetic_pets
from unetcheck.bench import speed
from unetcheck.bench.literal import literal_pipeline
from unetcheck.bench.machine import native_bfloat16
from unetcheck.bench.speed import BATCH_SIZES, bench_plan, format_bench, plot_bench

AVX2 = frozenset({"avx2", "fma"})  # the AVX2 runners': no native bfloat16
SAPPHIRE_RAPIDS = frozenset({"avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16"})


def test_literal_pipeline_is_the_tutorials_with_its_defects():
    images, masks = next(iter(literal_pipeline(synthetic_pets(num_train=4, num_test=1), size=64, batch_size=4)))
    assert images.shape == (4, 64, 64, 3) and masks.shape == (4, 64, 64, 1)
    masks = masks.numpy()
    assert masks.dtype == np.float32  # RandomFlip and the bilinear resize both give floats
    assert not np.isin(masks, [0.0, 1.0, 2.0]).all()  # labels that are no class, as the tutorial's


def _report():
    figures = {
        "train_img_s": 50.0,
        "predict_img_s": 100.0,
        "pipeline_img_s": 3000.0,
        "peak_rss_mb": 900.0,
        "roofline_fraction": 0.5,
    }
    return {
        "size": 128,
        "roofline_img_s": 100.0,
        "matmul_gflops": 350.0,
        "cores": 2,
        "cpu_flags": ["avx2"],
        "versions": {"tensorflow": "2.21.0"},
        "speedup_batch64": 1.0,
        "roofline_fraction_batch64": 0.5,
        "results": {"literal": {"8": figures, "64": figures}, "fast": {"8": figures, "64": figures}},
    }


def test_table_and_plot(tmp_path):
    table = format_bench(_report())
    assert "capped" not in table and "oneDNN off" not in table
    assert format_bench({**_report(), "onednn": False}).endswith("TF 2.21.0, oneDNN off (Eigen's kernels)")
    table = format_bench({**_report(), "onednn_max_cpu_isa": "AVX2"})
    assert "speedup_batch64 1.000 roofline_fraction_batch64 0.500" in table
    assert table.count("50.0") == 4
    assert table.endswith("TF 2.21.0, oneDNN capped at AVX2")
    plot_bench(_report(), str(tmp_path / "bench.png"))
    assert (tmp_path / "bench.png").stat().st_size > 5000


@pytest.fixture
def no_isa_cap(monkeypatch):
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    return monkeypatch


def test_bfloat16_is_timed_only_where_native_or_asked_for(no_isa_cap):
    assert not native_bfloat16(AVX2) and native_bfloat16(SAPPHIRE_RAPIDS)
    assert native_bfloat16(frozenset({"avx2", "amx_bf16"}))  # AMX alone computes bfloat16 too
    assert bench_plan(False, BATCH_SIZES, None, AVX2)[0] == ("literal", "stock", "fast")
    assert bench_plan(False, BATCH_SIZES, None, SAPPHIRE_RAPIDS)[0] == ("literal", "stock", "fast", "fast_bf16")
    assert bench_plan(False, BATCH_SIZES, True, AVX2)[0][-1] == "fast_bf16"  # --bf16 asks for it anyway
    assert "fast_bf16" not in bench_plan(False, BATCH_SIZES, False, SAPPHIRE_RAPIDS)[0]


@pytest.mark.parametrize(
    "cap, native",
    [("AVX2", False), ("avx512_core", False), ("AVX512_CORE_BF16", True), ("AVX10_1_512_AMX", True), ("ALL", True)],
)
def test_an_isa_cap_below_bfloat16_leaves_it_out(no_isa_cap, cap, native):
    """Under ONEDNN_MAX_CPU_ISA=AVX2 oneDNN has no bfloat16 convolution: timing it failed
    with "could not create a primitive descriptor for the convolution"."""
    no_isa_cap.setenv("ONEDNN_MAX_CPU_ISA", cap)
    assert native_bfloat16(SAPPHIRE_RAPIDS) is native
    assert ("fast_bf16" in bench_plan(False, BATCH_SIZES, None, SAPPHIRE_RAPIDS)[0]) is native


def test_bf16_asked_for_where_it_cannot_run_is_refused_before_any_timing(no_isa_cap):
    """`--bf16` under ONEDNN_MAX_CPU_ISA=AVX2 on an AVX-512 CPU: every bfloat16 convolution would
    fail, after the float32 paths had been timed for minutes."""
    no_isa_cap.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    no_isa_cap.setattr(devices, "cpu_flags", lambda: SAPPHIRE_RAPIDS)
    no_isa_cap.setattr(speed, "cpu_flags", lambda: SAPPHIRE_RAPIDS)
    no_isa_cap.setattr(speed, "matmul_gflops", lambda: pytest.fail("timing started before the refusal"))
    with pytest.raises(ValueError, match="mixed_bfloat16 cannot run under ONEDNN_MAX_CPU_ISA=AVX2"):
        speed.run_bench(quick=True, bf16=True, log=lambda line: None)


def test_quick_times_the_headline_pair_at_8_and_64_in_one_step_windows():
    paths, windows, steps, batch_sizes, bf16 = bench_plan(True, BATCH_SIZES, None, AVX2)
    assert (paths, windows, steps, batch_sizes, bf16) == (("literal", "fast"), 3, 1, (8, 64), False)
    assert bench_plan(False, BATCH_SIZES, None, AVX2)[1:4] == (7, 4, BATCH_SIZES)
