"""Test helpers: a scripted loopback HTTP(S) server, a forward proxy, test certificates,
connection values and reference fixtures."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import http.client
import itertools
import json
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock
from urllib.parse import parse_qs, urlsplit

import requests

from airflow_provider_rev.completions import FILTER_EXTRA_KEY, CompletionFilter, asset_uri
from airflow_provider_rev.emulator import make_wav
from airflow_provider_rev.webhooks import webhook_url

#: Rev AI response bodies written for these tests; see tests/data/revai/README.md.
REFERENCE_BODIES = Path(__file__).resolve().parent / "data" / "revai"
TOKEN = "test-token-5f2c9a"
#: Larger request bodies are hashed and counted, not kept, so upload tests stay small.
KEEP_BODY_BYTES = 4 * 1024 * 1024


@dataclass
class Received:
    """One request the scripted server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    size: int = 0
    sha256: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """A scripted answer; ``drop=True`` closes the connection without any response."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    def encoded(self) -> tuple[bytes, str]:
        if self.body is None:
            return b"", "application/json"
        if isinstance(self.body, bytes | str):
            data = self.body if isinstance(self.body, bytes) else self.body.encode()
            return data, self.headers.get("Content-Type", "text/plain")
        ctype = "application/problem+json" if self.status >= 400 else "application/json"
        return json.dumps(self.body).encode(), ctype


def _linger_and_close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError), sock:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(2)
        while sock.recv(65536):
            pass


class ScriptedServer:
    """A loopback HTTP server that answers from per-route queues and records every request.

    Routes are ``"METHOD /path"`` relative to ``/speechtotext/v1``; an empty queue answers
    from ``default`` (a callable) or 404. With ``tls`` (a server-side context, see
    :meth:`Certificates.server_context`) it speaks HTTPS; a failed handshake is counted
    in ``handshake_failures``.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.received: list[Received] = []
        self._queues: dict[str, deque[Reply]] = {}
        self.default: Callable[[Received], Reply] | None = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                digest, kept, remaining = hashlib.sha256(), bytearray(), length
                while remaining:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                    digest.update(chunk)
                    if length <= KEEP_BODY_BYTES:
                        kept += chunk
                body = bytes(kept)
                parts = urlsplit(self.path)
                path = parts.path.removeprefix("/speechtotext/v1")
                received = Received(
                    self.command,
                    path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    length,
                    digest.hexdigest(),
                )
                reply = server._next(received)
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                data, ctype = reply.encoded()
                self.send_response(reply.status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    if name.lower() != "content-type":
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _handle

        self.handshake_failures = 0

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self) -> tuple[socket.socket, Any]:
                sock, address = self.socket.accept()
                if tls is None:
                    return sock, address
                wrapped = tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                try:
                    wrapped.do_handshake()
                    return wrapped, address
                except (ssl.SSLError, OSError):
                    server.handshake_failures += 1
                    # Close the way servers such as nginx do (a lingering close): read what the
                    # client already sent, so closing does not reset the connection and
                    # discard the TLS alert that tells the client why.
                    threading.Thread(target=_linger_and_close, args=(wrapped,), daemon=True).start()
                    raise

        self._tls = tls
        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def root_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{'https' if self._tls else 'http'}://{host}:{port}"

    def add(self, route: str, *replies: Reply) -> None:
        with self._lock:
            self._queues.setdefault(route, deque()).extend(replies)

    def _next(self, received: Received) -> Reply:
        with self._lock:
            self.received.append(received)
            queue = self._queues.get(f"{received.method} {received.path}")
            if queue:
                return queue.popleft()
        if self.default is not None:
            return self.default(received)
        return Reply(404, {"status": 404, "title": "could not find job"})

    def count(self, route: str) -> int:
        method, _, path = route.partition(" ")
        return sum(1 for r in self.received if r.method == method and r.path == path)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class ForwardProxy:
    """A loopback forward proxy that counts what it carries.

    Plain-HTTP requests arrive in absolute form (``GET http://host/path``) and are relayed;
    ``CONNECT host:port`` opens a tunnel (for HTTPS). ``seen`` lists each as
    ``"METHOD target"``. With ``credentials`` every request needs a matching
    ``Proxy-Authorization`` (else 407, counted in ``refused``); that header is never
    relayed upstream.
    """

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.seen: list[str] = []
        self.refused = 0
        proxy = self
        expected = (
            "Basic " + base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
            if credentials
            else None
        )

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _admitted(self) -> bool:
                proxy.seen.append(f"{self.command} {self.path}")
                if expected is None or self.headers.get("Proxy-Authorization") == expected:
                    return True
                proxy.refused += 1
                self.send_response(407)
                self.send_header("Proxy-Authenticate", 'Basic realm="test"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False

            def do_CONNECT(self) -> None:
                if not self._admitted():
                    return
                host, _, port = self.path.rpartition(":")
                upstream = socket.create_connection((host, int(port)), timeout=10)
                self.send_response(200, "Connection established")
                self.end_headers()
                self.close_connection = True
                with upstream, selectors.DefaultSelector() as selector:
                    selector.register(self.connection, selectors.EVENT_READ, upstream)
                    selector.register(upstream, selectors.EVENT_READ, self.connection)
                    while True:
                        for key, _ in selector.select(timeout=10):
                            data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                            if not data:
                                return
                            key.data.sendall(data)

            def _relay(self) -> None:
                if not self._admitted():
                    return
                target = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower()
                    not in ("proxy-authorization", "proxy-connection", "connection", "keep-alive")
                }
                upstream = http.client.HTTPConnection(target.hostname or "", target.port or 80, timeout=10)
                try:
                    path = target.path + (f"?{target.query}" if target.query else "")
                    upstream.request(self.command, path, body=body or None, headers=headers)
                    response = upstream.getresponse()
                    data = response.read()
                finally:
                    upstream.close()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = _relay

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, credentials: tuple[str, str] | None = None) -> str:
        """The proxy's URL, with ``user:password@`` when ``credentials`` are given."""
        host, port = self._httpd.server_address[:2]
        userinfo = f"{credentials[0]}:{credentials[1]}@" if credentials else ""
        return f"http://{userinfo}{host}:{port}"

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@dataclass
class Certificates:
    """A private CA with a server certificate for ``127.0.0.1``/``localhost`` and a client
    certificate, as PEM files (``client_pem`` holds the client's certificate and key).
    """

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    client_pem: Path

    @classmethod
    def create(cls, folder: Path) -> Certificates:
        """Generate the CA and both certificates under ``folder`` (EC keys: fast)."""
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        now = datetime.now(UTC)

        def name(common_name: str) -> x509.Name:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

        def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
            return key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(name("revai test CA"))
            .issuer_name(name("revai test CA"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )

        def issue(
            common_name: str, usage: x509.ObjectIdentifier, san: list[x509.GeneralName]
        ) -> tuple[bytes, bytes]:
            key = ec.generate_private_key(ec.SECP256R1())
            builder = (
                x509.CertificateBuilder()
                .subject_name(name(common_name))
                .issuer_name(ca_cert.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(minutes=5))
                .not_valid_after(now + timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
                )
            )
            if san:
                builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
            cert = builder.sign(ca_key, hashes.SHA256())
            return cert.public_bytes(serialization.Encoding.PEM), key_pem(key)

        server_cert, server_key = issue(
            "127.0.0.1",
            ExtendedKeyUsageOID.SERVER_AUTH,
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
        )
        client_cert, client_key = issue("airflow worker", ExtendedKeyUsageOID.CLIENT_AUTH, [])
        files = {
            "ca": ca_cert.public_bytes(serialization.Encoding.PEM),
            "server_cert": server_cert,
            "server_key": server_key,
            "client_cert": client_cert,
            "client_key": client_key,
            "client_pem": client_cert + client_key,
        }
        paths = {}
        for field_name, data in files.items():
            paths[field_name] = folder / f"{field_name}.pem"
            paths[field_name].write_bytes(data)
        return cls(**paths)

    def server_context(self, *, require_client_cert: bool = False) -> ssl.SSLContext:
        """A server-side TLS context; with ``require_client_cert`` clients need a cert from the CA."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_cert, self.server_key)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.ca)
        return context


def connection_json(host: str | None, token: str | None = TOKEN, **extra: Any) -> str:
    """Return an ``AIRFLOW_CONN_*`` JSON value for a revai connection."""
    conn: dict[str, Any] = {"conn_type": "revai", "extra": extra}
    if host is not None:
        conn["host"] = host
    if token is not None:
        conn["password"] = token
    return json.dumps(conn)


def reference_body(name: str) -> Any:
    """The parsed JSON of one reference body under tests/data/revai."""
    return json.loads((REFERENCE_BODIES / name).read_text())


EXAMPLE_DAGS = Path(__file__).resolve().parents[1] / "example_dags"


def load_example_dag(name: str) -> Any:
    """Import ``example_dags/<name>.py`` (the configured dags folder) and return its ``dag``."""
    import importlib.util

    path = EXAMPLE_DAGS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_dags_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


@dataclass
class MediaServer:
    """A loopback HTTP server over a folder of WAV files with sidecar transcripts."""

    folder: Path
    root_url: str

    def add(self, name: str, seconds: float, transcript: str) -> str:
        """Write ``<name>.wav`` and ``<name>.txt``; return the WAV's URL."""
        make_wav(self.folder / f"{name}.wav", seconds=seconds)
        (self.folder / f"{name}.txt").write_text(transcript)
        return f"{self.root_url}/{name}.wav"


def run_results(
    dag_id: str, run_id: str
) -> tuple[dict[tuple[str, int], str], dict[tuple[str, int, str], Any]]:
    """Return the task states and XComs of one DAG run, keyed by (task id, map index[, key])."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        states = {
            (ti.task_id, ti.map_index): str(ti.state)
            for ti in session.scalars(
                select(TaskInstance).where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
            )
        }
        xcoms = {
            (row.task_id, row.map_index, row.key): row.value
            for row in session.scalars(
                select(XComModel).where(XComModel.dag_id == dag_id, XComModel.run_id == run_id)
            )
        }
    return states, xcoms


class StateStore:
    """Airflow 3.3's task state store, as much of it as the provider uses (``get``/``set``)."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.values = dict(values or {})

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value


def task_context(
    try_number: int = 1,
    *,
    dag_id: str = "dag",
    run_id: str = "run1",
    task_id: str = "submit",
    map_index: int = -1,
    started: datetime | None = None,
    state_store: StateStore | None = None,
) -> dict[str, Any]:
    """The parts of an Airflow task context the provider reads, for one try of one task instance.

    The one context builder of the test suite: operators, sensors and fault tests all use it.
    """
    ti = MagicMock(dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index, try_number=try_number)
    ti.get_first_reschedule_date.return_value = None
    context: dict[str, Any] = {"ti": ti, "dag_run": MagicMock(start_date=started or datetime.now(UTC))}
    if state_store is not None:
        context["task_state_store"] = state_store
    return context


def pushed(context: dict[str, Any]) -> dict[str, Any]:
    """What a task pushed to XCom, by key (the last value of each key)."""
    return {c.kwargs["key"]: c.kwargs["value"] for c in context["ti"].xcom_push.call_args_list}


#: ``Receiver.post``'s default: the receiver's own secret.
_OWN: Any = object()


class Receiver:
    """The webhook receiver app on a loopback port, mounted as the API server mounts a plugin's apps.

    ``post`` delivers as Rev AI does, for ``conn_id`` with ``secret`` unless told otherwise. The
    Airflow metadata database must exist (the receiver records into it).
    """

    def __init__(self, conn_id: str, secret: str) -> None:
        self.conn_id, self.secret = conn_id, secret
        import uvicorn
        from fastapi import FastAPI

        from airflow_provider_rev.receiver import RevAIWebhookPlugin

        root = FastAPI()
        for app in RevAIWebhookPlugin.fastapi_apps:  # what the API server does with a plugin's apps
            root.mount(app["url_prefix"], app["app"])
        config = uvicorn.Config(root, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the receiver did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def base_url(self) -> str:
        """Where the API server's root would be (the app answers under ``/revai``)."""
        (sock,) = [s for server in self.server.servers for s in server.sockets]
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    def url(self, conn_id: str | None = None) -> str:
        return webhook_url(self.base_url, conn_id or self.conn_id)

    def post(
        self, body: Any, secret: str | None = _OWN, conn_id: str | None = None, session: Any = None
    ) -> requests.Response:
        """POST ``body`` (JSON, or raw bytes); ``secret=None`` sends no ``Authorization`` header."""
        secret = self.secret if secret is _OWN else secret
        headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return (session or requests).post(self.url(conn_id), data=data, headers=headers, timeout=30)


def declare_asset(name: str, conn_id: str, accept: CompletionFilter | None = None) -> None:
    """Make a completion Asset active, as parsing a DAG that uses ``revai_jobs_asset`` does."""
    from airflow.models.asset import AssetActive, AssetModel
    from airflow.utils.session import create_session

    extra = {FILTER_EXTRA_KEY: (accept or CompletionFilter()).to_json()}
    with create_session() as session:
        model = AssetModel(name=name, uri=asset_uri(conn_id, name), extra=extra)
        session.add(model)
        session.flush()
        session.add(AssetActive.for_asset(model))


def recorded_events(name: str) -> list[dict[str, Any]]:
    """The Asset's events' ``extra``, oldest first."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = (
            select(AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.name == name)
            .order_by(AssetEvent.id)
        )
        return [dict(extra) for extra in session.scalars(query)]


_TRIGGER_IDS = itertools.count(1)


async def run_shared(triggers: list[Any], manager: Any = None) -> list[Any]:
    """Run triggers the way Airflow 3.3's triggerer does when they declare a shared stream key.

    Each trigger subscribes to ``SharedStreamManager`` under its ``shared_stream_key()`` and
    consumes the broadcast through ``filter_shared_stream``; it unsubscribes when it fired
    (or was cancelled), as ``run_trigger`` does. Returns each trigger's first event payload.
    """
    from airflow.triggers.shared_stream import SharedStreamManager

    manager = manager or SharedStreamManager()

    async def one(trigger_id: int, trigger: Any) -> Any:
        key = trigger.shared_stream_key()
        assert key is not None, "this trigger does not share a stream"
        stream = manager.subscribe(trigger_id=trigger_id, trigger=trigger, key=key)
        try:
            async with contextlib.aclosing(trigger.filter_shared_stream(stream)) as events:
                async for event in events:
                    return event.payload
        finally:
            await manager.unsubscribe(trigger_id, key)
        raise AssertionError(f"trigger {trigger_id} ended without an event")

    return list(await asyncio.gather(*(one(next(_TRIGGER_IDS), t) for t in triggers)))


async def run_standalone(triggers: list[Any]) -> list[Any]:
    """Run triggers one poll loop each (``run()``), as Airflow 3.1/3.2 and ``dag.test()`` do."""

    async def one(trigger: Any) -> Any:
        async for event in trigger.run():
            return event.payload
        raise AssertionError("trigger ended without an event")

    return list(await asyncio.gather(*(one(t) for t in triggers)))
