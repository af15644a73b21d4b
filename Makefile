# Two commands on a fresh machine with Python 3.11 and make:
#   make demo   - build the environment, run the example DAG against the local emulator
#   make test   - build the environment, run ruff, mypy and the whole pytest suite

PYTHON ?= python3.11
VENV ?= .venv
# The main environment is pinned to the newest supported Airflow line. Every environment installs
# from a complete constraint file (every package pinned); see constraints/ and `make constraints`.
CONSTRAINTS ?= constraints/airflow-3.3.txt
# `make constraints` resolves only releases uploaded before this day. Move it on purpose: the
# regenerated files then show, in their diff, every package that moved.
CONSTRAINTS_CUTOFF := 2026-12-07
# The installer and resolver every environment is built with.
UV_VERSION := 0.13.9
BIN := $(VENV)/bin
UV := $(BIN)/uv pip install --python $(BIN)/python --quiet

.PHONY: venv test lint typecheck pytest demo docs docs-screenshots test-floor test-distributed clean \
	test-airflow-3.1 test-airflow-3.2 check-wheel constraints check-constraints test-drift

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/.installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/uv
	$(UV) --constraint $(CONSTRAINTS) -e ".[test]"
	touch $@

venv: $(BIN)/.installed

lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy

pytest: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck check-constraints pytest

# Regenerate constraints/airflow-3.{1,2,3}.txt from their .in files, pyproject.toml and the cut-off.
constraints: $(BIN)/uv
	$(BIN)/python scripts/constraints.py --uv $(BIN)/uv --cutoff $(CONSTRAINTS_CUTOFF)

# Offline: fail when a .in file, pyproject.toml's requirements or the cut-off changed since the
# constraint files were generated.
check-constraints: $(BIN)/uv
	$(BIN)/python scripts/constraints.py --check --cutoff $(CONSTRAINTS_CUTOFF)

# Drift: a representative part of the 3.3 suite against the newest release of everything (no
# constraints, no cut-off). It fails when an upstream release would break a user who installs
# without our constraints, and prints which packages moved; see docs/deploying.md. .ci/run runs
# it last and does not let it fail the build.
test-drift:
	PYTHON=$(PYTHON) UV_VERSION=$(UV_VERSION) scripts/drift.sh

# The same suite on each older supported Airflow line, each in its own environment
# (`make test` covers 3.3). test-floor is the oldest line under its former name.
test-airflow-3.1 test-airflow-3.2: test-airflow-%:
	$(MAKE) pytest VENV=.venv-$* CONSTRAINTS=constraints/airflow-$*.txt

test-floor: test-airflow-3.1

# CeleryExecutor, PostgreSQL, Redis, two workers and two triggerers under faults; see docs/deploying.md.
test-distributed: venv
	scripts/distributed_services.sh
	$(BIN)/python -m pytest tests/distributed -m distributed $(PYTEST_ARGS)

# Build the sdist and wheel into dist/, install the wheel into a throwaway virtualenv with
# Airflow, check Airflow discovers the provider and the emulator runs; see scripts/check_wheel.sh.
check-wheel: venv
	UV=$(BIN)/uv PYTHON=$(PYTHON) scripts/check_wheel.sh

# Emulator + local media server + example DAG through a real Airflow; see scripts/demo.py.
demo: venv
	$(BIN)/python scripts/demo.py

# The documentation site (Sphinx + MyST) into docs/_build/html: a fresh build (-E), nitpicky,
# warnings are errors. Needs no network once the docs extra is installed. Then the checks of the
# built site (tests/test_docs_site.py: API reference, code blocks in Chromium) read that build;
# `make test` runs before the docs extra is installed on a fresh machine, where they skip.
$(BIN)/.docs-installed: $(BIN)/.installed pyproject.toml
	$(UV) --constraint $(CONSTRAINTS) -e ".[docs]"
	touch $@

docs: $(BIN)/.docs-installed
	$(BIN)/python -m sphinx -b html -E -W --keep-going -n -q docs docs/_build/html
	REVAI_DOCS_HTML=docs/_build/html $(BIN)/python -m pytest -q tests/test_docs_site.py

# The web UI screenshots of docs/ui.md, from a real deployment in headless Chromium.
docs-screenshots: venv
	scripts/browser_deps.sh
	$(BIN)/python scripts/docs_screenshots.py

clean:
	rm -rf .venv .venv-floor .venv-3.1 .venv-3.2 .venv-drift dist .demo .mypy_cache .ruff_cache .pytest_cache docs/_build
