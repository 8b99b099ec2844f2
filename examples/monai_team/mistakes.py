"""What examples/harness holds this team to (`make test-team-monai_team`): the frameworks its
environment must not hold, how many of its tests pass (and skip), and for each planted
mistake the tests it fails and the check that fails them."""

ABSENT = ("tensorflow", "keras", "jax")
PASSED = 10
SKIPPED = 0
MISTAKES = [
    # (PLANTED_MISTAKES, tests to run (-k), tests that must fail, the check that fails them)
    ({"PAIRED_FLIP": False}, "flip", {"test_flip_is_paired"},
     "assert_paired_flip"),
    ({"SOFTMAX_HEAD": True}, "fit_the_loss", {"test_outputs_fit_the_loss"},
     "assert_outputs_fit_loss"),
    ({"LEARNING_RATE": 0.0}, "decreases or learns", {"test_every_trainable_parameter_learns", "test_loss_decreases"},
     "assert_all_trainable_change"),
    ({"EVAL_FOR_INFERENCE": False}, "inference", {"test_inference_ignores_the_batch"},
     "assert_batch_independent"),
]
