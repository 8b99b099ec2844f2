"""The peak extra memory of one benchmark function, in a Python of its own so that nothing an
earlier benchmark freed (and the allocator kept) hides it:

    python peak_memory.py bench_metrics:_monai_surface CASE TRUTH.npy PRED.npy

prints the bytes. The function first runs on a 16-pixel corner of the first mask, so that its
imports are not counted, then on all the masks."""

from __future__ import annotations

import importlib
import sys

import numpy as np
from conftest import CASES

from unetcheck.bench.memory import peak_extra_bytes


def main(target: str, case_name: str, truth_path: str, pred_path: str) -> None:
    module, name = target.split(":")
    fn = getattr(importlib.import_module(module), name)
    case = next(c for c in CASES if c.name == case_name)
    truth, pred = np.load(truth_path), np.load(pred_path)
    corner = (slice(0, 1),) + (slice(0, 16),) * (truth.ndim - 1)
    fn(truth[corner], pred[corner], case)
    print(peak_extra_bytes(fn, truth, pred, case))


if __name__ == "__main__":
    main(*sys.argv[1:])
