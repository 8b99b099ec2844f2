"""The example teams that run in this suite's environment (on the reference, a keras.io-style
model, a PyTorch U-Net) under pytester: each correct project passes, and each planted
mistake fails the right check with a message that points at the cause. The teams on other
libraries run in venvs of their own (examples/harness, `make test-teams`)."""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

from examples.harness.teamrun import copy_project
# The runs of a project with a mistake skip Hypothesis's shrinking (5 s for each failing
# property test): which tests fail, and what they say, is asserted, not the smallest example.
NO_SHRINK = "unetcheck-examples-no-shrink"
settings.register_profile(NO_SHRINK, parent=settings(), phases=[Phase.explicit, Phase.reuse, Phase.generate])


def _failures(pytester: pytest.Pytester, *args: str) -> dict[str, str]:
    """Runs the project's suite in-process; returns `{test name: failure text}`."""
    previous = settings.get_current_profile_name()
    try:
        _, _, failed = pytester.inline_run("--hypothesis-profile", NO_SHRINK, *args).listoutcomes()
    finally:
        settings.load_profile(previous)  # the inner run loaded its profile for the whole process
    return {report.nodeid.split("::")[-1]: report.longreprtext for report in failed}


@pytest.mark.parametrize("name, passed, gpu_reason", [
    ("reference_consumer", 5, "no GPU visible to the Keras 'tensorflow' backend"),
    ("keras_consumer", 5, None),
    ("torch_consumer", 9, "no GPU visible to torch"),
])
def test_correct_project_passes(pytester, name, passed, gpu_reason):
    copy_project(pytester, name)
    result = pytester.runpytest()
    result.assert_outcomes(passed=passed, skipped=1 if gpu_reason else 0)
    if gpu_reason:
        result.stdout.fnmatch_lines([f"*SKIPPED*{gpu_reason}*"])


PREPROCESSING = {"test_preprocessing_matches_the_reference", "test_labels_in_range"}
MISTAKES = [
    # (project, switches, tests to run (-k), tests that must fail, a message one of them must give)
    ("reference_consumer", {"MASK_RESIZE": "bilinear"}, "not frozen",
     PREPROCESSING | {"test_labels_in_range_for_any_trimap"}, "resize masks with method='nearest'"),
    ("reference_consumer", {"SHIFT_LABELS": False}, "not frozen",
     PREPROCESSING | {"test_labels_in_range_for_any_trimap"}, "trimap labels 1..3 were not shifted to 0..2"),
    ("reference_consumer", {"PAIRED_FLIP": False}, "flip", {"test_flip_is_paired"},
     "flipped differently from their masks"),
    ("reference_consumer", {"FREEZE_ENCODER": False}, "frozen", {"test_encoder_stays_frozen"},
     "arrays of frozen 'encoder' changed"),
    ("keras_consumer", {"PAIRED_FLIP": False}, "flip", {"test_flip_is_paired"},
     "Draw one random decision per example and apply it to both image and mask"),
    ("keras_consumer", {"SOFTMAX_HEAD": False}, "outputs", {"test_outputs_fit_the_loss"},
     "from_logits=False, but"),
    ("keras_consumer", {"MASK_RESIZE": "bilinear"}, "preprocessing or labels", PREPROCESSING,
     "a mask resized bilinearly invents labels"),
    ("torch_consumer", {"EVAL_FOR_INFERENCE": False}, "inference", {"test_inference_ignores_the_batch"},
     "model.eval() forgotten?"),
    ("torch_consumer", {"EVAL_FROZEN_ENCODER": False}, "frozen", {"test_encoder_stays_frozen"},
     "BatchNorm statistics"),
    ("torch_consumer", {"LOAD_INTO_ENCODER": False}, "checkpoint", {"test_encoder_checkpoint_is_loaded"},
     "strict=False"),
    ("torch_consumer", {"UNUSED_PARAMETER": True}, "learns", {"test_every_trainable_parameter_learns"},
     "did not change in training: ['temperature']"),
    ("torch_consumer", {"PAIRED_FLIP": False}, "flip", {"test_flip_is_paired"}, "flipped differently"),
    ("torch_consumer", {"SHIFT_LABELS": False}, "preprocessing or labels", PREPROCESSING,
     "must be shifted to 0..2"),
    ("torch_consumer", {"MASK_RESIZE": "nearest"}, "preprocessing", {"test_preprocessing_matches_the_reference"},
     "'nearest' instead of 'nearest-exact'"),
]


@pytest.mark.parametrize("name, switches, selection, failing, message", MISTAKES,
                         ids=[f"{m[0]}-{'-'.join(f'{k}={v}' for k, v in m[1].items())}" for m in MISTAKES])
def test_each_mistake_fails_the_right_check(pytester, name, switches, selection, failing, message):
    copy_project(pytester, name, **switches)
    failures = _failures(pytester, "-k", selection)
    assert set(failures) == failing
    assert any(message in text for text in failures.values()), failures
