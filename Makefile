# Two commands on a fresh machine with Python 3.11 and make:
#   make demo   - build the environment, run the example DAG against the local emulator
#   make test   - build the environment, run ruff, mypy and the whole pytest suite

PYTHON ?= python3.11
VENV ?= .venv
CONSTRAINTS ?=
BIN := $(VENV)/bin
UV := $(BIN)/uv pip install --python $(BIN)/python --quiet

.PHONY: venv test lint typecheck pytest demo docs docs-screenshots test-floor test-distributed clean

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

# The same suite on the oldest supported Airflow, in its own environment.
test-floor:
	$(MAKE) pytest VENV=.venv-floor CONSTRAINTS=constraints/floor.txt

# CeleryExecutor, PostgreSQL, Redis, two workers and two triggerers under faults; see docs/deploying.md.
test-distributed: venv
	scripts/distributed_services.sh
	$(BIN)/python -m pytest tests/distributed -m distributed $(PYTEST_ARGS)

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
	rm -rf .venv .venv-floor .demo .mypy_cache .ruff_cache .pytest_cache docs/_build
