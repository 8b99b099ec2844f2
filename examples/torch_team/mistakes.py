"""What examples/harness holds this team to (`make test-team-torch_team`): the frameworks its
environment must not hold, and each planted mistake: its switches, the tests it must fail,
and the check whose failure names it."""

from teamrun import Mistake

ABSENT = ("tensorflow", "keras", "jax")
MISTAKES = [
    Mistake({"EVAL_FOR_INFERENCE": False}, {"test_inference_ignores_the_batch"}, "assert_batch_independent"),
    Mistake({"EVAL_FROZEN_ENCODER": False}, {"test_encoder_stays_frozen"}, "assert_frozen"),
    Mistake({"LOAD_INTO_ENCODER": False}, {"test_encoder_checkpoint_is_loaded"}, "assert_state_loaded"),
    Mistake({"UNUSED_PARAMETER": True}, {"test_every_trainable_parameter_learns"}, "assert_all_trainable_change"),
    Mistake({"PAIRED_FLIP": False}, {"test_flip_is_paired"}, "assert_paired_flip"),
    Mistake(
        {"SHIFT_LABELS": False},
        {"test_preprocessing_matches_the_reference", "test_labels_in_range"},
        "assert_labels_in_range",
    ),
    Mistake({"MASK_RESIZE": "nearest"}, {"test_preprocessing_matches_the_reference"}, "assert_same_preprocessing"),
    Mistake({"IGNORE_VOID": False}, {"test_loss_leaves_void_pixels_out"}, "assert_loss_ignores"),
    Mistake({"MIN_PET_SHARE": 0.1}, {"test_training_data_is_the_recorded_data"}, "assert_same_data"),
    Mistake({"CYCLE_LOADER": False}, {"test_loss_decreases"}, "assert_loss_decreases"),
    Mistake({"NOISE_STD": 40}, {"test_training_data_is_the_recorded_data"}, "assert_same_data"),
]
