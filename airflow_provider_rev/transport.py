"""How requests reach Rev AI: proxy, TLS and extra headers, from a ``revai`` connection's extras.

The extras use the key names of Airflow's HTTP connection (``apache-airflow-providers-http``)
so settings can be copied from one: ``proxies``, ``verify``, ``cert``, ``trust_env``,
``timeout`` and ``headers`` (``proxy`` and ``verify_ssl`` are accepted as aliases, as there).
Unlike the HTTP connection, extra headers go under ``headers``: other extras, such as
``region``, are never sent as headers.

The extras are parsed once into :class:`TransportSettings`; :meth:`TransportSettings.resolve`
applies the environment and yields the :class:`Route` both clients use, so ``requests`` on
workers and ``aiohttp`` in the triggerer go through the same proxy, trust the same CA bundle
and present the same client certificate. Neither library reads the environment itself, and
``~/.netrc`` is never read, so nothing but the connection's token can authorise a request.
"""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import requests.utils

from airflow_provider_rev.exceptions import RevAIInvalidInputError

#: Seconds allowed for one HTTP request when neither the hook nor the connection says.
DEFAULT_TIMEOUT = 60.0
#: The environment variables ``requests`` reads for a CA bundle; honoured when ``trust_env``.
CA_BUNDLE_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_BOOLEANS = {
    "true": True,
    "yes": True,
    "on": True,
    "1": True,
    "false": False,
    "no": False,
    "off": False,
    "0": False,
}
#: Headers each request sets itself (lower case): an extra header may not name one, as it would
#: either be ignored or break the request.
PROVIDER_HEADERS = frozenset(
    {
        "user-agent",
        "accept",
        "content-type",
        "content-length",
        "transfer-encoding",
        "host",
        "proxy-authorization",
    }
)
#: ``ssl.SSLError.reason`` parts with which a server refuses the client's certificate (or its absence).
_CLIENT_CERT_REFUSALS = (
    "CERTIFICATE_REQUIRED",
    "BAD_CERTIFICATE",
    "UNKNOWN_CA",
    "CERTIFICATE_UNKNOWN",
    "CERTIFICATE_EXPIRED",
    "CERTIFICATE_REVOKED",
    "UNSUPPORTED_CERTIFICATE",
    # TLS 1.2 servers answer a missing client certificate with a plain handshake failure.
    "HANDSHAKE_FAILURE",
)


def _url_secrets(url: str | None) -> list[str]:
    """Return the password in ``url``'s user info, as written and decoded, for the masker."""
    password = urlsplit(url).password if url else None
    return [password, unquote(password)] if password else []


def _without_credentials(url: str) -> str:
    """Return ``url`` with any ``user:password@`` removed, for messages and reprs."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


@dataclass(frozen=True)
class Route:
    """What one connection's requests go through, the environment already applied.

    :param proxy: the proxy URL, credentials included, or ``None`` to connect directly.
    :param verify: the CA bundle (file or directory) that server certificates must chain
        to, or ``False`` to accept any certificate.
    :param cert: the client certificate and its key file (``None`` when the key is in the
        certificate file), or ``None``.
    :param headers: extra headers for every request.
    :param timeout: seconds allowed for one HTTP request.
    """

    proxy: str | None
    verify: str | bool
    cert: tuple[str, str | None] | None
    headers: Mapping[str, str]
    timeout: float

    def secrets(self) -> list[str]:
        """Return the proxy's password (it may come from the environment), for the masker."""
        return _url_secrets(self.proxy)

    def request_headers(self, own: Mapping[str, str]) -> dict[str, str]:
        """Return the extra headers overlaid with ``own`` (parsing already refused any clash)."""
        taken = {name.lower() for name in own}
        merged = {name: value for name, value in self.headers.items() if name.lower() not in taken}
        merged.update(own)
        return merged

    def ssl_context(self) -> ssl.SSLContext:
        """Build the TLS context matching ``verify`` and ``cert`` (it reads files: not on an event loop)."""
        if self.verify is False:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif isinstance(self.verify, str) and os.path.isdir(self.verify):
            context = ssl.create_default_context(capath=self.verify)
        else:
            context = ssl.create_default_context(cafile=str(self.verify))
        if self.cert is not None:
            context.load_cert_chain(*self.cert)
        return context

    def __repr__(self) -> str:
        proxy = _without_credentials(self.proxy) if self.proxy else None
        return (
            f"Route(proxy={proxy!r}, verify={self.verify!r}, cert={self.cert!r}, "
            f"headers={sorted(self.headers)!r}, timeout={self.timeout!r})"
        )


