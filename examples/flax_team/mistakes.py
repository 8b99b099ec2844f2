"""What examples/harness holds this team to (`make test-team-flax_team`): the frameworks its
environment must not hold, how many of its tests pass (and skip), and for each planted
mistake the tests it fails and the check that fails them."""

ABSENT = ("tensorflow", "keras", "torch")
PASSED = 7
SKIPPED = 0
MISTAKES = [
    # (PLANTED_MISTAKES, tests to run (-k), tests that must fail, the check that fails them)
    ({"ANTIALIAS": True}, "preprocessing", {"test_preprocessing_matches_the_reference"},
     "assert_same_preprocessing"),
    ({"EVAL_FROZEN_ENCODER": False}, "frozen", {"test_encoder_stays_frozen"},
     "assert_frozen"),
    ({"EVAL_FOR_INFERENCE": False}, "inference", {"test_inference_ignores_the_batch"},
     "assert_batch_independent"),
    ({"LEARNING_RATE": 0.0}, "decreases or learns", {"test_every_decoder_parameter_learns", "test_loss_decreases"},
     "assert_all_trainable_change"),
    ({"SHUFFLE_SEED": None}, "repeatable", {"test_training_is_repeatable"},
     "assert_deterministic"),
    ({"CYCLE_DATA": False}, "decreases", {"test_loss_decreases"},
     "assert_loss_decreases"),
]
