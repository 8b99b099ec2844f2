"""What examples/harness holds this team to (`make test-team-flax_team`): the frameworks its
environment must not hold, and each planted mistake: its switches, the tests it must fail,
and the check whose failure names it."""

from teamrun import Mistake

ABSENT = ("tensorflow", "keras", "torch")
MISTAKES = [
    Mistake({"ANTIALIAS": True}, {"test_preprocessing_matches_the_reference"}, "assert_same_preprocessing"),
    Mistake({"EVAL_FROZEN_ENCODER": False}, {"test_encoder_stays_frozen"}, "assert_frozen"),
    Mistake({"EVAL_FOR_INFERENCE": False}, {"test_inference_ignores_the_batch"}, "assert_batch_independent"),
    Mistake(
        {"LEARNING_RATE": 0.0},
        {"test_every_decoder_parameter_learns", "test_loss_decreases"},
        "assert_all_trainable_change",
    ),
    Mistake({"SHUFFLE_SEED": None}, {"test_training_is_repeatable"}, "assert_deterministic"),
    Mistake({"CYCLE_DATA": False}, {"test_loss_decreases"}, "assert_loss_decreases"),
]
