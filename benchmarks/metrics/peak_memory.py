"""The peak extra memory of one benchmark function, in a Python of its own so that nothing an
earlier benchmark freed (and the allocator kept) hides it:

    python peak_memory.py bench_metrics:_monai_surface CASE TRUTH.npy PRED.npy

prints the bytes. The function first runs on the first masks subsampled to about 32 pixels a
side, which takes every code path (and import) a full mask takes with little memory, so
that its imports are not counted; then on all the masks."""

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
    small = (slice(0, 1),) + tuple(slice(None, None, max(1, n // 32)) for n in truth.shape[1:])
    fn(np.ascontiguousarray(truth[small]), np.ascontiguousarray(pred[small]), case)
    print(peak_extra_bytes(fn, truth, pred, case))


if __name__ == "__main__":
    main(*sys.argv[1:])
