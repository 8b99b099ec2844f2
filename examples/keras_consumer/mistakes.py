"""What examples/harness holds this team to (`make test-team-keras_consumer`): the frameworks its
environment must not hold, how many of its tests pass (and skip), and for each planted
mistake the tests it fails and the check that fails them."""

ABSENT = ("torch", "jax")
PASSED = 9
SKIPPED = 0
MISTAKES = [
    # (PLANTED_MISTAKES, tests to run (-k), tests that must fail, the check that fails them)
    ({"PAIRED_FLIP": False}, "flip", {"test_flip_is_paired"},
     "assert_paired_flip"),
    ({"SOFTMAX_HEAD": False}, "outputs", {"test_outputs_fit_the_loss"},
     "assert_outputs_fit_loss"),
    ({"MASK_RESIZE": "bilinear"}, "preprocessing or labels", {"test_preprocessing_matches_the_reference", "test_labels_in_range"},
     "assert_same_preprocessing"),
    ({"FREEZE_ENCODER": False}, "frozen", {"test_encoder_stays_frozen"},
     "assert_frozen"),
    ({"IGNORE_VOID": False}, "void", {"test_loss_ignores_the_void_band"},
     "assert_loss_ignores"),
    ({"REPEAT": False}, "decreases", {"test_loss_decreases"},
     "assert_loss_decreases"),
    ({"CLASS_WEIGHTS": [0.0, 1.0]}, "overfits", {"test_overfits_one_batch"},
     "assert_overfits_batch"),
]
