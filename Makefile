# Two commands do all set-up on a fresh machine: `make verify` (the main job) and
# `make test` (the suite). Both run sessions of noxfile.py, which makes each environment
# with uv in .nox/ and reuses it; nox and uv themselves live in .venv-tools.
PYTHON ?= python3
TOOLS := .venv-tools
NOX := $(TOOLS)/bin/nox

.PHONY: verify test lint docs test-suite test-teams record-team-seconds test-gpu bench clean

$(NOX):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "nox==2026.10.20" "uv==0.13.8"

verify: | $(NOX)
	$(NOX) -s verify -- $(ARGS)

# The suite (the backend and tf.distribute tests included, in one pytest-xdist run that keeps
# both cores busy), then the example teams (examples/*), each in an environment of its own.
# ARGS go to pytest (`ARGS='-m "backends or distributed"'`: those alone); `make
# test-team-NAME` runs one team.
test: lint docs test-suite test-teams

# ruff's format and lint checks (pyproject.toml's [tool.ruff]); `ruff format .` mends the first.
lint: | $(NOX)
	$(NOX) -s lint

# The API reference from the docstrings, built strictly into .nox/site (mkdocs.yml).
docs: | $(NOX)
	$(NOX) -s docs

test-suite: | $(NOX)
	$(NOX) -s tests -- $(ARGS)

test-team-%: | $(NOX)
	$(NOX) -s "team(name='$*')"

# The teams two at a time (the runner's two cores), each team's output kept together, the
# longest first: by this machine's last runs (.nox/team-seconds, which each team's session
# writes), else by the runs recorded in examples/harness/team-seconds.txt (`make
# record-team-seconds` rewrites it from this machine's), a team timed in neither last. A
# team's runs are one Python, mostly one busy thread; noxfile.py keeps its frameworks to one
# thread each (tools/runner.py), since two thread pools spinning on two cores slow each
# other down up to tenfold (docs/performance.md, "The example teams").
TEAMS := $(sort $(patsubst examples/%/mistakes.py,%,$(wildcard examples/*/mistakes.py)))
RECORDED := examples/harness/team-seconds.txt
TIMES ?= .nox/team-seconds
MEASURED = for f in $(TIMES)/*; do [ -f "$$f" ] && echo "$$(cat "$$f") $$(basename "$$f")"; done
TIMED := $(shell { cat $(RECORDED); $(MEASURED); } | awk '{ s[$$2] = $$1 } END { for (n in s) print s[n], n }' | sort -rn | cut -d' ' -f2)
ORDER := $(filter $(TEAMS),$(TIMED)) $(filter-out $(TIMED),$(TEAMS))

test-teams: | $(NOX)
	$(MAKE) -j2 --output-sync=target --no-print-directory $(addprefix test-team-,$(ORDER))

record-team-seconds:
	{ $(MEASURED); } | sort -rn > $(RECORDED)

test-gpu: | $(NOX)
	$(NOX) -s gpu -- $(ARGS)

# The benchmark suites (benchmarks/pipeline and benchmarks/metrics, pytest-benchmark);
# `make bench ARGS="--benchmark-json=bench.json"`. The suite runs each once at small sizes
# (tests/bench/test_metrics_benchmark.py and tests/bench/test_pipeline_benchmark.py).
bench: | $(NOX)
	$(NOX) -s bench -- $(ARGS)

clean:
	rm -rf .nox $(TOOLS) .pytest_cache .hypothesis
