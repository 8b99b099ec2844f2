"""Moved to `unetcheck.metrics.boundary`: this path works for one more release, with a DeprecationWarning."""

from unetcheck._moved import moved

__getattr__ = moved(__name__)
