"""The ``revai`` connection form for Airflow before 3.2, built from the provider info.

Airflow 3.2+ reads the form from ``get_provider_info()`` (``ui-field-behaviour`` and
``conn-fields``) without importing the hook. Airflow 3.1 asks the hook instead
(``get_ui_field_behaviour`` and ``get_connection_form_widgets``); both are derived here
from the same dictionary, so the two paths cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_rev.get_provider_info import get_provider_info


def connection_type_info() -> dict[str, Any]:
    """Return the ``revai`` entry of the provider info's ``connection-types``."""
    (entry,) = [c for c in get_provider_info()["connection-types"] if c["connection-type"] == "revai"]
    return dict(entry)


def ui_field_behaviour() -> dict[str, Any]:
    """Return ``ui-field-behaviour`` with the snake_case keys ``get_ui_field_behaviour`` uses."""
    behaviour = connection_type_info()["ui-field-behaviour"]
    return {
        "hidden_fields": list(behaviour["hidden-fields"]),
        "relabeling": dict(behaviour["relabeling"]),
        "placeholders": dict(behaviour["placeholders"]),
    }


def connection_form_widgets() -> dict[str, Any]:
    """Return the ``conn-fields`` as WTForms fields, for Airflow 3.1's connection form.

    Airflow 3.1's UI calls this with ``wtforms``, ``flask_babel`` and ``flask_appbuilder``
    replaced by stand-ins when they are not installed, so they are imported here, at call
    time, and only these names are used.
    """
    from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import PasswordField, StringField
    from wtforms.validators import any_of

    widgets: dict[str, Any] = {}
    for name, field in connection_type_info()["conn-fields"].items():
        schema = field["schema"]
        choices = [value for value in schema.get("enum", []) if value is not None]
        secret = schema.get("format") == "password"
        widgets[name] = (PasswordField if secret else StringField)(
            lazy_gettext(field["label"]),
            widget=BS3PasswordFieldWidget() if secret else BS3TextFieldWidget(),
            validators=[any_of(choices)] if choices else [],
            description=field.get("description", ""),
            default=schema.get("default"),
        )
    return widgets
