"""The connection's proxy, TLS, header and timeout extras, applied alike by the sync and async
clients, against real loopback servers: a counting forward proxy and HTTPS servers whose
certificates come from a private CA made for the test.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import TOKEN, Certificates, ForwardProxy, Reply, ScriptedServer, connection_json

from airflow_provider_rev import __version__
from airflow_provider_rev.exceptions import (
    RevAIAPIError,
    RevAIConnectionError,
    RevAIInvalidInputError,
    RevAITLSError,
)
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.retry import RetryPolicy

ACCOUNT = {"email": "ops@example.com", "balance_seconds": 3600}
PROXY_USER, PROXY_PASSWORD = "proxyuser", "proxy-pw-7c1e"
CREDENTIALS = (PROXY_USER, PROXY_PASSWORD)
SIDES = ["sync", "async"]
ENVIRONMENT = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy or CA bundle from the machine running the tests."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    """Start scripted servers (HTTPS when given a TLS context) that answer ``GET /account``."""
    started: list[ScriptedServer] = []

    def start(tls: Any = None) -> ScriptedServer:
        server = ScriptedServer(tls)
        server.default = lambda _: Reply(200, ACCOUNT)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy(CREDENTIALS) as running:
        yield running


def use(monkeypatch: pytest.MonkeyPatch, host: str, **extra: Any) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", connection_json(host, **extra))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def handshakes_failed(server: ScriptedServer) -> int:
    """The server's failed handshakes, once it has noticed the first (it may lag the client)."""
    deadline = time.monotonic() + 2
    while server.handshake_failures == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    return server.handshake_failures


async def account(side: str, hook: RevAIHook | None = None) -> dict[str, Any]:
    """``GET /account`` through the sync (requests) or the async (aiohttp) client."""
    hook = hook or RevAIHook(retry_policy=RetryPolicy(base_delay=0.01, jitter=0), timeout=5)
    if side == "sync":
        return hook.get_account()
    try:
        return await hook.aget_account()
    finally:
        await hook.aclose()


@pytest.mark.parametrize("side", SIDES)
class TestProxies:
    async def test_proxies_extra_carries_every_request(
        self, side: str, serve: Callable[..., ScriptedServer], proxy: ForwardProxy, monkeypatch: Any
    ) -> None:
        server = serve()
        use(monkeypatch, server.root_url, proxies={"http": proxy.url(CREDENTIALS)})
        assert await account(side) == ACCOUNT
        assert proxy.seen == [f"GET {server.root_url}/speechtotext/v1/account"]
        assert proxy.refused == 0
        (request,) = server.received
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert "proxy-authorization" not in request.headers

    async def test_https_goes_through_a_connect_tunnel(
        self,
        side: str,
        serve: Callable[..., ScriptedServer],
        proxy: ForwardProxy,
        certs: Certificates,
        monkeypatch: Any,
    ) -> None:
        server = serve(certs.server_context())
        use(monkeypatch, server.root_url, proxies={"https": proxy.url(CREDENTIALS)}, verify=str(certs.ca))
        assert await account(side) == ACCOUNT
        assert proxy.seen == [f"CONNECT {server.root_url.removeprefix('https://')}"]
        assert len(server.received) == 1

    async def test_proxy_credentials_are_checked(
        self, side: str, serve: Callable[..., ScriptedServer], proxy: ForwardProxy, monkeypatch: Any
    ) -> None:
        use(monkeypatch, serve().root_url, proxies={"http": proxy.url((PROXY_USER, "wrong-password"))})
        with pytest.raises(RevAIAPIError) as err:
            await account(side)
        assert err.value.status == 407
        assert proxy.refused == 1
        assert "wrong-password" not in str(err.value)

    async def test_no_proxy_goes_direct(
        self, side: str, serve: Callable[..., ScriptedServer], proxy: ForwardProxy, monkeypatch: Any
    ) -> None:
        server = serve()
        use(
            monkeypatch,
            server.root_url,
            proxies={"http": proxy.url(CREDENTIALS), "no_proxy": "example.com,127.0.0.1"},
        )
        assert await account(side) == ACCOUNT
        assert proxy.seen == []
        assert len(server.received) == 1

    async def test_environment_proxy_is_used_with_trust_env(
        self, side: str, serve: Callable[..., ScriptedServer], proxy: ForwardProxy, monkeypatch: Any
    ) -> None:
        monkeypatch.setenv("HTTP_PROXY", proxy.url(CREDENTIALS))
        server = serve()
        use(monkeypatch, server.root_url)
        assert await account(side) == ACCOUNT
        assert proxy.seen == [f"GET {server.root_url}/speechtotext/v1/account"]

    @pytest.mark.parametrize("trust_env", [False, "false"])
    async def test_trust_env_false_ignores_the_environment(
        self,
        side: str,
        trust_env: Any,
        serve: Callable[..., ScriptedServer],
        proxy: ForwardProxy,
        monkeypatch: Any,
    ) -> None:
        monkeypatch.setenv("HTTP_PROXY", proxy.url(CREDENTIALS))
        server = serve()
        use(monkeypatch, server.root_url, trust_env=trust_env)
        assert await account(side) == ACCOUNT
        assert proxy.seen == []
        assert len(server.received) == 1

    async def test_environment_no_proxy_goes_direct(
        self, side: str, serve: Callable[..., ScriptedServer], proxy: ForwardProxy, monkeypatch: Any
    ) -> None:
        monkeypatch.setenv("HTTP_PROXY", proxy.url(CREDENTIALS))
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        use(monkeypatch, serve().root_url)
        assert await account(side) == ACCOUNT
        assert proxy.seen == []

    async def test_connection_proxy_wins_over_the_environment(
        self, side: str, serve: Callable[..., ScriptedServer], proxy: ForwardProxy, monkeypatch: Any
    ) -> None:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
        use(monkeypatch, serve().root_url, proxies={"http": proxy.url(CREDENTIALS)})
        assert await account(side) == ACCOUNT
        assert len(proxy.seen) == 1


