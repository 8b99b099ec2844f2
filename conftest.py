"""Suite-wide settings: TensorFlow's oneDNN kernels, hypothesis profiles.

On x86 the suite asks TensorFlow for its oneDNN kernels before anything imports it, as the
command line does (`unetcheck.reference.onednn`): TensorFlow leaves them off on AVX2 CPUs,
where they train the reference faster (docs/performance.md). `TF_ENABLE_ONEDNN_OPTS=0
pytest` runs the suite on Eigen's kernels instead.

The `gpu` marker with its skip-with-reason (asked for by `unetcheck_gpu = "keras"` in
pyproject.toml) and the reference fixtures come from unetcheck's own pytest plugin
(`unetcheck.pytest_plugin`, loaded through its entry point once the package is installed;
pass `-p unetcheck.pytest_plugin` where it is only on the path). Test order is random
(pytest-randomly; the seed is printed, `-p no:randomly` turns it off).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.harness import import_before_pytester
from unetcheck.reference.onednn import prefer_onednn

prefer_onednn()  # nothing above imports TensorFlow (tests/reference/test_onednn.py checks it took effect)

pytest_plugins = ["pytester"]  # tests/test_pytest_plugin.py runs projects under pytester

# Derandomized and bounded so a run is the same everywhere; "dev" explores more.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=20,
    deadline=None,  # TensorFlow's first call traces graphs: wall time per example varies
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", parent=settings.get_profile("ci"), derandomize=False, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def _imported_before_pytester() -> None:
    import_before_pytester()


@pytest.fixture
def pytester(_imported_before_pytester: None, pytester: pytest.Pytester) -> pytest.Pytester:
    """pytester, after what its in-process runs import has been imported once (see
    `import_before_pytester`): only in the workers that run such tests, not at collection."""
    return pytester


#: The marks of the files that start first.
LONG_MARKS = ("backends", "distributed", "long")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long files (the `backends`, `distributed` and `long` marks) first, after
    pytest-randomly's shuffle: pytest-xdist (with `--no-loadscope-reorder`) then starts them
    first, and no worker idles at the end while the other runs one of them. Within each group
    the random order stays (a stable sort)."""
    items.sort(key=lambda item: not any(item.get_closest_marker(mark) for mark in LONG_MARKS))
