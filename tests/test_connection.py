"""A revai connection given as URI or JSON becomes the right API root and token."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from support import TOKEN, connection_json

from airflow_provider_rev.connection import settings_from_connection
from airflow_provider_rev.exceptions import RevAIInvalidInputError
from airflow_provider_rev.get_provider_info import get_provider_info
from airflow_provider_rev.hooks.revai import RevAIHook


@pytest.mark.parametrize(
    ("env_value", "api_url", "region"),
    [
        (connection_json(None), "https://api.rev.ai/speechtotext/v1", "us"),
        (connection_json(None, region="EU"), "https://ec1.api.rev.ai/speechtotext/v1", "eu"),
        (connection_json("http://127.0.0.1:8808"), "http://127.0.0.1:8808/speechtotext/v1", "us"),
        (
            connection_json("https://proxy.internal/revai/"),
            "https://proxy.internal/revai/speechtotext/v1",
            "us",
        ),
        (connection_json("https://api.rev.ai/speechtotext/v1"), "https://api.rev.ai/speechtotext/v1", "us"),
        (f"revai://:{TOKEN}@127.0.0.1:8808", "http://127.0.0.1:8808/speechtotext/v1", "us"),
        (f"revai://:{TOKEN}@localhost:9000?region=eu", "http://localhost:9000/speechtotext/v1", "eu"),
        (f"revai://:{TOKEN}@revai-proxy.corp:8443", "https://revai-proxy.corp:8443/speechtotext/v1", "us"),
        (f"revai://:{TOKEN}@?region=eu", "https://ec1.api.rev.ai/speechtotext/v1", "eu"),
    ],
)
def test_connection_forms(monkeypatch: pytest.MonkeyPatch, env_value: str, api_url: str, region: str) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", env_value)
    settings = RevAIHook().settings
    assert settings.api_url == api_url
    assert settings.region == region
    assert settings.token == TOKEN
    assert TOKEN not in repr(settings)


def test_custom_conn_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_EU", connection_json(None, region="eu"))
    assert RevAIHook(revai_conn_id="revai_eu").settings.root_url == "https://ec1.api.rev.ai"


def test_missing_token_names_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", connection_json("http://127.0.0.1:8808", token=None))
    with pytest.raises(RevAIInvalidInputError, match="connection 'revai_default' has no access token") as err:
        _ = RevAIHook().settings
    assert err.value.field == "password"
    assert err.value.permanent


def test_unknown_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", connection_json(None, region="apac"))
    with pytest.raises(RevAIInvalidInputError, match="region 'apac'; use one of eu, us"):
        _ = RevAIHook().settings


def test_host_that_is_not_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", connection_json("ftp://files.example.com"))
    with pytest.raises(RevAIInvalidInputError, match="host"):
        _ = RevAIHook().settings


async def test_async_lookup_shares_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", connection_json("http://127.0.0.1:8808", region="eu"))
    hook = RevAIHook()
    settings = await hook.asettings()
    assert settings.api_url == "http://127.0.0.1:8808/speechtotext/v1" and settings.region == "eu"
    assert hook.settings is settings


def _form_extra(**chosen: str) -> dict[str, object]:
    """The extra the connection form stores: each conn-field's default unless ``chosen``."""
    (entry,) = get_provider_info()["connection-types"]
    fields = entry["conn-fields"].items()
    return {name: chosen.get(name, field["schema"].get("default")) for name, field in fields}


def _short_secret_warnings(
    extra: dict[str, object], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> list[str]:
    """Read the connection the way a task does and return the masker's "too short" warnings.

    ``Connection.get_uri()`` (which the lookup calls to cache the connection) and
    ``extra_dejson`` (which the hook reads) hand every extra value to the secrets masker;
    it warns once per process, so the flag is reset first.
    """
    # Airflow 3.1 and 3.3 keep the masker in different modules: reset every loaded copy.
    for name, module in list(sys.modules.items()):
        masker = getattr(module, "SecretsMasker", None) if name.endswith(".secrets_masker") else None
        if masker is not None and hasattr(masker, "_has_warned_short_secret"):
            monkeypatch.setattr(masker, "_has_warned_short_secret", False)
    conn = {"conn_type": "revai", "host": "", "port": None, "password": TOKEN, "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_UI", json.dumps(conn))
    with caplog.at_level(logging.WARNING):
        settings = RevAIHook(revai_conn_id="revai_ui").settings
    assert settings.token == TOKEN
    return [r.getMessage() for r in caplog.records if "too short" in r.getMessage()]


@pytest.mark.parametrize("region", ["api.rev.ai", "ec1.api.rev.ai", None])
def test_form_connection_reads_without_the_short_secret_warning(
    region: str | None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    extra = _form_extra() if region is None else _form_extra(region=region)
    assert _short_secret_warnings(extra, monkeypatch, caplog) == []


def test_short_region_value_still_trips_airflows_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # What the form stored before: the warning path above is the one Airflow takes.
    warnings = _short_secret_warnings({"region": "us"}, monkeypatch, caplog)
    assert warnings == ["Skipping masking for a secret as it's too short (<5 chars)"]


@pytest.mark.parametrize(
    ("root", "url"),
    [
        ("https://api.rev.ai", "https://www.rev.ai/jobs/j1"),
        ("https://ec1.api.rev.ai", "https://www.rev.ai/jobs/j1"),
        ("http://127.0.0.1:8808", "http://127.0.0.1:8808/jobs/j1"),
        ("http://localhost:9000", "http://localhost:9000/jobs/j1"),
        ("https://proxy.internal/revai", ""),
    ],
)
def test_job_link_target(root: str, url: str) -> None:
    settings = settings_from_connection("c", host=root, port=None, schema=None, password="t", extra={})
    assert settings.job_url("j1") == url


@pytest.mark.parametrize("port", [0, None])
def test_ui_port_zero_means_no_port(port: int | None) -> None:
    # Airflow 3.3.2's row Test button sends port 0 for a connection saved without one.
    settings = settings_from_connection(
        "c", host="127.0.0.1", port=port, schema=None, password="t", extra={"region": "api.rev.ai"}
    )
    assert settings.root_url == "http://127.0.0.1"


def test_port_field_completes_a_host_without_port() -> None:
    settings = settings_from_connection("c", host="127.0.0.1", port=8808, schema=None, password="t", extra={})
    assert settings.api_url == "http://127.0.0.1:8808/speechtotext/v1"
