"""What examples/harness holds this team to (`make test-team-tfkeras_team`): the frameworks its
environment must not hold, and each planted mistake: its switches, the tests it must fail,
and the check whose failure names it."""

from teamrun import Mistake

ABSENT = ("torch", "jax")
MISTAKES = [
    Mistake(
        {"MASK_RESIZE": "bilinear"},
        {"test_labels_in_range", "test_preprocessing_matches_the_reference"},
        "assert_same_preprocessing",
    ),
    Mistake({"FREEZE_ENCODER": False}, {"test_encoder_stays_frozen"}, "assert_frozen"),
    Mistake({"SOFTMAX_HEAD": True}, {"test_outputs_fit_the_loss"}, "assert_outputs_fit_loss"),
    Mistake(
        {"LEARNING_RATE": 0.0},
        {"test_every_trainable_weight_learns", "test_loss_decreases", "test_overfits_one_batch"},
        "assert_all_trainable_change",
    ),
]
