"""Moved to `unetcheck.metrics.per_image`: this path works for one more release, with a DeprecationWarning."""

from unetcheck._moved import moved

__getattr__ = moved(__name__)
