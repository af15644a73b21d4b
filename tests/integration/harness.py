"""One harness for real Airflow deployments: every component is a separate process of this venv.

A deployment is described as data (:class:`DeploymentSpec`): preparation steps (``initdb``),
services started next (a database or broker server, each a :class:`Component` waited for on
its port, stopped after every Airflow component), setup steps
run to completion (``airflow db migrate``), the Airflow components (name, command, extra
environment, the health-endpoint key that says it is up), the executor, the database,
connections (``AIRFLOW_CONN_*``) and any ``[section] key`` settings. The default is the
smallest real deployment: api-server, scheduler, dag-processor and one triggerer with
LocalExecutor and SQLite; a CeleryExecutor + PostgreSQL + Redis deployment with several
triggerers and workers is another spec (services for PostgreSQL and Redis, ``triggerers(2)``
and two ``airflow celery worker`` components), not another harness.

:class:`Deployment` starts it in a throwaway ``AIRFLOW_HOME`` with the api-server on a free
127.0.0.1 port, captures every process's stdout and stderr in one log file per process,
waits until the health endpoint reports every component healthy, and always stops
everything it started: process groups get SIGTERM, then SIGKILL after a grace period, and a
final sweep kills any process still carrying this deployment's ``AIRFLOW_HOME`` (task
processes run in process groups of their own). A component that dies while the harness
waits fails the wait at once, with the tail of its log; one the test kills on purpose
(:meth:`Deployment.kill`) or restarts (:meth:`Deployment.restart`) does not.

:class:`AirflowAPI` is the REST client (``/api/v2``, bearer token from SimpleAuthManager's
``/auth/token`` for a user whose password the harness writes itself)::

    spec = DeploymentSpec(DAGS, connections={"revai_default": conn}, config={"core.parallelism": "16"})
    with Deployment(spec, workdir) as airflow:  # or deployments.start("name", spec) in a test
        airflow.wait_for_dag("my_dag")
        airflow.api.unpause("my_dag")
        run_id = airflow.api.trigger("my_dag", conf={"x": 1})
        assert airflow.api.wait_for_run("my_dag", run_id, timeout=300) == "success"
        for ti in airflow.api.task_instances("my_dag", run_id):  # mapped ones too
            print(ti.task_id, ti.map_index, ti.state, ti.try_number)
        print(airflow.log_text("scheduler"), airflow.trigger_log_text())
    assert airflow.leftover_pids() == set()
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
import psutil

AIRFLOW = Path(sys.executable).with_name("airflow")
HOST = "127.0.0.1"
USERNAME = "harness"
TERMINAL_RUN_STATES = frozenset({"success", "failed"})
#: Figures the tests measured (start-up, wall time, requests per route), printed at the end.
REPORT: list[str] = []


def airflow(*args: str) -> tuple[str, ...]:
    """Return the command line of this venv's ``airflow`` CLI with ``args``."""
    return (str(AIRFLOW), *args)


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Return whether nothing listens on ``port`` of 127.0.0.1 (it can be bound again).

    ``SO_REUSEADDR`` as any server sets it: connections the server closed linger in
    TIME_WAIT for a minute, and those do not hold the port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def port_accepts(port: int) -> bool:
    """Return whether a server on 127.0.0.1 accepts connections on ``port``."""
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


class DeploymentError(RuntimeError):
    """The deployment could not start, a component died, or a wait timed out."""


@dataclass(frozen=True)
class Component:
    """One long-running process of a deployment.

    :param name: unique name; also the name of its log file (``<name>.log``).
    :param command: the full command line.
    :param env: environment added to the deployment's for this process only.
    :param health: the key of ``/api/v2/monitor/health`` that must report ``healthy`` before
        the deployment counts as started (``None``: only that the process stays alive).
    :param ready_port: a 127.0.0.1 port the process listens on; the next process starts
        only once it accepts connections (for services such as a database).
    """

    name: str
    command: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    health: str | None = None
    ready_port: int | None = None


