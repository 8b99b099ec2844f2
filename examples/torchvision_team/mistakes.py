"""What `make test-team-torchvision_team` holds this team to (examples/harness/test_team.py)."""

ABSENT = ("tensorflow", "keras", "jax")
PASSED = 8
MISTAKES = [
    # (switches, tests to run (-k), tests that must fail, a message one of them must give)
    ({"MASK_INTERPOLATION": "nearest"}, "preprocessing", {"test_preprocessing_matches_the_reference"},
     "'nearest' instead of 'nearest-exact'"),
    ({"MASK_AS_TV_TENSOR": False}, "flip", {"test_flip_is_paired"}, "flipped differently from their masks"),
    ({"AUX_IN_LOSS": False}, "learns", {"test_every_parameter_learns"}, "did not change in training: ['aux_classifier"),
    ({"EVAL_FOR_INFERENCE": False}, "inference", {"test_inference_ignores_the_batch"}, "model.eval() forgotten?"),
    ({"STRIP_MODULE_PREFIX": False}, "checkpoint", {"test_checkpoint_is_loaded"}, "strict=False"),
]
