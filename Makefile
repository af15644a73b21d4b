# Two commands on a fresh machine with Python 3.11 and make:
#   make demo   - build the environment, run the example DAG against the local emulator
#   make test   - build the environment, run ruff, mypy and the whole pytest suite

PYTHON ?= python3.11
VENV ?= .venv
# The main environment is pinned to the newest supported Airflow line; see constraints/.
CONSTRAINTS ?= constraints/airflow-3.3.txt
BIN := $(VENV)/bin
UV := $(BIN)/uv pip install --python $(BIN)/python --quiet

.PHONY: venv test lint typecheck pytest demo docs docs-screenshots test-floor test-distributed clean \
	test-airflow-3.1 test-airflow-3.2 check-wheel

$(BIN)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(UV) $(if $(CONSTRAINTS),--constraint $(CONSTRAINTS)) -e ".[test]"
	touch $@

venv: $(BIN)/.installed

lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy

pytest: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

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
# warnings are errors. Needs no network once the docs extra is installed.
$(BIN)/.docs-installed: $(BIN)/.installed pyproject.toml
	$(UV) $(if $(CONSTRAINTS),--constraint $(CONSTRAINTS)) -e ".[docs]"
	touch $@

docs: $(BIN)/.docs-installed
	$(BIN)/python -m sphinx -b html -E -W --keep-going -n -q docs docs/_build/html

# The web UI screenshots of docs/ui.md, from a real deployment in headless Chromium.
docs-screenshots: venv
	scripts/browser_deps.sh
	$(BIN)/python scripts/docs_screenshots.py

clean:
	rm -rf .venv .venv-floor .venv-3.1 .venv-3.2 dist .demo .mypy_cache .ruff_cache .pytest_cache docs/_build
