"""The one JSON writer of everything unetcheck writes: strict RFC 8259, readable by any tool.

Python's `json` writes NaN and Infinity by default, which JavaScript's `JSON.parse` refuses
and `jq` turns into 1.8e308. The rule here, documented in docs/formats.md:

- a figure that is undefined (NaN: a class absent from both masks) is `null`;
- an infinite figure (a surface distance where a class is missed) is the string `"inf"`
  (or `"-inf"`); summaries carry a count of such misses instead wherever they can;
- NumPy scalars and arrays are written as numbers and lists.

`load` reads the files back, `null` and `"inf"` included, and older files that hold the
bare tokens NaN and Infinity.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

#: How an infinite float is written.
INF, MINUS_INF = "inf", "-inf"


def plain(value: Any) -> Any:
    """`value` with every float JSON can hold: NaN -> None, +-inf -> "inf"/"-inf", NumPy
    scalars and arrays -> Python numbers and lists, tuples -> lists, mapping keys -> str.

    Examples:
        >>> plain({"iou": float("nan"), "hd95": np.array([1.5, np.inf]), "n": np.int64(3)})
        {'iou': None, 'hd95': [1.5, 'inf'], 'n': 3}
    """
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return None
        if math.isinf(number):
            return INF if number > 0 else MINUS_INF
        return number
    return value


def dumps(value: Any, indent: int | None = 2) -> str:
    """`value` as strict JSON text (`plain`'s rule); raises ValueError on anything else."""
    return json.dumps(plain(value), indent=indent, allow_nan=False)


def dump(value: Any, path: str | os.PathLike, indent: int | None = 2) -> str:
    """Writes `value` as strict JSON to `path`; returns the path."""
    text = dumps(value, indent)
    with open(path, "w") as f:
        f.write(text + "\n")
    return os.fspath(path)


def load(path: str | os.PathLike) -> Any:
    """Reads a JSON file (the bare NaN and Infinity of older files accepted)."""
    with open(path) as f:
        return json.load(f)


def as_float(value: Any) -> float:
    """A figure read back: None -> NaN, "inf"/"-inf" -> +-inf, a number -> float."""
    if value is None:
        return math.nan
    if value == INF:
        return math.inf
    if value == MINUS_INF:
        return -math.inf
    return float(value)
