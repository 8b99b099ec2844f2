"""What examples/harness holds this team to (`make test-team-keras_team`): the frameworks its
environment must not hold, and each planted mistake: its switches, the tests it must fail,
and the check whose failure names it."""

from teamrun import Mistake

ABSENT = ("torch", "jax")
MISTAKES = [
    Mistake({"PAIRED_FLIP": False}, {"test_flip_is_paired"}, "assert_paired_flip"),
    Mistake({"SOFTMAX_HEAD": False}, {"test_outputs_fit_the_loss"}, "assert_outputs_fit_loss"),
    Mistake(
        {"MASK_RESIZE": "bilinear"},
        {"test_preprocessing_matches_the_reference", "test_labels_in_range"},
        "assert_same_preprocessing",
    ),
    Mistake({"FREEZE_ENCODER": False}, {"test_encoder_stays_frozen"}, "assert_frozen"),
    Mistake({"IGNORE_VOID": False}, {"test_loss_ignores_the_void_band"}, "assert_loss_ignores"),
    Mistake({"REPEAT": False}, {"test_loss_decreases"}, "assert_loss_decreases"),
    Mistake({"CLASS_WEIGHTS": [0.0, 1.0]}, {"test_overfits_one_batch"}, "assert_overfits_batch"),
]
