"""What examples/harness holds this team to (`make test-team-smp_team`): the frameworks its
environment must not hold, how many of its tests pass (and skip), and for each planted
mistake the tests it fails and the check that fails them."""

ABSENT = ("tensorflow", "keras", "jax")
PASSED = 6
SKIPPED = 0
MISTAKES = [
    # (PLANTED_MISTAKES, tests to run (-k), tests that must fail, the check that fails them)
    ({"EVAL_FROZEN_ENCODER": False}, "frozen", {"test_encoder_stays_frozen"},
     "assert_frozen"),
    ({"SOFTMAX_BEFORE_LOSS": True}, "dice", {"test_mask_logits_fit_the_dice_loss"},
     "assert_outputs_fit_loss"),
    ({"LEARNING_RATE": 0.0}, "decreases or learn", {"test_decoder_and_heads_learn", "test_loss_decreases"},
     "assert_all_trainable_change"),
]
