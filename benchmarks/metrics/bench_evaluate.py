"""`unetcheck evaluate` on masks on disk, every metric, with 1 and 2 worker processes: what a
second core buys. The Cityscapes-sized case, written as PNG files (each of its masks six
times under other names: 48 images, a tenth of Cityscapes' validation set, so that the
workers' start, about 0.7 s each, is not most of the run)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from conftest import CASES
from unetcheck.job.evaluate import evaluate_folders

CASE = next(c for c in CASES if c.name.startswith("cityscapes"))
COPIES = 6


@pytest.fixture(scope="module")
def folders(case_data, tmp_path_factory):
    from PIL import Image

    truth, pred = case_data(CASE)
    root = tmp_path_factory.mktemp("evaluate")
    for copy in range(COPIES):
        for i, (t, p) in enumerate(zip(truth, pred)):
            for folder, labels in (("truth", t), ("pred", p)):
                (root / folder).mkdir(exist_ok=True)
                Image.fromarray(labels.astype(np.uint8)).save(root / folder / f"{copy}_{i}.png")
    return str(root / "truth"), str(root / "pred")


@pytest.mark.parametrize("workers", [1, 2])
def bench_evaluate_workers(measure, folders, workers):
    run = functools.partial(evaluate_folders, *folders, CASE.classes, workers=workers, progress=False)
    measure(CASE, "evaluate (every metric)", f"unetcheck, {workers} worker(s)", run, memory=False, args=(), rounds=3)
