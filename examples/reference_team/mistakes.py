"""What examples/harness holds this team to (`make test-team-reference_team`): the frameworks its
environment must not hold, and each planted mistake: its switches, the tests it must fail,
and the check whose failure names it."""

from teamrun import Mistake

ABSENT = ("torch", "jax")
MISTAKES = [
    Mistake(
        {"MASK_RESIZE": "bilinear"},
        {"test_preprocessing_matches_the_reference", "test_labels_in_range", "test_labels_in_range_for_any_trimap"},
        "assert_same_preprocessing",
    ),
    Mistake(
        {"SHIFT_LABELS": False},
        {"test_preprocessing_matches_the_reference", "test_labels_in_range", "test_labels_in_range_for_any_trimap"},
        "assert_same_preprocessing",
    ),
    Mistake({"PAIRED_FLIP": False}, {"test_flip_is_paired"}, "assert_paired_flip"),
    Mistake({"FREEZE_ENCODER": False}, {"test_encoder_stays_frozen"}, "assert_frozen"),
]
