"""The one JSON writer: strict RFC 8259 output, and the values read back."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tests.harness import strict_loads
from unetcheck.metrics import strict_json


def test_strict_loads_refuses_what_json_dump_writes_by_default():
    with pytest.raises(ValueError, match="not JSON: NaN"):
        strict_loads(json.dumps({"x": float("nan")}))


def test_every_float_is_written_as_json_holds_it_and_read_back(tmp_path):
    value = {
        "nan": float("nan"),
        "inf": np.inf,
        "minus": -np.inf,
        "array": np.array([0.5, np.nan]),
        "int": np.int32(3),
        "flag": np.bool_(True),
        "nested": [(1.0, np.float32(2.5))],
    }
    path = strict_json.dump(value, tmp_path / "a.json")
    read = strict_loads((tmp_path / "a.json").read_text())
    assert read == {
        "nan": None,
        "inf": "inf",
        "minus": "-inf",
        "array": [0.5, None],
        "int": 3,
        "flag": True,
        "nested": [[1.0, 2.5]],
    }
    assert strict_json.load(path) == read
    assert [strict_json.as_float(v) for v in (None, "inf", "-inf", 2)] == [
        pytest.approx(math.nan, nan_ok=True),
        math.inf,
        -math.inf,
        2.0,
    ]


def test_files_written_before_the_rule_still_read(tmp_path):
    (tmp_path / "old.json").write_text('{"mean_hd95": Infinity, "iou": NaN}')
    old = strict_json.load(tmp_path / "old.json")
    assert old["mean_hd95"] == math.inf and math.isnan(old["iou"])
