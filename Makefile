# Two commands do all set-up on a fresh machine: `make verify` (the main job) and
# `make test` (the suite). Both create or reuse .venv and install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: verify test test-gpu clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,jax,torch]"
	touch $(STAMP)

verify: $(STAMP)
	$(BIN)/unetcheck verify $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)
	$(BIN)/python -m pytest -m "backends or distributed" $(ARGS) || [ $$? -eq 5 ]  # 5: ARGS selected none here

test-gpu: $(STAMP)
	$(BIN)/python -m pytest -m gpu -n 0 $(ARGS)  # one process owns the GPU

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
