"""The version, in one place: setuptools reads it without importing the package."""

__version__ = "0.4.0"
