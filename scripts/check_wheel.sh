#!/usr/bin/env bash
# Release check: build the sdist and the wheel into dist/, check the sdist can rebuild the
# package, then, for each supported Airflow line, do what README "Installing on each Airflow line"
# tells a user: install the wheel (not editable) into a fresh virtualenv with that line's
# constraint file, and check that Airflow discovers the provider, that the emulator runs from the
# installed wheel, and that a connection stored in the metadata database (its token encrypted
# with the fernet key) reaches the emulator through the hook.
#
# Usage: scripts/check_wheel.sh   (make check-wheel)
# Env:   UV (default .venv/bin/uv), PYTHON (python3.11),
#        LINES ("3.1 3.2 3.3": each installed with constraints/airflow-<line>.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
UV=${UV:-$ROOT/.venv/bin/uv}
PYTHON=${PYTHON:-python3.11}
LINES=${LINES:-3.1 3.2 3.3}
PACKAGE=airflow_provider_rev
DIST_NAME=airflow-provider-rev

START=$SECONDS
WORK=$(mktemp -d "${TMPDIR:-/tmp}/check-wheel.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
step() { printf '== %s (%ss)\n' "$*" $((SECONDS - START)); }
fail() {
	printf 'check-wheel: %s\n' "$*" >&2
	exit 1
}

step "build sdist, then the wheel from that sdist"
# uv build makes the wheel from the unpacked sdist, so a file the build needs but the sdist
# lacks fails right here.
rm -rf dist
"$UV" build --quiet --out-dir dist
shopt -s nullglob
sdists=(dist/*.tar.gz)
wheels=(dist/*.whl)
[[ ${#sdists[@]} -eq 1 && ${#wheels[@]} -eq 1 ]] || fail "expected one sdist and one wheel in dist/"
SDIST=${sdists[0]}
WHEEL=${wheels[0]}
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$PACKAGE/__init__.py")
[[ -n $VERSION ]] || fail "no __version__ in $PACKAGE/__init__.py"
[[ $WHEEL == "dist/${PACKAGE}-${VERSION}-py3-none-any.whl" ]] || fail "unexpected wheel name $WHEEL"

step "sdist and wheel contents"
tar -tzf "$SDIST" | sed 's|^[^/]*/||' | grep -v '/$' | sort >"$WORK/sdist.txt"
"$PYTHON" -m zipfile -l "$WHEEL" | awk 'NR > 1 {print $1}' | sort >"$WORK/wheel.txt"
for member in pyproject.toml README.md "$PACKAGE/__init__.py" "$PACKAGE/py.typed" \
	"$PACKAGE/get_provider_info.py" "$PACKAGE/emulator/__main__.py"; do
	grep -qxF "$member" "$WORK/sdist.txt" || fail "sdist lacks $member"
done
# Every tracked file of the package is in both archives (data files included).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files "$PACKAGE"
else # an unpacked source tree without .git
	find "$PACKAGE" -type f ! -path '*/__pycache__/*'
fi | grep -v '\.pyc$' | sort >"$WORK/tracked.txt"
missing=$(comm -23 "$WORK/tracked.txt" "$WORK/sdist.txt")
[[ -z $missing ]] || fail "sdist lacks tracked files: $missing"
missing=$(comm -23 "$WORK/tracked.txt" "$WORK/wheel.txt")
[[ -z $missing ]] || fail "wheel lacks tracked files: $missing"
if grep -Eq '^(tests|\.venv|dist|build|docs/_build)/|__pycache__' "$WORK/sdist.txt" "$WORK/wheel.txt"; then
	fail "an archive carries tests, build output or caches"
fi
meta="${PACKAGE}-${VERSION}.dist-info"
"$PYTHON" -m zipfile -e "$WHEEL" "$WORK/wheel"
grep -qx "Name: $DIST_NAME" "$WORK/wheel/$meta/METADATA" || fail "METADATA names another project"
grep -qx "License-Expression: Apache-2.0" "$WORK/wheel/$meta/METADATA" || fail "METADATA declares no Apache-2.0 licence"
cmp -s LICENSE "$WORK/wheel/$meta/licenses/LICENSE" || fail "the wheel does not carry LICENSE"
grep -qxF LICENSE "$WORK/sdist.txt" || fail "sdist lacks LICENSE"
grep -q "^provider_info = ${PACKAGE}.get_provider_info:get_provider_info" \
	"$WORK/wheel/$meta/entry_points.txt" || fail "no apache_airflow_provider entry point"

for LINE in $LINES; do
	step "Airflow $LINE: install the wheel into a fresh virtualenv with constraints/airflow-$LINE.txt"
	"$UV" venv --quiet --python "$PYTHON" "$WORK/venv-$LINE"
	"$UV" pip install --quiet --python "$WORK/venv-$LINE/bin/python" \
		--constraint "$ROOT/constraints/airflow-$LINE.txt" "$ROOT/$WHEEL"
	BIN=$WORK/venv-$LINE/bin
	export AIRFLOW_HOME=$WORK/airflow-home-$LINE AIRFLOW__LOGGING__LOGGING_LEVEL=WARNING
	AIRFLOW__CORE__FERNET_KEY=$("$BIN/python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
	export AIRFLOW__CORE__FERNET_KEY
	cd "$WORK" # nothing of the source tree is importable from here
	"$BIN/python" - "$LINE" <<-'EOF'
	import sys
	from importlib.metadata import version

	assert version("apache-airflow").startswith(sys.argv[1] + "."), version("apache-airflow")
	print(f"apache-airflow {version('apache-airflow')}, cryptography {version('cryptography')}")
	EOF

	step "Airflow $LINE discovers the provider"
	"$BIN/python" - "$VERSION" <<-'EOF'
	import sys
	from importlib.metadata import distribution

	import airflow_provider_rev

	version = sys.argv[1]
	location = airflow_provider_rev.__file__
	assert "/site-packages/" in location, f"imported from {location}, not from the installed wheel"
	direct = distribution("airflow-provider-rev").read_text("direct_url.json") or ""
	assert '"editable": true' not in direct, "installed editable"

	from airflow.providers_manager import ProvidersManager

	manager = ProvidersManager()
	provider = manager.providers.get("airflow-provider-rev")
	assert provider is not None, sorted(manager.providers)
	assert provider.version == version, (provider.version, version)
	try:  # Airflow 3.2+: hooks are indexed by the task runtime's manager
	    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime as HookIndex
	except ImportError:
	    HookIndex = ProvidersManager
	hook = HookIndex().hooks.get("revai")
	assert hook is not None and hook.hook_class_name.endswith("RevAIHook"), hook
	assert hook.package_name == "airflow-provider-rev", hook.package_name
	print(f"provider {provider.version}, connection type revai -> {hook.hook_class_name}")

	from airflow import plugins_manager

	if hasattr(plugins_manager, "get_fastapi_plugins"):  # Airflow 3.2+
	    apps, _ = plugins_manager.get_fastapi_plugins()
	else:
	    plugins_manager.initialize_fastapi_plugins()
	    apps = plugins_manager.fastapi_apps
	assert [app["name"] for app in apps if app["url_prefix"] == "/revai"] == ["Rev AI webhooks"], apps
	print("plugin revai_webhooks: the API server mounts the webhook receiver at /revai")
	EOF
	"$BIN/airflow" providers get "$DIST_NAME" >"$WORK/providers-get.txt" 2>&1 ||
		fail "airflow providers get failed: $(cat "$WORK/providers-get.txt")"
	grep -q "$DIST_NAME" "$WORK/providers-get.txt" && grep -q "$VERSION" "$WORK/providers-get.txt" ||
		fail "airflow providers get did not show $DIST_NAME $VERSION: $(cat "$WORK/providers-get.txt")"
	echo "airflow providers get: $DIST_NAME $VERSION"

	step "Airflow $LINE: the emulator runs from the wheel and a stored connection reaches it"
	"$BIN/python" -m airflow_provider_rev.emulator --help >/dev/null
	"$BIN/python" - <<-'EOF'
	import os
	import re
	import signal
	import subprocess
	import sys

	import requests

	command = [sys.executable, "-m", "airflow_provider_rev.emulator", "--port", "0", "--token", "wheel-check"]
	with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
	    try:
	        line = proc.stdout.readline()
	        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
	        assert match, f"no URL in the emulator's first line: {line!r}"
	        api = match.group(1) + "/speechtotext/v1/account"
	        assert requests.get(api, timeout=5).status_code == 401
	        ok = requests.get(api, headers={"Authorization": "Bearer wheel-check"}, timeout=5)
	        assert ok.status_code == 200, ok.text
	        # A connection stored in the metadata database, its token encrypted with the fernet key
	        # (what Airflow 3.1.8 broke on with cryptography 51), then used by the hook.
	        airflow = [sys.executable, "-m", "airflow"]
	        subprocess.run([*airflow, "db", "migrate"], check=True, capture_output=True)
	        subprocess.run(
	            [*airflow, "connections", "add", "revai_wheel", "--conn-type", "revai",
	             "--conn-host", match.group(1), "--conn-password", "wheel-check"],
	            check=True, capture_output=True,
	        )  # fmt: skip
	        from airflow.models.connection import Connection
	        from airflow.utils.session import create_session

	        with create_session() as session:
	            stored = session.query(Connection).filter_by(conn_id="revai_wheel").one()
	            assert stored.is_encrypted and stored.password == "wheel-check", "fernet round trip"
	            os.environ["AIRFLOW_CONN_REVAI_WHEEL"] = stored.get_uri()
	        from airflow_provider_rev.hooks.revai import RevAIHook

	        account = RevAIHook(revai_conn_id="revai_wheel").get_account()
	        assert "balance_seconds" in account, account
	    finally:
	        proc.send_signal(signal.SIGTERM)
	        _, stderr = proc.communicate(timeout=10)
	    assert proc.returncode == 0, stderr
	print(f"emulator at {match.group(1)}: 401 without a token, 200 with it and through a stored connection")
	EOF
	cd "$ROOT"
done

step "ok: $SDIST and $WHEEL on Airflow $LINES"
