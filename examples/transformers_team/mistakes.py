"""What examples/harness holds this team to (`make test-team-transformers_team`): the frameworks its
environment must not hold, and each planted mistake: its switches, the tests it must fail,
and the check whose failure names it."""

from teamrun import Mistake

ABSENT = ("tensorflow", "keras", "jax")
MISTAKES = [
    Mistake(
        {"REDUCE_LABELS": False},
        {"test_labels_in_range", "test_preprocessing_matches_the_reference"},
        "assert_labels_in_range",
    ),
    Mistake({"EVAL_FOR_INFERENCE": False}, {"test_inference_ignores_the_batch"}, "assert_batch_independent"),
    Mistake(
        {"LEARNING_RATE": 0.0},
        {"test_every_trainable_parameter_learns", "test_loss_decreases"},
        "assert_all_trainable_change",
    ),
]
