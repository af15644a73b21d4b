"""A revai connection given as URI or JSON becomes the right API root and token."""

from __future__ import annotations

import pytest
from support import TOKEN, connection_json

from airflow_provider_rev.exceptions import RevAIInvalidInputError
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
