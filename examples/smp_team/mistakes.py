"""What `make test-team-smp_team` holds this team to (examples/harness/test_team.py)."""

ABSENT = ("tensorflow", "keras", "jax")
PASSED = 6
MISTAKES = [
    # (switches, tests to run (-k), tests that must fail, a message one of them must give)
    ({"EVAL_FROZEN_ENCODER": False}, "frozen", {"test_encoder_stays_frozen"}, "BatchNorm statistics"),
    ({"SOFTMAX_BEFORE_LOSS": True}, "dice", {"test_mask_logits_fit_the_dice_loss"}, "from_logits=True, but all"),
    ({"LEARNING_RATE": 0.0}, "decreases or learn", {"test_loss_decreases", "test_decoder_and_heads_learn"},
     "did not change in training"),
]
