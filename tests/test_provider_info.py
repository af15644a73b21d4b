"""The provider is discovered through its entry point, with its hook and connection form."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points, version
from types import SimpleNamespace
from typing import Any

import airflow
import pytest
from airflow.providers_manager import ProvidersManager
from packaging.version import Version

from airflow_provider_rev import __version__
from airflow_provider_rev.connection import settings_from_connection
from airflow_provider_rev.get_provider_info import get_provider_info
from airflow_provider_rev.hooks.revai import RevAIHook


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


VISIBLE_STANDARD_FIELDS = ("password", "host", "port")


def _revai_entry() -> dict[str, Any]:
    (conn_type,) = get_provider_info()["connection-types"]
    return dict(conn_type)


def test_every_field_has_a_label_and_help() -> None:
    entry = _revai_entry()
    behaviour = entry["ui-field-behaviour"]
    assert sorted(behaviour["hidden-fields"]) == ["login", "schema"]
    # Port is shown: a URI connection's port is part of the base URL the hook calls.
    assert "port" not in behaviour["hidden-fields"]
    for name in VISIBLE_STANDARD_FIELDS:
        assert behaviour["relabeling"][name], name
        assert len(behaviour["placeholders"][name]) > 20, name
    assert behaviour["relabeling"]["password"] == "Access token"
    assert behaviour["relabeling"]["host"] == "API base URL (optional)"
    region = entry["conn-fields"]["region"]
    assert region["label"] == "Region"
    assert "api.rev.ai" in region["description"] and "ec1.api.rev.ai" in region["description"]


def test_region_choices_resolve_and_are_long_enough_not_to_trip_the_masker() -> None:
    schema = _revai_entry()["conn-fields"]["region"]["schema"]
    choices = [value for value in schema["enum"] if value is not None]
    assert schema["default"] in choices
    assert set(schema["values_display"]) == set(choices)
    # Airflow's secrets masker warns about any extra value shorter than 5 characters.
    assert all(len(value) >= 5 for value in choices)
    roots = {
        settings_from_connection(
            "c", host=None, port=None, schema=None, password="t", extra={"region": v}
        ).root_url
        for v in choices
    }
    assert roots == {"https://api.rev.ai", "https://ec1.api.rev.ai"}


def test_pre_3_2_form_matches_the_provider_info() -> None:
    behaviour = _revai_entry()["ui-field-behaviour"]
    assert RevAIHook.get_ui_field_behaviour() == {
        "hidden_fields": behaviour["hidden-fields"],
        "relabeling": behaviour["relabeling"],
        "placeholders": behaviour["placeholders"],
    }


class _Field:
    """Stands in for a WTForms field, as Airflow 3.1's UI does when FAB is not installed."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        self.label = label
        self.kwargs = kwargs


class _PasswordField(_Field):
    """Stands in for WTForms' PasswordField."""


def test_pre_3_2_extra_fields_match_the_provider_info(monkeypatch: pytest.MonkeyPatch) -> None:
    stand_ins = {
        "wtforms": SimpleNamespace(StringField=_Field, PasswordField=_PasswordField),
        "wtforms.validators": SimpleNamespace(any_of=lambda values: ("any_of", tuple(values))),
        "flask_babel": SimpleNamespace(lazy_gettext=lambda text: text),
        "flask_appbuilder": SimpleNamespace(),
        "flask_appbuilder.fieldwidgets": SimpleNamespace(
            BS3TextFieldWidget=lambda: "text-widget", BS3PasswordFieldWidget=lambda: "password-widget"
        ),
    }
    for name, module in stand_ins.items():
        monkeypatch.setitem(sys.modules, name, module)
    fields = _revai_entry()["conn-fields"]
    widgets = RevAIHook.get_connection_form_widgets()
    assert list(widgets) == ["region", "webhook_secret", "webhook_previous_secret", "webhook_base_url"]
    region = widgets["region"]
    assert region.label == "Region"
    assert region.kwargs["description"] == fields["region"]["description"]
    assert region.kwargs["default"] == "api.rev.ai"
    assert region.kwargs["validators"] == [("any_of", ("api.rev.ai", "ec1.api.rev.ai"))]
    secret, base_url = widgets["webhook_secret"], widgets["webhook_base_url"]
    assert type(secret) is _PasswordField and secret.kwargs["widget"] == "password-widget"
    assert type(base_url) is _Field and base_url.kwargs["widget"] == "text-widget"
    assert base_url.kwargs["validators"] == [] and secret.label == "Webhook secret"
    assert type(widgets["webhook_previous_secret"]) is _PasswordField


@pytest.mark.skipif(
    Version(airflow.__version__) < Version("3.2"),
    reason="3.1 builds this from the hook only in a fresh process (test_pre_3_2_* cover the hook)",
)
def test_ui_metadata_carries_labels_placeholders_and_help() -> None:
    """What the UI's connection form is built from (provider info on Airflow 3.2+)."""
    services = pytest.importorskip("airflow.api_fastapi.core_api.services.ui.connections")
    service = getattr(services, "HookMetaService", None)
    if service is None or not hasattr(service, "hook_meta_data"):
        pytest.skip("this Airflow version has no HookMetaService.hook_meta_data")
    behaviour = _revai_entry()["ui-field-behaviour"]
    (meta,) = [m for m in service.hook_meta_data() if m.connection_type == "revai"]
    assert meta.hook_name == "Rev AI"
    assert meta.standard_fields is not None
    for name in VISIBLE_STANDARD_FIELDS:
        shown = getattr(meta.standard_fields, name)
        assert (shown.hidden, shown.title, shown.placeholder) == (
            False,
            behaviour["relabeling"][name],
            behaviour["placeholders"][name],
        )
    assert meta.standard_fields.login.hidden and meta.standard_fields.url_schema.hidden
    assert meta.extra_fields is not None
    region = meta.extra_fields["region"]
    assert region["schema"]["title"] == "Region"
    assert region["description"] == _revai_entry()["conn-fields"]["region"]["description"]
    assert region["value"] == "api.rev.ai"


def test_airflow_loads_the_webhook_plugin_from_the_installed_package() -> None:
    """The API server mounts every plugin's FastAPI apps; ours must be among them, at /revai."""
    from airflow import plugins_manager

    if hasattr(plugins_manager, "get_fastapi_plugins"):  # Airflow 3.2+
        apps, _ = plugins_manager.get_fastapi_plugins()
    else:  # Airflow 3.1
        plugins_manager.initialize_fastapi_plugins()
        apps = plugins_manager.fastapi_apps
    (ours,) = [app for app in apps if app.get("url_prefix") == "/revai"]
    assert ours["name"] == "Rev AI webhooks" and callable(ours["app"])
    (declared,) = get_provider_info()["plugins"]
    assert declared["plugin-class"] == "airflow_provider_rev.receiver.RevAIWebhookPlugin"
