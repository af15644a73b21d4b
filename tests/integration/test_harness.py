"""The harness's own promises, on stand-in processes (seconds, not a real deployment).

A component that dies fails the start at once with its log; stopping reaches processes that
ignore SIGTERM and ones that left the process group, as Airflow's task processes do. The
real deployment's clean exit is checked by ``test_shared_poll_deployment``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil
import pytest
from integration.harness import (
    Component,
    Deployment,
    DeploymentError,
    DeploymentSpec,
    config_env,
    free_port,
    port_accepts,
)

SLEEPER = "import time\nwhile True:\n    time.sleep(1)\n"
#: Ignores SIGTERM, starts a grandchild in a session of its own (also ignoring SIGTERM), writes its pid.
STUBBORN = """
import pathlib, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
code = "import signal, time\\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\\nwhile True: time.sleep(1)"
child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
pathlib.Path(sys.argv[1]).write_text(str(child.pid))
while True:
    time.sleep(1)
"""


#: A stand-in database: listens on the port it is given, one second after it starts.
LATE_SERVER = """
import http.server, sys, time
time.sleep(1)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.BaseHTTPRequestHandler).serve_forever()
"""


def python(code: str, *args: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code, *args)


def test_a_component_that_dies_fails_the_start_at_once_with_its_log(tmp_path: Path) -> None:
    spec = DeploymentSpec(
        dags_folder=tmp_path,
        setup=(),
        components=(
            Component("steady", python(SLEEPER)),
            Component(
                "doomed",
                python("print('doomed: bad settings', flush=True); raise SystemExit(3)"),
                health="scheduler",
            ),
        ),
        startup_timeout=120,
    )
    deployment = Deployment(spec, tmp_path / "deployment")
    started = time.monotonic()
    with pytest.raises(DeploymentError, match="doomed exited with 3") as failure, deployment:
        pass
    assert time.monotonic() - started < 30
    assert "doomed: bad settings" in str(failure.value)
    assert deployment.leftover_pids() == set()


def test_stop_reaches_processes_that_ignore_sigterm_or_left_the_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    spec = DeploymentSpec(
        dags_folder=tmp_path,
        setup=(),
        components=(Component("stubborn", python(STUBBORN, str(pid_file))),),
        stop_grace=1.0,
    )
    with Deployment(spec, tmp_path / "deployment") as deployment:
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, "the stand-in never started its grandchild"
            time.sleep(0.1)
        grandchild = psutil.Process(int(pid_file.read_text()))
        assert grandchild.pid in {p.pid for p in deployment.processes()}
    assert deployment.leftover_pids() == set()
    assert not grandchild.is_running() or grandchild.status() == psutil.STATUS_ZOMBIE


def test_services_start_first_and_are_waited_for_on_their_port(tmp_path: Path) -> None:
    port = free_port()
    spec = DeploymentSpec(
        dags_folder=tmp_path,
        setup=(),
        services=(Component("database", python(LATE_SERVER, str(port)), ready_port=port),),
        components=(Component("steady", python(SLEEPER)),),
        stop_grace=2.0,
    )
    with Deployment(spec, tmp_path / "deployment") as deployment:
        assert port_accepts(port)
        assert {"database.log", "steady.log"} <= {p.name for p in deployment.log_dir.iterdir()}
    assert not port_accepts(port)
    assert deployment.leftover_pids() == set()


def test_config_is_passed_as_airflow_environment_variables() -> None:
    assert config_env({"core.parallelism": "16", "triggerer.capacity": "500"}) == {
        "AIRFLOW__CORE__PARALLELISM": "16",
        "AIRFLOW__TRIGGERER__CAPACITY": "500",
    }
    with pytest.raises(ValueError, match="section.key"):
        config_env({"parallelism": "16"})