@dataclass(frozen=True)
class TransportSettings:
    """The connection's proxy, TLS and header extras, validated. ``repr`` shows no credentials.

    :param proxies: scheme (``http``, ``https``, ``all``, or ``scheme://host``) to proxy
        URL, as in ``requests``; the key ``no_proxy`` lists hosts reached directly.
    :param verify: check server certificates against the default CA bundle (``True``), a
        CA bundle file or directory (a path), or not at all (``False``).
    :param cert: a client certificate file (key included), or ``(certificate, key)``.
    :param headers: extra headers for every request; they never replace the provider's own.
    :param trust_env: also take proxies, ``NO_PROXY`` and a CA bundle from the environment.
    :param timeout: seconds for one HTTP request, when the hook is not given one.
    """

    proxies: Mapping[str, str] = field(default_factory=dict)
    verify: bool | str = True
    cert: tuple[str, str | None] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    trust_env: bool = True
    timeout: float | None = None

    def secrets(self) -> list[str]:
        """Return the credentials in the proxy URLs, for the secrets masker."""
        return [secret for url in self.proxies.values() for secret in _url_secrets(url)]

    def proxy_for(self, url: str) -> str | None:
        """Return the proxy for ``url`` (credentials included), or ``None`` to connect directly.

        The connection's ``proxies`` win over the environment's; a host in ``no_proxy``
        (the connection's, else the environment's ``NO_PROXY`` when ``trust_env``) is
        reached directly, whichever list named the proxy.
        """
        no_proxy = self.proxies.get("no_proxy")
        if (no_proxy or self.trust_env) and requests.utils.should_bypass_proxies(url, no_proxy=no_proxy):
            return None
        candidates = {key: value for key, value in self.proxies.items() if key != "no_proxy"}
        if self.trust_env:
            for key, value in requests.utils.get_environ_proxies(url, no_proxy=no_proxy).items():
                if key != "no":  # NO_PROXY itself
                    candidates.setdefault(key, value if "://" in value else f"http://{value}")
        return requests.utils.select_proxy(url, candidates)

    def ca_bundle(self) -> str | bool:
        """Return the CA bundle to verify against, or ``False``: the same for both clients."""
        if self.verify is False:
            return False
        if isinstance(self.verify, str):
            return self.verify
        if self.trust_env:
            for name in CA_BUNDLE_ENV:
                path = os.environ.get(name)
                if path and not os.path.exists(path):
                    raise RevAIInvalidInputError(
                        name, f"{path!r} does not exist on this machine; fix it, or set trust_env to false."
                    )
                if path:
                    return path
        return requests.utils.DEFAULT_CA_BUNDLE_PATH

    def resolve(self, url: str, timeout: float | None = None) -> Route:
        """Return the :class:`Route` to ``url``; ``timeout`` (the hook's) wins over the connection's."""
        return Route(
            proxy=self.proxy_for(url),
            verify=self.ca_bundle(),
            cert=self.cert,
            headers=dict(self.headers),
            timeout=timeout if timeout is not None else self.timeout or DEFAULT_TIMEOUT,
        )

    def __repr__(self) -> str:
        proxies = {key: _without_credentials(value) for key, value in self.proxies.items()}
        return (
            f"TransportSettings(proxies={proxies!r}, verify={self.verify!r}, cert={self.cert!r}, "
            f"headers={sorted(self.headers)!r}, trust_env={self.trust_env!r}, timeout={self.timeout!r})"
        )


# ---------------------------------------------------------------------- parsing the extras


