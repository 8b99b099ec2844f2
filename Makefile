# Two commands do all set-up on a fresh machine: `make verify` (the main job) and
# `make test` (the suite). Each creates or reuses .venv and installs what it needs:
# verify the reference pipeline alone, test everything the suite runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The PyTorch example team's environment: unetcheck's checks, torch, no TensorFlow.
TORCH_VENV ?= .venv-torch

# The example teams on other libraries, each in a venv of its own (.venv-TEAM) holding
# unetcheck's base install, the team's libraries and pytest: nothing else.
TEAMS := smp_team torchvision_team transformers_team monai_team tfkeras_team flax_team

.PHONY: verify test test-suite test-stage2 test-torch-team test-teams test-gpu bench-metrics clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.reference: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[reference]"
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.reference

verify: $(VENV)/.reference
	$(BIN)/unetcheck verify $(ARGS)

test: test-suite test-stage2 test-torch-team test-teams

test-suite: $(VENV)/.test
	$(BIN)/python -m pytest $(ARGS)

test-stage2: $(VENV)/.test
	$(BIN)/python -m pytest -m "backends or distributed" $(ARGS) || [ $$? -eq 5 ]  # 5: ARGS selected none here

$(TORCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TORCH_VENV)
	$(TORCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TORCH_VENV)/bin/python -m pip install --quiet -e . "torch==2.13.0" "albumentations>=2.0,<3" "pytest>=8"
	touch $@

test-torch-team: $(TORCH_VENV)/.installed
	cd examples/torch_consumer && ../../$(TORCH_VENV)/bin/python -m pytest
	$(TORCH_VENV)/bin/python -c "import importlib.util as u; assert u.find_spec('tensorflow') is None and u.find_spec('keras') is None, 'TensorFlow or Keras in the PyTorch venv'"

.venv-%/.installed: examples/%/requirements.txt pyproject.toml
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-$*/bin/python -m pip install --quiet -e . -r examples/$*/requirements.txt "pytest>=8"
	touch $@

.PRECIOUS: .venv-%/.installed

# Each team's correct project passes and each of its planted mistakes fails the right check.
test-team-%: .venv-%/.installed
	cd examples/harness && TEAM=$* ../../.venv-$*/bin/python -m pytest

test-teams: $(TEAMS:%=test-team-%)

test-gpu: $(VENV)/.test
	$(BIN)/python -m pytest -m gpu -n 0 $(ARGS)  # one process owns the GPU

# The metrics against MONAI and torchmetrics (benchmarks/metrics, pytest-benchmark), in the
# suite's environment (it holds both); `make bench-metrics ARGS="--benchmark-json=bench.json"`.
# The suite runs it once on small masks (tests/bench/test_metrics_benchmark.py).
bench-metrics: $(VENV)/.test
	cd benchmarks/metrics && ../../$(BIN)/python -m pytest -c pytest.ini $(ARGS)

clean:
	rm -rf $(VENV) $(TORCH_VENV) $(TEAMS:%=.venv-%) .pytest_cache .hypothesis
