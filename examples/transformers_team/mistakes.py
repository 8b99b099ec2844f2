"""What examples/harness holds this team to (`make test-team-transformers_team`): the frameworks its
environment must not hold, how many of its tests pass (and skip), and for each planted
mistake the tests it fails and the check that fails them."""

ABSENT = ("tensorflow", "keras", "jax")
PASSED = 7
SKIPPED = 0
MISTAKES = [
    # (PLANTED_MISTAKES, tests to run (-k), tests that must fail, the check that fails them)
    ({"REDUCE_LABELS": False}, "labels or preprocessing", {"test_labels_in_range", "test_preprocessing_matches_the_reference"},
     "assert_labels_in_range"),
    ({"EVAL_FOR_INFERENCE": False}, "inference", {"test_inference_ignores_the_batch"},
     "assert_batch_independent"),
    ({"LEARNING_RATE": 0.0}, "decreases or learns", {"test_every_trainable_parameter_learns", "test_loss_decreases"},
     "assert_all_trainable_change"),
]
