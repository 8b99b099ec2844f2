"""What examples/harness holds this team to (`make test-team-monai_team`): the frameworks its
environment must not hold, and each planted mistake: its switches, the tests it must fail,
and the check whose failure names it."""

from teamrun import Mistake

ABSENT = ("tensorflow", "keras", "jax")
MISTAKES = [
    Mistake({"PAIRED_FLIP": False}, {"test_flip_is_paired"}, "assert_paired_flip"),
    Mistake({"SOFTMAX_HEAD": True}, {"test_outputs_fit_the_loss"}, "assert_outputs_fit_loss"),
    Mistake(
        {"LEARNING_RATE": 0.0},
        {"test_every_trainable_parameter_learns", "test_loss_decreases"},
        "assert_all_trainable_change",
    ),
    Mistake({"EVAL_FOR_INFERENCE": False}, {"test_inference_ignores_the_batch"}, "assert_batch_independent"),
]
