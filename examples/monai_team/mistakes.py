"""What `make test-team-monai_team` holds this team to (examples/harness/test_team.py)."""

ABSENT = ("tensorflow", "keras", "jax")  # a PyTorch team installs neither
PASSED = 10
MISTAKES = [
    # (switches, tests to run (-k), tests that must fail, a message one of them must give)
    ({"PAIRED_FLIP": False}, "flip", {"test_flip_is_paired"}, "flipped differently from their masks"),
    ({"SOFTMAX_HEAD": True}, "fit_the_loss", {"test_outputs_fit_the_loss"},
     "from_logits=True, but all"),
    ({"LEARNING_RATE": 0.0}, "decreases or learns", {"test_loss_decreases", "test_every_trainable_parameter_learns"},
     "did not change in training"),
    ({"EVAL_FOR_INFERENCE": False}, "inference", {"test_inference_ignores_the_batch"}, "model.eval() forgotten?"),
]
