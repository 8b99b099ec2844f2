"""What `make test-team-transformers_team` holds this team to (examples/harness/test_team.py)."""

ABSENT = ("tensorflow", "keras", "jax")
PASSED = 7
MISTAKES = [
    # (switches, tests to run (-k), tests that must fail, a message one of them must give)
    ({"REDUCE_LABELS": False}, "labels or preprocessing",
     {"test_labels_in_range", "test_preprocessing_matches_the_reference"}, "must be shifted to 0..2"),
    ({"EVAL_FOR_INFERENCE": False}, "inference", {"test_inference_ignores_the_batch"}, "model.eval() forgotten?"),
    ({"LEARNING_RATE": 0.0}, "decreases or learns", {"test_loss_decreases", "test_every_trainable_parameter_learns"},
     "did not change in training"),
]
