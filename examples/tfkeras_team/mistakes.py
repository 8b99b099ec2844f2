"""What `make test-team-tfkeras_team` holds this team to (examples/harness/test_team.py)."""

ABSENT = ("torch", "jax")
PASSED = 10
MISTAKES = [
    # (switches, tests to run (-k), tests that must fail, a message one of them must give)
    ({"MASK_RESIZE": "bilinear"}, "preprocessing or labels",
     {"test_preprocessing_matches_the_reference", "test_labels_in_range"}, "resize masks with method='nearest'"),
    ({"FREEZE_ENCODER": False}, "frozen", {"test_encoder_stays_frozen"}, "arrays of frozen 'encoder' changed"),
    ({"SOFTMAX_HEAD": True}, "fit_the_loss", {"test_outputs_fit_the_loss"}, "from_logits=True, but all"),
    ({"LEARNING_RATE": 0.0}, "decreases or learns or overfits",
     {"test_loss_decreases", "test_every_trainable_weight_learns", "test_overfits_one_batch"},
     "did not change in training"),
]