@pytest.mark.parametrize("side", SIDES)
class TestTLS:
    async def test_untrusted_certificate_fails_at_once_naming_the_fix(
        self, side: str, serve: Callable[..., ScriptedServer], certs: Certificates, monkeypatch: Any
    ) -> None:
        server = serve(certs.server_context())
        use(monkeypatch, server.root_url)
        started = time.monotonic()
        with pytest.raises(RevAITLSError) as err:
            # The default policy would back off for seconds on a transient error.
            await account(side, RevAIHook())
        assert time.monotonic() - started < 1.0
        assert handshakes_failed(server) == 1
        assert err.value.permanent
        assert not isinstance(err.value, RevAIConnectionError)
        assert "not trusted (unable to get local issuer certificate)" in str(err.value)
        assert 'set the connection extra "verify" to the CA bundle' in str(err.value)

    async def test_private_ca_bundle_is_trusted(
        self, side: str, serve: Callable[..., ScriptedServer], certs: Certificates, monkeypatch: Any
    ) -> None:
        server = serve(certs.server_context())
        use(monkeypatch, server.root_url, verify=str(certs.ca))
        assert await account(side) == ACCOUNT

    async def test_environment_ca_bundle_with_trust_env_only(
        self, side: str, serve: Callable[..., ScriptedServer], certs: Certificates, monkeypatch: Any
    ) -> None:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certs.ca))
        server = serve(certs.server_context())
        use(monkeypatch, server.root_url)
        assert await account(side) == ACCOUNT
        use(monkeypatch, server.root_url, trust_env=False)
        with pytest.raises(RevAITLSError):
            await account(side)

    @pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
    @pytest.mark.parametrize("verify", [False, "false"])
    async def test_verify_false_accepts_any_certificate_with_a_warning(
        self,
        side: str,
        verify: Any,
        serve: Callable[..., ScriptedServer],
        certs: Certificates,
        monkeypatch: Any,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        server = serve(certs.server_context())
        use(monkeypatch, server.root_url, verify=verify)
        assert await account(side) == ACCOUNT
        logged = "\n".join([caplog.text, *capsys.readouterr()])
        warnings = [line for line in logged.splitlines() if "has verify=false" in line]
        assert len(warnings) == 1
        assert "warning" in warnings[0] and "'revai_default'" in warnings[0]

    @pytest.mark.parametrize("form", ["pair", "combined"])
    async def test_client_certificate_for_mutual_tls(
        self,
        side: str,
        form: str,
        serve: Callable[..., ScriptedServer],
        certs: Certificates,
        monkeypatch: Any,
    ) -> None:
        server = serve(certs.server_context(require_client_cert=True))
        cert: Any = (
            [str(certs.client_cert), str(certs.client_key)] if form == "pair" else str(certs.client_pem)
        )
        use(monkeypatch, server.root_url, verify=str(certs.ca), cert=cert)
        assert await account(side) == ACCOUNT
        assert server.handshake_failures == 0

    async def test_missing_client_certificate_names_the_cert_extra(
        self, side: str, serve: Callable[..., ScriptedServer], certs: Certificates, monkeypatch: Any
    ) -> None:
        server = serve(certs.server_context(require_client_cert=True))
        use(monkeypatch, server.root_url, verify=str(certs.ca))
        with pytest.raises(RevAITLSError) as err:
            await account(side, RevAIHook())
        assert "CERTIFICATE_REQUIRED" in str(err.value)
        assert 'set the connection extra "cert"' in str(err.value)
        assert server.received == []


@pytest.mark.parametrize("side", SIDES)
class TestHeadersAndTimeout:
    async def test_extra_headers_are_sent_but_never_replace_the_providers_own(
        self, side: str, serve: Callable[..., ScriptedServer], monkeypatch: Any
    ) -> None:
        server = serve()
        use(monkeypatch, server.root_url, headers={"X-Request-Source": "airflow", "X-Retry-Budget": 3})
        assert await account(side) == ACCOUNT
        (request,) = server.received
        assert request.headers["x-request-source"] == "airflow"
        assert request.headers["x-retry-budget"] == "3"
        assert request.headers["user-agent"] == f"airflow-provider-rev/{__version__}"
        assert request.headers["authorization"] == f"Bearer {TOKEN}"

    @pytest.mark.parametrize(("hook_timeout", "extra_timeout"), [(None, 0.3), (0.3, 30)])
    async def test_timeout_from_the_hook_else_the_connection(
        self, side: str, hook_timeout: float | None, extra_timeout: float, monkeypatch: Any
    ) -> None:
        with socket.socket() as silent:  # accepts connections (backlog) but never answers
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            use(monkeypatch, f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=extra_timeout)
            hook = RevAIHook(retry_policy=RetryPolicy(max_transient_retries=0), timeout=hook_timeout)
            started = time.monotonic()
            with pytest.raises(RevAIConnectionError):
                await account(side, hook)
            assert 0.25 < time.monotonic() - started < 3


def test_authorization_cannot_be_an_extra_header(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, "http://127.0.0.1:8808", headers={"authorization": "Bearer someone-elses-token"})
    with pytest.raises(RevAIInvalidInputError, match="Authorization comes from the access token") as err:
        _ = RevAIHook().settings
    assert err.value.field == "extra.headers"
    assert "someone-elses-token" not in str(err.value)


@pytest.mark.parametrize("name", ["User-Agent", "accept", "Content-Type", "Proxy-Authorization"])
def test_headers_the_provider_sets_cannot_be_extra_headers(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    use(monkeypatch, "http://127.0.0.1:8808", headers={name: "some value"})
    with pytest.raises(RevAIInvalidInputError, match=f"{name} is set by the provider") as err:
        _ = RevAIHook().settings
    assert err.value.field == "extra.headers"


def test_text_values_of_uri_connections_are_understood(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_REVAI_DEFAULT",
        f"revai://:{TOKEN}@127.0.0.1:8808?verify=false&trust_env=false&timeout=12",
    )
    transport = RevAIHook().settings.transport
    assert (transport.verify, transport.trust_env, transport.timeout) == (False, False, 12.0)


def test_http_connection_aliases_and_json_text(monkeypatch: pytest.MonkeyPatch) -> None:
    use(
        monkeypatch,
        "http://127.0.0.1:8808",
        proxy='{"https": "proxy.corp:3128"}',
        verify_ssl="true",
        headers='{"X-Team": "speech"}',
    )
    transport = RevAIHook().settings.transport
    assert dict(transport.proxies) == {"https": "http://proxy.corp:3128"}
    assert transport.verify is True
    assert dict(transport.headers) == {"X-Team": "speech"}


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"verify": "/nonexistent/ca.pem"}, "extra.verify", "neither true, false nor an existing CA bundle"),
        ({"proxies": ["http://proxy:3128"]}, "extra.proxies", "give a mapping"),
        ({"proxies": {"https": "socks5://proxy:1080"}}, "extra.proxies", "is not an http(s):// URL"),
        ({"cert": "/nonexistent/client.pem"}, "extra.cert", "is not a file on this machine"),
        ({"cert": ["a", "b", "c"]}, "extra.cert", "give the client certificate's path"),
        ({"headers": "X-Team: speech"}, "extra.headers", "give a mapping"),
        ({"timeout": 0}, "extra.timeout", "not a positive number"),
        ({"timeout": "soon"}, "extra.timeout", "not a positive number"),
        ({"trust_env": "maybe"}, "extra.trust_env", "neither true nor false"),
    ],
)
def test_invalid_extras_fail_before_any_request(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any], field: str, message: str
) -> None:
    use(monkeypatch, "http://127.0.0.1:8808", **extra)
    with pytest.raises(RevAIInvalidInputError, match="connection 'revai_default'") as err:
        _ = RevAIHook().settings
    assert err.value.field == field
    assert message in str(err.value)
    assert err.value.permanent