@dataclass(frozen=True)
class Step:
    """A command run to completion before any component starts (``airflow db migrate``)."""

    name: str
    command: tuple[str, ...]
    timeout: float = 300.0


def triggerers(count: int = 1) -> tuple[Component, ...]:
    """Return ``count`` triggerers (``triggerer``, or ``triggerer-1`` ... when several).

    ``--skip-serve-logs``: the log server binds every interface, and the harness only listens
    on 127.0.0.1; trigger logs are files in the shared ``AIRFLOW_HOME`` anyway.
    """
    names = ["triggerer"] if count == 1 else [f"triggerer-{i}" for i in range(1, count + 1)]
    return tuple(
        Component(name, airflow("triggerer", "--skip-serve-logs"), health="triggerer") for name in names
    )


def local_components(triggerer_count: int = 1) -> tuple[Component, ...]:
    """Return the components of a LocalExecutor deployment: tasks run in the scheduler's workers."""
    return (
        Component("api-server", airflow("api-server"), health="metadatabase"),
        Component("scheduler", airflow("scheduler", "--skip-serve-logs"), health="scheduler"),
        Component("dag-processor", airflow("dag-processor"), health="dag_processor"),
        *triggerers(triggerer_count),
    )


MIGRATE = Step("db-migrate", airflow("db", "migrate"))


@dataclass(frozen=True)
class Service:
    """A server for a deployment's ``services``: the steps that prepare it, the process, its URL."""

    prepare: tuple[Step, ...]
    component: Component
    url: str
    ready: tuple[Step, ...] = ()


def postgres_bin(tool: str) -> str:
    """Return the path of a PostgreSQL server tool: on ``PATH``, else the newest Debian one."""
    found = shutil.which(tool) or max(
        glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), key=lambda p: int(p.split("/")[4]), default=None
    )
    if found is None:
        raise DeploymentError(f"PostgreSQL's {tool} is not installed (scripts/distributed_services.sh)")
    return found


def as_postgres(*command: str) -> tuple[str, ...]:
    """Return ``command`` run as the ``postgres`` user when we are root (the server refuses root)."""
    return ("runuser", "-u", "postgres", "--", *command) if os.geteuid() == 0 else command


