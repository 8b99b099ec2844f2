"""The main job's settings: one place for each, its command-line option and help read from
it, and bad values refused by name."""

from __future__ import annotations

import argparse

import pytest

from unetcheck.errors import InputError
from unetcheck.job.cli import build_parser
from unetcheck.job.config import (
    QUICK,
    VERIFY_OPTIONS,
    VerifyConfig,
    describe,
    overrides,
    parse_class_weights,
    parse_weights,
)


def test_the_verify_options_are_the_configs_settings_with_their_help():
    args = build_parser().parse_args(
        ["verify", "--batch-size", "4", "--sync-batchnorm", "--weights", "none", "--class-weights", "2,2,1"]
    )
    assert overrides(args) == {"batch_size": 4, "sync_batchnorm": True, "class_weights": (2.0, 2.0, 1.0)}
    assert VerifyConfig(**overrides(args)).epochs == VerifyConfig().epochs  # unset: the config's default
    text = build_parser()._subparsers._group_actions[0].choices["verify"].format_help()
    for name in VERIFY_OPTIONS:
        assert f"--{name.replace('_', '-')}" in text
    assert "--min-loss-drop" not in text  # the pass thresholds are settings, not options


def test_the_help_shows_each_default_from_the_config():
    text = build_parser()._subparsers._group_actions[0].choices["verify"].format_help()
    assert f"(default {VerifyConfig().epochs})" in " ".join(text.split())
    assert describe(QUICK) == "64x64, 128 images, 10 epochs"
    assert VerifyConfig.quick(epochs=2).size == QUICK["size"] and VerifyConfig.quick(epochs=2).epochs == 2


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("strategy", "mirror", "strategy must be one of"),
        ("precision", "float16", "precision must be one of"),
        ("learning_rate", 0.0, "learning_rate must be a number > 0; got 0.0"),
        ("epochs", 0, "epochs must be a positive int; got 0"),
        ("batch_size", True, "batch_size must be a positive int; got True"),
        ("num_test", 2.5, "num_test must be a positive int; got 2.5"),
    ],
)
def test_a_bad_setting_is_refused_by_name(setting, value, message):
    with pytest.raises(InputError, match=message):
        VerifyConfig(**{setting: value})


def test_the_option_parsers_read_none_numbers_and_paths():
    assert parse_class_weights("none") is None and parse_class_weights("2,2,1") == (2.0, 2.0, 1.0)
    with pytest.raises(argparse.ArgumentTypeError, match="class weights must be 'none' or numbers"):
        parse_class_weights("2,x")
    assert parse_weights("None") is None and parse_weights("w.h5") == "w.h5"
    assert VerifyConfig(data_seed=None, seed=4).synthetic_seed == 4 and VerifyConfig(data_seed=1).synthetic_seed == 1
