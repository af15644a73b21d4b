"""The option table alone drives validation, the submit operator's keywords, its templates and the docs."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

from airflow_provider_rev.operators.revai import SUBMIT_KEYWORDS, SubmitTranscriptionOperator
from airflow_provider_rev.options import JOB_OPTIONS, OPTIONS_BY_NAME, markdown_table

ROOT = Path(__file__).resolve().parents[1]


def option_table_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("option_table", ROOT / "scripts" / "option_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_operator_takes_exactly_the_table_as_keywords() -> None:
    parameters = inspect.signature(SubmitTranscriptionOperator.__init__).parameters
    keywords = [name for name, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert sorted(keywords) == sorted([*OPTIONS_BY_NAME, *SUBMIT_KEYWORDS])
    for option in JOB_OPTIONS:
        assert parameters[option.name].default is None, f"{option.name} must default to None (not sent)"


def test_every_option_is_stored_and_templated_unless_secret() -> None:
    op = SubmitTranscriptionOperator(
        task_id="t", media_url="https://a/b.wav", **{o.name: o.name for o in JOB_OPTIONS}
    )
    assert all(getattr(op, o.name) == o.name for o in JOB_OPTIONS)
    templated = {o.name for o in JOB_OPTIONS if not o.secret}
    assert set(SubmitTranscriptionOperator.template_fields) == templated | {
        "media_url",
        "local_file",
        "revai_conn_id",
        "extra_options",
    }
    assert {"notification_auth_headers", "notification_config"} <= {o.name for o in JOB_OPTIONS if o.secret}
    structured = {o.name for o in JOB_OPTIONS if o.type in (list, dict) and not o.secret}
    assert set(SubmitTranscriptionOperator.template_fields_renderers) == structured | {"extra_options"}


def test_the_docs_show_the_table() -> None:
    page = (ROOT / "docs" / "options.md").read_text()
    assert option_table_script().render(page) == page, "run: python scripts/option_table.py"
    for option in JOB_OPTIONS:
        assert f"| `{option.name}`" in markdown_table()