def test_unloadable_client_certificate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    not_pem = tmp_path / "client.pem"
    not_pem.write_text("not a certificate")
    use(monkeypatch, "http://127.0.0.1:8808", cert=str(not_pem))
    with pytest.raises(RevAIInvalidInputError, match="could not load the client certificate"):
        _ = RevAIHook().settings


@pytest.mark.parametrize("side", SIDES)
async def test_no_secret_in_logs_errors_or_reprs(
    side: str,
    serve: Callable[..., ScriptedServer],
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    hook_errors: list[str] = []
    # A proxy that is down: the request fails, is retried and logged.
    use(
        monkeypatch,
        serve().root_url,
        proxies={"http": f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{closed_port()}"},
    )
    hook = RevAIHook(retry_policy=RetryPolicy(max_transient_retries=1, base_delay=0.01, jitter=0))
    with pytest.raises(RevAIConnectionError) as err:
        await account(side, hook)
    hook_errors += [str(err.value), repr(err.value), repr(hook.settings)]
    # A proxy that works, with the same credentials.
    use(monkeypatch, serve().root_url, proxies={"http": proxy.url(CREDENTIALS)})
    hook = RevAIHook()
    assert await account(side, hook) == ACCOUNT
    hook_errors.append(repr(hook.settings))
    logged = "\n".join([caplog.text, *capsys.readouterr()])
    assert "retrying in" in logged
    for text in [logged, *hook_errors]:
        assert PROXY_PASSWORD not in text
        assert TOKEN not in text


async def test_proxy_password_from_the_environment_is_masked(
    serve: Callable[..., ScriptedServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk._shared.secrets_masker import redact

    password = "env-proxy-pw-51d0"
    with ForwardProxy((PROXY_USER, password)) as env_proxy:
        monkeypatch.setenv("HTTP_PROXY", env_proxy.url((PROXY_USER, password)))
        use(monkeypatch, serve().root_url)
        assert await account("async") == ACCOUNT
        assert len(env_proxy.seen) == 1
    assert password not in str(redact(f"proxy said {password}"))


def test_missing_environment_ca_bundle_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/bundle.pem")
    use(monkeypatch, "https://127.0.0.1:8443")
    with pytest.raises(RevAIInvalidInputError, match="set trust_env to false") as err:
        RevAIHook().get_account()
    assert err.value.field == "REQUESTS_CA_BUNDLE"
