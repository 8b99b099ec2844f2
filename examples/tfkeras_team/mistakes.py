"""What examples/harness holds this team to (`make test-team-tfkeras_team`): the frameworks its
environment must not hold, how many of its tests pass (and skip), and for each planted
mistake the tests it fails and the check that fails them."""

ABSENT = ("torch", "jax")
PASSED = 10
SKIPPED = 0
MISTAKES = [
    # (PLANTED_MISTAKES, tests to run (-k), tests that must fail, the check that fails them)
    ({"MASK_RESIZE": "bilinear"}, "preprocessing or labels", {"test_labels_in_range", "test_preprocessing_matches_the_reference"},
     "assert_same_preprocessing"),
    ({"FREEZE_ENCODER": False}, "frozen", {"test_encoder_stays_frozen"},
     "assert_frozen"),
    ({"SOFTMAX_HEAD": True}, "fit_the_loss", {"test_outputs_fit_the_loss"},
     "assert_outputs_fit_loss"),
    ({"LEARNING_RATE": 0.0}, "decreases or learns or overfits", {"test_every_trainable_weight_learns", "test_loss_decreases", "test_overfits_one_batch"},
     "assert_all_trainable_change"),
]
