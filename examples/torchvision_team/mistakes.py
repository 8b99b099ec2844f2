"""What examples/harness holds this team to (`make test-team-torchvision_team`): the frameworks its
environment must not hold, how many of its tests pass (and skip), and for each planted
mistake the tests it fails and the check that fails them."""

ABSENT = ("tensorflow", "keras", "jax")
PASSED = 8
SKIPPED = 0
MISTAKES = [
    # (PLANTED_MISTAKES, tests to run (-k), tests that must fail, the check that fails them)
    ({"MASK_INTERPOLATION": "nearest"}, "preprocessing", {"test_preprocessing_matches_the_reference"},
     "assert_same_preprocessing"),
    ({"MASK_AS_TV_TENSOR": False}, "flip", {"test_flip_is_paired"},
     "assert_paired_flip"),
    ({"AUX_IN_LOSS": False}, "learns", {"test_every_parameter_learns"},
     "assert_all_trainable_change"),
    ({"EVAL_FOR_INFERENCE": False}, "inference", {"test_inference_ignores_the_batch"},
     "assert_batch_independent"),
    ({"STRIP_MODULE_PREFIX": False}, "checkpoint", {"test_checkpoint_is_loaded"},
     "assert_state_loaded"),
]
