"""What examples/harness holds this team to (`make test-team-reference_consumer`): the frameworks its
environment must not hold, how many of its tests pass (and skip), and for each planted
mistake the tests it fails and the check that fails them."""

ABSENT = ("torch", "jax")
PASSED = 5
SKIPPED = 1
MISTAKES = [
    # (PLANTED_MISTAKES, tests to run (-k), tests that must fail, the check that fails them)
    ({"MASK_RESIZE": "bilinear"}, "not frozen", {"test_preprocessing_matches_the_reference", "test_labels_in_range", "test_labels_in_range_for_any_trimap"},
     "assert_same_preprocessing"),
    ({"SHIFT_LABELS": False}, "not frozen", {"test_preprocessing_matches_the_reference", "test_labels_in_range", "test_labels_in_range_for_any_trimap"},
     "assert_same_preprocessing"),
    ({"PAIRED_FLIP": False}, "flip", {"test_flip_is_paired"},
     "assert_paired_flip"),
    ({"FREEZE_ENCODER": False}, "frozen", {"test_encoder_stays_frozen"},
     "assert_frozen"),
]
