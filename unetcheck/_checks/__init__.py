"""Implementation of `unetcheck.checks`, by subject: data, model, training."""