def _json_if_text(value: Any) -> Any:
    """Decode a JSON object or list given as text (URI-form connections carry extras as strings)."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str | int) and str(value).strip().lower() in _BOOLEANS:
        return _BOOLEANS[str(value).strip().lower()]
    return None


def _invalid(conn_id: str, key: str, message: str) -> RevAIInvalidInputError:
    return RevAIInvalidInputError(f"extra.{key}", f"connection {conn_id!r}: {message}")


def _proxies(conn_id: str, key: str, value: Any) -> dict[str, str]:
    value = _json_if_text(value)
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = {"all": value}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise _invalid(
            conn_id, key, 'give a mapping like {"https": "http://proxy.example.com:3128"}, as in requests.'
        )
    proxies: dict[str, str] = {}
    for scheme, url in value.items():
        if scheme == "no_proxy":
            proxies[scheme] = url
            continue
        url = url.strip()
        if "://" not in url:
            url = f"http://{url}"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _invalid(
                conn_id,
                key,
                f"the proxy for {scheme!r}, {_without_credentials(url)!r}, is not an http(s):// URL.",
            )
        proxies[str(scheme)] = url
    return proxies


def _verify(conn_id: str, key: str, value: Any) -> bool | str:
    if value is None:
        return True
    flag = _boolean(value)
    if flag is not None:
        return flag
    if not isinstance(value, str) or not os.path.exists(value):
        raise _invalid(
            conn_id,
            key,
            f"{value!r} is neither true, false nor an existing CA bundle file or directory on this machine.",
        )
    return value


def _cert(conn_id: str, value: Any) -> tuple[str, str | None] | None:
    value = _json_if_text(value)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        pair: tuple[str, str | None] = (value, None)
    elif isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(p, str) for p in value):
        pair = (value[0], value[1])
    else:
        raise _invalid(
            conn_id, "cert", "give the client certificate's path, or [certificate path, key path]."
        )
    for path in pair:
        if path is not None and not os.path.isfile(path):
            raise _invalid(conn_id, "cert", f"{path!r} is not a file on this machine.")
    try:
        # Load it once now, so a bad pair fails here, alike on workers and in the triggerer.
        # The password callback stops OpenSSL from prompting on a terminal for an encrypted key.
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(pair[0], pair[1], password=lambda: b"")
    except (ssl.SSLError, OSError) as exc:
        raise _invalid(
            conn_id,
            "cert",
            f"could not load the client certificate ({getattr(exc, 'reason', None) or type(exc).__name__}); "
            "it must be PEM, with an unencrypted key in the file or given as the second path.",
        ) from None
    return pair


def _headers(conn_id: str, value: Any) -> dict[str, str]:
    value = _json_if_text(value)
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        raise _invalid(conn_id, "headers", 'give a mapping like {"X-Request-Source": "airflow"}.')
    headers: dict[str, str] = {}
    for name, header_value in value.items():
        if str(name).lower() == "authorization":
            raise _invalid(
                conn_id,
                "headers",
                "Authorization comes from the access token (the password field) and cannot be set "
                "as an extra header; remove it from headers.",
            )
        if str(name).lower() in PROVIDER_HEADERS:
            raise _invalid(
                conn_id,
                "headers",
                f"{name} is set by the provider on each request and cannot be an extra header "
                "(proxy credentials go in the proxy URL); remove it from headers.",
            )
        if not isinstance(header_value, str | int | float) or isinstance(header_value, bool):
            raise _invalid(conn_id, "headers", f"the value of {name!r} must be text.")
        headers[str(name)] = str(header_value)
    return headers


def _timeout(conn_id: str, value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds > 0 or isinstance(value, bool):
        raise _invalid(conn_id, "timeout", f"{value!r} is not a positive number of seconds.")
    return seconds


def transport_from_extra(conn_id: str, extra: Mapping[str, Any]) -> TransportSettings:
    """Parse and check the proxy, TLS, header and timeout extras of connection ``conn_id``."""
    proxies_key = "proxies" if "proxies" in extra else "proxy"
    verify_key = "verify" if "verify" in extra else "verify_ssl"
    trust_env = _boolean(extra.get("trust_env", True))
    if trust_env is None:
        raise _invalid(conn_id, "trust_env", f"{extra.get('trust_env')!r} is neither true nor false.")
    return TransportSettings(
        proxies=_proxies(conn_id, proxies_key, extra.get(proxies_key)),
        verify=_verify(conn_id, verify_key, extra.get(verify_key)),
        cert=_cert(conn_id, extra.get("cert")),
        headers=_headers(conn_id, extra.get("headers")),
        trust_env=trust_env,
        timeout=_timeout(conn_id, extra.get("timeout")),
    )


# ---------------------------------------------------------------------- certificate failures


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception it wraps, however the library nested them."""
    found: list[BaseException] = []
    pending: list[object] = [exc]
    while pending and len(found) < 20:
        current = pending.pop()
        if not isinstance(current, BaseException) or any(current is seen for seen in found):
            continue
        found.append(current)
        pending += [current.__cause__, current.__context__, *current.args]
        for attribute in ("reason", "certificate_error", "os_error"):
            pending.append(getattr(current, attribute, None))
    return found


def certificate_problem(exc: BaseException) -> str | None:
    """Describe a TLS certificate failure inside ``exc`` and name its fix; ``None`` if it is not one.

    Such a failure does not go away on a retry, so the hook raises it at once instead of
    backing off: either the server's certificate is not trusted, or the server refused ours
    (or its absence).
    """
    causes = _causes(exc)
    untrusted = [cause for cause in causes if isinstance(cause, ssl.SSLCertVerificationError)]
    if untrusted:
        # aiohttp's wrapper is itself an SSLCertVerificationError, without the message.
        reasons = [getattr(cause, "verify_message", None) for cause in untrusted]
        reason = next((r for r in reasons if r), "certificate verify failed")
        return (
            f"the server's TLS certificate is not trusted ({reason}). If it is signed by a "
            'private CA, set the connection extra "verify" to the CA bundle\'s path; '
            '"verify": false turns the check off (not recommended).'
        )
    for cause in causes:
        if isinstance(cause, ssl.SSLError) and any(r in str(cause.reason) for r in _CLIENT_CERT_REFUSALS):
            return (
                f"the server refused the TLS handshake ({cause.reason}). If it requires a client "
                'certificate, set the connection extra "cert" to its path, or to '
                "[certificate path, key path], issued by a CA the server trusts."
            )
    return None
