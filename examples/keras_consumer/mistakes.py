"""What examples/harness holds this team to (`make test-team-keras_consumer`): the frameworks its
environment must not hold, how many of its tests pass (and skip), and for each planted
mistake the tests it fails and the check that fails them."""

ABSENT = ("torch", "jax")
PASSED = 5
SKIPPED = 0
MISTAKES = [
    # (PLANTED_MISTAKES, tests to run (-k), tests that must fail, the check that fails them)
    ({"PAIRED_FLIP": False}, "flip", {"test_flip_is_paired"},
     "assert_paired_flip"),
    ({"SOFTMAX_HEAD": False}, "outputs", {"test_outputs_fit_the_loss"},
     "assert_outputs_fit_loss"),
    ({"MASK_RESIZE": "bilinear"}, "preprocessing or labels", {"test_preprocessing_matches_the_reference", "test_labels_in_range"},
     "assert_same_preprocessing"),
]
