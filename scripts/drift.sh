#!/usr/bin/env bash
# Drift: a representative part of the 3.3 suite against the newest release of everything, with
# no constraints and no cut-off, the way a user who installs without `-c` gets the provider.
# It tells us an upstream release breaks the provider before a user does, and prints which
# packages moved from constraints/airflow-3.3.txt so the culprit is among the first few lines.
# It never changes the pinned environments: those move only with `make constraints`.
# What to do when it reports drift: docs/deploying.md, "When the drift check fails".
#
# Usage: scripts/drift.sh   (make test-drift)
# Env:   PYTHON (python3.11), UV_VERSION (the uv the Makefile pins), DRIFT_VENV (.venv-drift),
#        DRIFT_TESTS (the part of the suite to run; the default below).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
UV_VERSION=${UV_VERSION:?set UV_VERSION (make test-drift does)}
VENV=${DRIFT_VENV:-.venv-drift}
# Every Airflow role the provider plays (hook, operators, sensor, triggers, receiver) and the
# example DAGs run through dag.test(), which exercise the execution API, connections and the
# fernet key where the last two upstream breakages showed; not the browser, the deployments or
# the emulator's own tests, which pin nothing of Airflow.
DRIFT_TESTS=${DRIFT_TESTS:-tests/hooks tests/operators tests/sensors tests/triggers tests/receiver tests/example_dags tests/test_api.py tests/test_connection.py tests/test_models.py tests/test_options.py tests/test_retry.py tests/test_waiting.py tests/test_webhooks.py}

rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
echo "== drift: installing the newest release of everything (no constraints, no cut-off)"
"$VENV/bin/uv" pip install --python "$VENV/bin/python" --quiet --upgrade --refresh \
	-e ".[test]" "apache-airflow>=3.3,<3.4"
"$VENV/bin/uv" pip freeze --python "$VENV/bin/python" >"$VENV/freeze.txt"
"$VENV/bin/python" scripts/constraints.py --compare "$VENV/freeze.txt" --line 3.3 >"$VENV/moved.txt"
echo "== drift: $(tail -n 1 "$VENV/moved.txt")"

# shellcheck disable=SC2086  # DRIFT_TESTS is a list of paths
if "$VENV/bin/python" -m pytest -q -p no:cacheprovider $DRIFT_TESTS; then
	echo "== drift: none that matters; the newest releases pass. When convenient, move"
	echo "   CONSTRAINTS_CUTOFF in the Makefile to today and run \`make constraints\`."
	exit 0
fi
echo "== DRIFT: the suite fails on the newest releases. Packages that moved from"
echo "   constraints/airflow-3.3.txt (new major versions first):"
head -n -1 "$VENV/moved.txt"
echo "   Users who install with \`-c constraints/airflow-3.X.txt\` are not affected."
echo "   Next steps: docs/deploying.md, \"When the drift check fails\"."
exit 1
