"""The one exception type for bad input from a user: a file, a data source, an argument.

A subclass of `ValueError`, so callers catch it as one; the command line reports it as
bad input (exit 2, no traceback) and lets every other error show its traceback.
"""


class InputError(ValueError):
    """Bad input from the user, worded so that they can fix it."""
