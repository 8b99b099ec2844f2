"""What `make test-team-flax_team` holds this team to (examples/harness/test_team.py)."""

ABSENT = ("tensorflow", "keras", "torch")
PASSED = 7
MISTAKES = [
    # (switches, tests to run (-k), tests that must fail, a message one of them must give)
    ({"ANTIALIAS": True}, "preprocessing", {"test_preprocessing_matches_the_reference"}, "images differ by up to"),
    ({"EVAL_FROZEN_ENCODER": False}, "frozen", {"test_encoder_stays_frozen"}, "BatchNorm statistics"),
    ({"EVAL_FOR_INFERENCE": False}, "inference", {"test_inference_ignores_the_batch"}, "model.eval() forgotten?"),
    ({"LEARNING_RATE": 0.0}, "decreases or learns", {"test_loss_decreases", "test_every_decoder_parameter_learns"},
     "did not change in training"),
    ({"SHUFFLE_SEED": None}, "repeatable", {"test_training_is_repeatable"}, "differs between two runs"),
]
