"""What examples/harness holds this team to (`make test-team-smp_team`): the frameworks its
environment must not hold, and each planted mistake: its switches, the tests it must fail,
and the check whose failure names it."""

from teamrun import Mistake

ABSENT = ("tensorflow", "keras", "jax")
MISTAKES = [
    Mistake({"EVAL_FROZEN_ENCODER": False}, {"test_encoder_stays_frozen"}, "assert_frozen"),
    Mistake({"SOFTMAX_BEFORE_LOSS": True}, {"test_mask_logits_fit_the_dice_loss"}, "assert_outputs_fit_loss"),
    Mistake(
        {"LEARNING_RATE": 0.0}, {"test_decoder_and_heads_learn", "test_loss_decreases"}, "assert_all_trainable_change"
    ),
]
