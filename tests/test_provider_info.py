"""The provider is discovered through its entry point, with its hook and connection form."""

from __future__ import annotations

from importlib.metadata import entry_points, version

import airflow
import pytest
from airflow.providers_manager import ProvidersManager
from packaging.version import Version

from airflow_provider_rev import __version__
from airflow_provider_rev.get_provider_info import get_provider_info


def test_entry_point_points_at_get_provider_info() -> None:
    (ep,) = [
        ep
        for ep in entry_points(group="apache_airflow_provider")
        if ep.value.startswith("airflow_provider_rev")
    ]
    assert ep.load() is get_provider_info
    assert version("airflow-provider-rev") == __version__


def _hooks_registry() -> object:
    """The registry a worker uses to map a conn_type to a hook (moved to the task SDK in 3.2+)."""
    try:
        from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime
    except ImportError:
        return ProvidersManager()
    return ProvidersManagerTaskRuntime()


def test_providers_manager_discovers_provider_and_hook() -> None:
    assert ProvidersManager().providers["airflow-provider-rev"].version == __version__
    hook_info = _hooks_registry().hooks["revai"]  # type: ignore[attr-defined]
    assert hook_info is not None
    assert hook_info.hook_class_name == "airflow_provider_rev.hooks.revai.RevAIHook"
    assert hook_info.connection_id_attribute_name == "revai_conn_id"
    assert hook_info.hook_name == "Rev AI"


def test_connection_form_is_declared() -> None:
    (conn_type,) = get_provider_info()["connection-types"]
    behaviour = conn_type["ui-field-behaviour"]
    assert behaviour["relabeling"] == {"password": "Access token", "host": "API base URL"}
    assert "host" in behaviour["placeholders"]
    assert conn_type["conn-fields"]["region"]["schema"]["enum"] == ["us", "eu", None]


@pytest.mark.skipif(
    Version(airflow.__version__) < Version("3.2"), reason="declarative conn-fields arrived in Airflow 3.2"
)
def test_ui_metadata_exposes_region_field() -> None:
    services = pytest.importorskip("airflow.api_fastapi.core_api.services.ui.connections")
    service = getattr(services, "HookMetaService", None)
    if service is None or not hasattr(service, "hook_meta_data"):
        pytest.skip("this Airflow version has no HookMetaService.hook_meta_data")
    (meta,) = [m for m in service.hook_meta_data() if m.connection_type == "revai"]
    assert meta.hook_name == "Rev AI"
    assert meta.standard_fields is not None and meta.standard_fields.password.title == "Access token"
    assert meta.extra_fields is not None and "region" in meta.extra_fields