def postgres(folder: Path, port: int) -> Service:
    """Return a throwaway PostgreSQL on 127.0.0.1:``port`` with its files and socket in ``folder``.

    ``folder`` must be empty and owned by the user the server runs as (:func:`postgres_folder`).
    Durability is switched off (a test database): ``fsync``, full-page writes, synchronous commits.
    """
    data = folder / "data"
    initdb = as_postgres(
        postgres_bin("initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "-E", "UTF8"
    )
    server = as_postgres(
        postgres_bin("postgres"),
        "-D", str(data), "-p", str(port), "-h", HOST, "-k", str(folder),
        "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
        "-c", "max_connections=300",
    )  # fmt: skip
    ready = Step("postgres-ready", (postgres_bin("pg_isready"), "-h", HOST, "-p", str(port), "-t", "60"))
    url = f"postgresql+psycopg2://postgres@{HOST}:{port}/postgres"
    return Service(
        (Step("initdb", (*initdb, "--no-sync")),),
        Component("postgres", server, ready_port=port),
        url,
        (ready,),
    )


def postgres_folder() -> Path:
    """Return a new empty folder the PostgreSQL server may own (given to ``postgres`` when we are root)."""
    folder = Path(tempfile.mkdtemp(prefix="airflow-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    return folder


def redis(folder: Path, port: int) -> Service:
    """Return a throwaway Redis on 127.0.0.1:``port`` that never writes its data to disk."""
    command = (
        shutil.which("redis-server") or "redis-server",
        "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", str(folder),
    )  # fmt: skip
    return Service((), Component("redis", command, ready_port=port), f"redis://{HOST}:{port}/0")


@dataclass(frozen=True)
class DeploymentSpec:
    """What to run: components, setup steps, executor, database, connections and settings.

    :param dags_folder: the DAGs folder every component reads.
    :param components: the Airflow processes, started in this order after ``setup``.
    :param setup: commands run to completion after ``services``, in order.
    :param services: processes started after ``prepare``, in order (database, broker), and
        stopped only once every component has stopped.
    :param prepare: commands run to completion before ``services`` (create a database's files).
    :param executor: ``[core] executor``.
    :param database_url: ``[database] sql_alchemy_conn``; ``None`` is a SQLite file in the
        throwaway ``AIRFLOW_HOME``.
    :param connections: connection id -> URI or JSON, passed as ``AIRFLOW_CONN_<ID>``.
    :param config: ``"section.key"`` -> value, passed as ``AIRFLOW__SECTION__KEY``.
    :param env: other environment variables for every process.
    :param startup_timeout: seconds until every component must report healthy.
    :param stop_grace: seconds between SIGTERM and SIGKILL when stopping.
    """

    dags_folder: Path
    components: tuple[Component, ...] = field(default_factory=local_components)
    setup: tuple[Step, ...] = (MIGRATE,)
    services: tuple[Component, ...] = ()
    prepare: tuple[Step, ...] = ()
    executor: str = "LocalExecutor"
    database_url: str | None = None
    connections: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    startup_timeout: float = 180.0
    stop_grace: float = 20.0


def config_env(config: Mapping[str, str]) -> dict[str, str]:
    """Turn ``{"core.parallelism": "8"}`` into ``{"AIRFLOW__CORE__PARALLELISM": "8"}``."""
    env = {}
    for name, value in config.items():
        section, _, key = name.partition(".")
        if not key:
            raise ValueError(f"config keys are 'section.key', got {name!r}")
        env[f"AIRFLOW__{section.upper()}__{key.upper()}"] = value
    return env


@dataclass(frozen=True)
class TaskInstance:
    """One task instance as the REST API reports it (mapped ones have ``map_index >= 0``)."""

    task_id: str
    map_index: int
    state: str | None
    try_number: int
    pid: int | None = None
    rendered_map_index: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TaskInstance:
        return cls(
            data["task_id"],
            int(data["map_index"]),
            data["state"],
            int(data["try_number"]),
            data.get("pid"),
            data.get("rendered_map_index"),
        )


class AirflowAPI:
    """A small client of the Airflow 3 REST API (``/api/v2``) of one deployment.

    :param base_url: the api-server root, ``http://127.0.0.1:<port>``.
    :param password: the password of the harness's admin user.
    :param check: called before every wait iteration; raises when the deployment broke, so
        waits fail fast instead of running into their timeout.
    """

    def __init__(self, base_url: str, password: str, check: Callable[[], None] = lambda: None) -> None:
        self.base_url = base_url
        self._password = password
        self._check = check
        self._client = httpx.Client(base_url=base_url, timeout=30.0)
        self._token: str | None = None

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def token(self) -> str:
        """Return a JWT for the admin user, from SimpleAuthManager's ``POST /auth/token``."""
        if self._token is None:
            response = self._client.post(
                "/auth/token", json={"username": USERNAME, "password": self._password}
            )
            response.raise_for_status()
            self._token = str(response.json()["access_token"])
        return self._token

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send an authenticated request to ``/api/v2{path}``; return the JSON answer (or ``None``)."""
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token()}"}
            response = self._client.request(method, f"/api/v2{path}", headers=headers, **kwargs)
            if response.status_code == 401 and attempt == 1:
                self._token = None
                continue
            if response.is_error:
                raise DeploymentError(f"{method} /api/v2{path}: {response.status_code} {response.text[:500]}")
            return response.json() if response.content else None
        raise AssertionError("unreachable")

    def health(self) -> dict[str, Any]:
        """Return ``/api/v2/monitor/health`` (no authentication needed)."""
        response = self._client.get("/api/v2/monitor/health")
        response.raise_for_status()
        return dict(response.json())

    def dag(self, dag_id: str) -> dict[str, Any] | None:
        """Return the DAG's details, or ``None`` while the dag-processor has not stored it."""
        try:
            return dict(self.request("GET", f"/dags/{dag_id}"))
        except DeploymentError as exc:
            if ": 404 " in str(exc):
                return None
            raise

    def import_errors(self) -> list[dict[str, Any]]:
        """Return the DAG files that failed to import, with their stack traces."""
        return list(self.request("GET", "/importErrors")["import_errors"])

    def unpause(self, dag_id: str) -> None:
        """Unpause the DAG (DAGs are created paused)."""
        self.request("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: Mapping[str, Any] | None = None, run_id: str | None = None) -> str:
        """Trigger a manual run with ``conf``; return its run id."""
        body: dict[str, Any] = {"logical_date": None, "conf": dict(conf or {})}
        if run_id is not None:
            body["dag_run_id"] = run_id
        return str(self.request("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"])

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        """Return one DAG run."""
        return dict(self.request("GET", f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}"))

    def task_instances(self, dag_id: str, run_id: str) -> list[TaskInstance]:
        """Return every task instance of the run, mapped ones included, page by page."""
        found: list[TaskInstance] = []
        while True:
            page = self.request(
                "GET",
                f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances",
                params={"limit": 100, "offset": len(found), "order_by": "id"},
            )
            found += [TaskInstance.from_api(item) for item in page["task_instances"]]
            if not page["task_instances"] or len(found) >= page["total_entries"]:
                return sorted(found, key=lambda ti: (ti.task_id, ti.map_index))

    def xcom(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1, key: str = "return_value"
    ) -> Any:
        """Return one XCom value of a task instance, deserialized."""
        path = f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}/xcomEntries/{key}"
        params = {"map_index": map_index, "deserialize": True, "stringify": False}
        return self.request("GET", path, params=params)["value"]

    def wait_for_run(
        self,
        dag_id: str,
        run_id: str,
        timeout: float,
        interval: float = 2.0,
        each_poll: Callable[[], None] | None = None,
    ) -> str:
        """Wait until the run is ``success`` or ``failed``; return that state.

        ``each_poll`` runs at every check (to sample task states while the run goes on).
        """
        deadline = time.monotonic() + timeout
        while True:
            self._check()
            if each_poll is not None:
                each_poll()
            state = str(self.dag_run(dag_id, run_id)["state"])
            if state in TERMINAL_RUN_STATES:
                return state
            if time.monotonic() > deadline:
                raise DeploymentError(f"run {dag_id}/{run_id} still {state} after {timeout:.0f} s")
            time.sleep(interval)


@dataclass
class _Running:
    component: Component
    process: subprocess.Popen[bytes]
    log_path: Path


class Deployment:
    """A running deployment of ``spec``; use it as a context manager.

    ``with Deployment(spec, workdir) as airflow: airflow.api.trigger(...)``: ``__enter__``
    starts everything and waits until it is healthy, ``__exit__`` stops everything, also
    when starting failed half-way.

    :param spec: what to run.
    :param workdir: an empty folder for ``home/`` (``AIRFLOW_HOME``) and ``logs/`` (one log
        file per process); a new temporary folder when ``None``. It is kept afterwards.
    """

    def __init__(self, spec: DeploymentSpec, workdir: Path | None = None) -> None:
        self.spec = spec
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="airflow-deployment-"))
        self.home = self.workdir / "home"
        self.log_dir = self.workdir / "logs"
        self.api_port = 0
        self.started_seconds = 0.0
        self._password = secrets.token_urlsafe(16)
        self._secrets = {
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__CORE__FERNET_KEY": _fernet_key(),
        }
        self._running: dict[str, _Running] = {}
        self._stopped: dict[str, _Running] = {}
        self._api: AirflowAPI | None = None
        self._seen: dict[int, psutil.Process] = {}

    @property
    def api_url(self) -> str:
        """Return the api-server root, ``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.api_port}"

    @property
    def password(self) -> str:
        """Return the password of the admin user (``USERNAME``), to log in to the web UI."""
        return self._password

    @property
    def api(self) -> AirflowAPI:
        """Return the REST client (available once started)."""
        if self._api is None:
            raise DeploymentError("the deployment is not started")
        return self._api

    def __enter__(self) -> Deployment:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- environment ----------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """Return the environment every process gets: this one without any ``AIRFLOW*`` variable,
        plus the deployment's settings (the same on every call, so ``airflow`` CLI commands run
        with it talk to the same deployment).
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        database_url = self.spec.database_url or f"sqlite:///{self.home / 'airflow.db'}"
        env.update(
            AIRFLOW_HOME=str(self.home),
            PYTHONUNBUFFERED="1",
            AIRFLOW__CORE__DAGS_FOLDER=str(self.spec.dags_folder),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__EXECUTOR=self.spec.executor,
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=database_url,
            AIRFLOW__API__HOST=HOST,
            AIRFLOW__API__PORT=str(self.api_port),
            AIRFLOW__API__BASE_URL=self.api_url,
            AIRFLOW__API__WORKERS="1",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{self.api_url}/execution/",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{USERNAME}:admin",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(self.home / "passwords.json"),
            AIRFLOW__LOGGING__COLORED_CONSOLE_LOG="False",
        )
        env.update(self._secrets)
        env.update(
            {f"AIRFLOW_CONN_{conn_id.upper()}": value for conn_id, value in self.spec.connections.items()}
        )
        env.update(config_env(self.spec.config))
        env.update(self.spec.env)
        return env

    # ---- start and stop -------------------------------------------------------------------------

    def start(self) -> None:
        """Run the setup steps, start every component, wait until all are healthy."""
        names = [c.name for c in (*self.spec.services, *self.spec.components)]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must be unique: {names}")
        started = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (self.home / "passwords.json").write_text(json.dumps({USERNAME: self._password}))
        self.api_port = free_port()
        env = self.environment()
        for step in self.spec.prepare:
            self._run_step(step, env)
        for service in self.spec.services:
            self._launch(service, env)
        for step in self.spec.setup:
            self._run_step(step, env)
        for component in self.spec.components:
            self._launch(component, env)
        self._api = AirflowAPI(self.api_url, self._password, check=self.check_alive)
        self._wait_healthy()
        self.started_seconds = time.monotonic() - started

    def _run_step(self, step: Step, env: Mapping[str, str]) -> None:
        log_path = self.log_dir / f"{step.name}.log"
        with log_path.open("wb") as log:
            try:
                result = subprocess.run(
                    step.command,
                    env=env,
                    cwd=self.home,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=step.timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise DeploymentError(
                    f"{step.name} took over {step.timeout:.0f} s:\n{tail(log_path)}"
                ) from exc
        if result.returncode != 0:
            raise DeploymentError(f"{step.name} exited with {result.returncode}:\n{tail(log_path)}")

    def _launch(self, component: Component, env: Mapping[str, str]) -> None:
        log_path = self.log_dir / f"{component.name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                component.command,
                env={**env, **component.env},
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._running[component.name] = _Running(component, process, log_path)
        self._stopped.pop(component.name, None)
        self._seen[process.pid] = psutil.Process(process.pid)
        if component.ready_port is not None:
            port = component.ready_port
            self.wait_until(
                lambda: port_accepts(port),
                self.spec.startup_timeout,
                lambda: f"{component.name} on {port}",
            )

    def _wait_healthy(self) -> None:
        wanted = {c.health for c in self.spec.components if c.health}

        def unhealthy() -> set[str]:
            try:
                report = self.api.health()
            except httpx.HTTPError:
                return wanted
            return {key for key in wanted if (report.get(key) or {}).get("status") != "healthy"}

        if not wanted:
            self.check_alive()
            return
        self.wait_until(
            lambda: not unhealthy(), self.spec.startup_timeout, lambda: f"unhealthy: {unhealthy()}"
        )
        self.api.token()

    def check_alive(self) -> None:
        """Raise :class:`DeploymentError` with the tail of its log if any component has exited."""
        self._note_pids()
        for name, running in self._running.items():
            code = running.process.poll()
            if code is not None:
                raise DeploymentError(
                    f"{name} exited with {code}; the end of {running.log_path}:\n{tail(running.log_path)}"
                )

    def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float,
        describe: Callable[[], str],
        interval: float = 1.0,
    ) -> None:
        """Wait until ``condition()`` holds; fail fast when a component dies, or after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            if condition():
                return
            if time.monotonic() > deadline:
                raise DeploymentError(f"not ready after {timeout:.0f} s: {describe()}")
            time.sleep(interval)

    def wait_for_dag(self, dag_id: str, timeout: float = 120.0) -> None:
        """Wait until the dag-processor has stored ``dag_id``; fail at once on an import error."""

        def parsed() -> bool:
            errors = self.api.import_errors()
            if errors:
                raise DeploymentError(f"DAG import errors: {json.dumps(errors, indent=2)[:4000]}")
            return self.api.dag(dag_id) is not None

        self.wait_until(parsed, timeout, lambda: f"DAG {dag_id} not parsed")

    # ---- faults ---------------------------------------------------------------------------------

    def component_of(self, pid: int) -> str | None:
        """Return the name of the running component whose process tree holds ``pid`` (``None``: none)."""
        roots = {running.process.pid: name for name, running in self._running.items()}
        try:
            chain = [psutil.Process(pid), *psutil.Process(pid).parents()]
        except psutil.Error:
            return None
        return next((roots[proc.pid] for proc in chain if proc.pid in roots), None)

    def pid(self, name: str) -> int:
        """Return the pid of the running component ``name``'s main process."""
        return self._running[name].process.pid

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> set[int]:
        """Send ``sig`` to every process of the component ``name`` at once, as a machine loss would.

        The whole tree is signalled (task processes run in sessions of their own, so a process
        group would miss them); the component no longer counts for :meth:`check_alive`. Returns
        the pids signalled.
        """
        running = self._running.pop(name)
        self._stopped[name] = running
        try:
            root = psutil.Process(running.process.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            tree = []
        self._seen.update({proc.pid: proc for proc in tree if proc.pid not in self._seen})
        for proc in tree:
            try:
                proc.send_signal(sig)
            except psutil.Error:
                pass
        if sig == signal.SIGKILL:
            psutil.wait_procs(tree, timeout=10)
            running.process.wait()
        return {proc.pid for proc in tree}

    def restart(self, name: str) -> None:
        """Stop the component ``name`` as :meth:`stop` would (SIGTERM, then SIGKILL) and start it again.

        Its log file goes on (appended to), so what it wrote before the restart stays readable.
        """
        running = self._running.get(name) or self._stopped[name]
        if name in self._running:
            _signal_group(running.process.pid, signal.SIGTERM)
            try:
                running.process.wait(timeout=self.spec.stop_grace)
            except subprocess.TimeoutExpired:
                pass
            self.kill(name)
        self._launch(running.component, self.environment())

    def _note_pids(self) -> None:
        """Remember every process of the deployment seen so far, for :meth:`leftover_pids`."""
        for running in self._running.values():
            try:
                children = psutil.Process(running.process.pid).children(recursive=True)
            except psutil.Error:
                continue
            self._seen.update({child.pid: child for child in children if child.pid not in self._seen})

    def processes(self) -> list[psutil.Process]:
        """Return every live process of this deployment: started by it or with its ``AIRFLOW_HOME``."""
        found: dict[int, psutil.Process] = {}
        for running in (*self._running.values(), *self._stopped.values()):
            try:
                root = psutil.Process(running.process.pid)
                found.update({p.pid: p for p in [root, *root.children(recursive=True)]})
            except psutil.Error:
                pass
        home = str(self.home)
        for proc in psutil.process_iter():
            if proc.pid in found or proc.pid == os.getpid():
                continue
            try:
                if proc.environ().get("AIRFLOW_HOME") == home:
                    found[proc.pid] = proc
            except psutil.Error:
                continue
        return [p for p in found.values() if _alive(p)]

    @property
    def seen_pids(self) -> set[int]:
        """Return the pids of every process of this deployment the harness has seen."""
        return set(self._seen)

    def leftover_pids(self) -> set[int]:
        """Return the pids of every process this deployment had (that the harness saw) still alive."""
        return {pid for pid, proc in self._seen.items() if _alive(proc)} | {p.pid for p in self.processes()}

    def stop(self) -> None:
        """Stop everything: SIGTERM to each process group, SIGKILL after the grace period, sweep.

        Airflow components stop first and services (database, broker) after them, so the
        components can still reach them while they shut down.
        """
        self._note_pids()
        services = {service.name for service in self.spec.services}
        self._stop_group([r for name, r in self._running.items() if name not in services])
        self._stop_group([r for name, r in self._running.items() if name in services])
        leftovers = self.processes()
        for proc in leftovers:
            try:
                proc.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(leftovers, timeout=10)
        if self._api is not None:
            self._api.close()

    def _stop_group(self, group: list[_Running]) -> None:
        for running in reversed(group):
            _signal_group(running.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.spec.stop_grace
        for running in group:
            try:
                running.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for running in group:
            _signal_group(running.process.pid, signal.SIGKILL)
            if running.process.poll() is None:
                running.process.kill()
            running.process.wait()

    # ---- logs -----------------------------------------------------------------------------------

    def log_path(self, name: str) -> Path:
        """Return the log file of a component or setup step."""
        return self.log_dir / f"{name}.log"

    def log_text(self, name: str) -> str:
        """Return what a component or setup step has written so far."""
        return self.log_path(name).read_text(errors="replace")

    def trigger_log_text(self) -> str:
        """Return every triggerer's own log plus the per-trigger log files Airflow writes."""
        parts = [self.log_text(c.name) for c in self.spec.components if "triggerer" in c.command]
        parts += [
            p.read_text(errors="replace") for p in sorted((self.home / "logs").rglob("*.trigger.*.log"))
        ]
        return "\n".join(parts)


class Deployments:
    """Deployments started by name, each at most once, and all stopped by :meth:`close`.

    Tests that share a deployment ask for it by name with the same spec and get the running
    one; :meth:`stop` ends one early (to check what it left behind).

    :param root: the folder under which each deployment gets its own work folder.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._running: dict[str, Deployment] = {}

    def start(self, name: str, spec: DeploymentSpec) -> Deployment:
        """Return the running deployment ``name``, starting it from ``spec`` on first use."""
        if name in self._running:
            deployment = self._running[name]
            if deployment.spec != spec:
                raise ValueError(f"deployment {name!r} is already running with another spec")
            return deployment
        workdir = self.root / name
        workdir.mkdir(parents=True)
        deployment = Deployment(spec, workdir).__enter__()
        self._running[name] = deployment
        return deployment

    def stop(self, name: str) -> Deployment:
        """Stop the deployment ``name`` now and return it."""
        deployment = self._running.pop(name)
        deployment.stop()
        return deployment

    def close(self) -> None:
        """Stop every deployment still running."""
        while self._running:
            self.stop(next(iter(self._running)))


def tail(path: Path, lines: int = 60) -> str:
    """Return the last ``lines`` lines of a log file (or a note that it is missing)."""
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _alive(proc: psutil.Process) -> bool:
    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False
