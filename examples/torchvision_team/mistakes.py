"""What examples/harness holds this team to (`make test-team-torchvision_team`): the frameworks its
environment must not hold, and each planted mistake: its switches, the tests it must fail,
and the check whose failure names it."""

from teamrun import Mistake

ABSENT = ("tensorflow", "keras", "jax")
MISTAKES = [
    Mistake(
        {"MASK_INTERPOLATION": "nearest"}, {"test_preprocessing_matches_the_reference"}, "assert_same_preprocessing"
    ),
    Mistake({"MASK_AS_TV_TENSOR": False}, {"test_flip_is_paired"}, "assert_paired_flip"),
    Mistake({"AUX_IN_LOSS": False}, {"test_every_parameter_learns"}, "assert_all_trainable_change"),
    Mistake({"EVAL_FOR_INFERENCE": False}, {"test_inference_ignores_the_batch"}, "assert_batch_independent"),
    Mistake({"STRIP_MODULE_PREFIX": False}, {"test_checkpoint_is_loaded"}, "assert_state_loaded"),
]
