"""What examples/harness holds this team to (`make test-team-torch_consumer`): the frameworks its
environment must not hold, how many of its tests pass (and skip), and for each planted
mistake the tests it fails and the check that fails them."""

ABSENT = ("tensorflow", "keras", "jax")
PASSED = 11
SKIPPED = 1
MISTAKES = [
    # (PLANTED_MISTAKES, tests to run (-k), tests that must fail, the check that fails them)
    ({"EVAL_FOR_INFERENCE": False}, "inference", {"test_inference_ignores_the_batch"},
     "assert_batch_independent"),
    ({"EVAL_FROZEN_ENCODER": False}, "frozen", {"test_encoder_stays_frozen"},
     "assert_frozen"),
    ({"LOAD_INTO_ENCODER": False}, "checkpoint", {"test_encoder_checkpoint_is_loaded"},
     "assert_state_loaded"),
    ({"UNUSED_PARAMETER": True}, "learns", {"test_every_trainable_parameter_learns"},
     "assert_all_trainable_change"),
    ({"PAIRED_FLIP": False}, "flip", {"test_flip_is_paired"},
     "assert_paired_flip"),
    ({"SHIFT_LABELS": False}, "preprocessing or labels", {"test_preprocessing_matches_the_reference", "test_labels_in_range"},
     "assert_labels_in_range"),
    ({"MASK_RESIZE": "nearest"}, "preprocessing", {"test_preprocessing_matches_the_reference"},
     "assert_same_preprocessing"),
    ({"IGNORE_VOID": False}, "void", {"test_loss_leaves_void_pixels_out"},
     "assert_loss_ignores"),
    ({"MIN_PET_SHARE": 0.1}, "recorded_data", {"test_training_data_is_the_recorded_data"},
     "assert_same_data"),
    ({"CYCLE_LOADER": False}, "decreases", {"test_loss_decreases"},
     "assert_loss_decreases"),
    ({"NOISE_STD": 40}, "recorded_data", {"test_training_data_is_the_recorded_data"},
     "assert_same_data"),
]
