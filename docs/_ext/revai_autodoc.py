"""Sphinx extension for the API reference: job options from the option table, no private bases.

Two autodoc hooks (registered by :func:`setup`, loaded from ``docs/conf.py``):

* ``autodoc-process-docstring``: every documented class or function that takes job options
  gets, for each option its docstring leaves undocumented, the option table's description
  and limits (:data:`airflow_provider_rev.options.JOB_OPTIONS`, the table ``docs/options.md``
  shows). Options that are named parameters (``SubmitTranscriptionOperator(speakers_count=...)``)
  become ``:param:`` fields; options taken through ``**options`` (the hook's submit methods)
  become ``:param:`` fields too, with the table's type, after ``options`` (``:param:``, not
  ``:keyword:``: Sphinx 9 lists keywords under "Parameters" and ignores ``:kwtype:``). The
  descriptions are written once, in the table, and cannot drift from it; a description the
  docstring gives itself wins (the custom vocabulary operator words ``metadata`` for
  vocabularies).
* ``autodoc-process-bases``: a base class whose name starts with ``_`` is an implementation
  detail the reference does not document (so "Bases: _SubmitAndWait" named a class a reader
  cannot look up); it is replaced by its own bases, recursively, so the reader sees what the
  class really is (``BaseOperator``, ``StrEnum``, ``AirflowFailException``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from airflow_provider_rev.options import JOB_OPTIONS, OPTIONS_BY_NAME, VOCABULARY_OPTIONS, JobOption

log = logging.getLogger(__name__)

#: Which options each callable taking ``**options`` accepts, by its full dotted name. A
#: documented callable with ``**options`` missing here fails the build (warnings are errors),
#: so a new submit method cannot reach the reference with its options undocumented.
KEYWORD_OPTIONS: Mapping[str, tuple[JobOption, ...]] = {
    "airflow_provider_rev.hooks.revai.RevAIHook.submit_job": JOB_OPTIONS,
    "airflow_provider_rev.hooks.revai.RevAIHook.submit_local_file": JOB_OPTIONS,
    **{
        f"airflow_provider_rev.hooks.revai.RevAIHook.{method}": tuple(
            option for option in JOB_OPTIONS if option.name in VOCABULARY_OPTIONS
        )
        for method in ("submit_custom_vocabulary", "asubmit_custom_vocabulary")
    },
}
#: A field documenting a parameter: ``:param name:``, ``:param type name:``, ``:keyword name:``...
_FIELD = re.compile(r"^:(?:param|parameter|arg|argument|key|keyword|kwarg|kwparam)\s+(?:\S+\s+)?(\w+):")


def describe(option: JobOption) -> str:
    """Return an option's description for a docstring field: the table's summary and limits."""
    text = option.summary
    if option.api_name:
        text += f" Sent as ``{option.api_name}``."
    if option.valid_for != "all":
        text += f" Valid for: {option.valid_for}."
    return text


def _signature(obj: Any, what: str) -> inspect.Signature | None:
    target = obj.__init__ if what == "class" else obj
    try:
        return inspect.signature(target)
    except (TypeError, ValueError):
        return None


def _field_end(lines: list[str], start: int) -> int:
    """Return the index just past the field starting at ``lines[start]`` (its indented lines)."""
    end = start + 1
    while end < len(lines) and lines[end].startswith((" ", "\t")):
        end += 1
    return end


def _insert_fields(lines: list[str], order: Iterable[str], missing: Mapping[str, list[str]]) -> None:
    """Insert the ``missing`` fields into the docstring's field list, in signature ``order``.

    Each one goes after the field of the documented parameter before it in the signature, so
    the rendered "Parameters" read in signature order; with none before it, before the first
    field. Fields must join the existing field list: a second list, after a blank line, would
    render a second "Parameters" heading.
    """
    fields = {m[1]: i for i, line in enumerate(lines) if (m := _FIELD.match(line))}
    groups: dict[int, list[str]] = {}
    anchor: str | None = None
    for name in order:
        if name in missing:
            if anchor is not None:
                at = _field_end(lines, fields[anchor])
            elif fields:
                at = min(fields.values())
            else:
                at = len(lines)
            groups.setdefault(at, []).extend(missing[name])
        elif name in fields:
            anchor = name
    if not fields:
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            lines.append("")
        groups = {len(lines): [line for group in groups.values() for line in group]}
    for at in sorted(groups, reverse=True):  # bottom up, so the other indices stay valid
        lines[at:at] = groups[at]


def add_option_fields(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Document the job options ``obj`` takes from the option table (``autodoc-process-docstring``)."""
    if what not in ("class", "method", "function"):
        return
    signature = _signature(obj, what)
    if signature is None:
        return
    documented = {m.group(1) for line in lines if (m := _FIELD.match(line))}
    missing: dict[str, list[str]] = {}
    order: list[str] = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD and parameter.name == "options":
            if name not in KEYWORD_OPTIONS:
                log.warning(
                    "%s takes **options but docs/_ext/revai_autodoc.py does not say which job "
                    "options; add it to KEYWORD_OPTIONS",
                    name,
                )
                continue
            order.append(parameter.name)  # the options follow the field introducing them
            for keyword in KEYWORD_OPTIONS[name]:
                if keyword.name not in documented:
                    missing[keyword.name] = [
                        f":param {keyword.name}: {describe(keyword)}",
                        f":type {keyword.name}: {keyword.type.__name__}",
                    ]
                    order.append(keyword.name)
            continue
        option = OPTIONS_BY_NAME.get(parameter.name)
        if option is not None and parameter.name not in documented:
            missing[parameter.name] = [f":param {parameter.name}: {describe(option)}"]
        order.append(parameter.name)
    if missing:
        _insert_fields(lines, order, missing)


def _public_bases(bases: Iterable[Any]) -> list[Any]:
    """Replace each ``_``-prefixed class in ``bases`` by its own bases, recursively."""
    public: list[Any] = []
    for base in bases:
        if isinstance(base, type) and base.__name__.startswith("_"):
            own = base.__dict__.get("__orig_bases__", base.__bases__)
            candidates = _public_bases(own)
        else:
            candidates = [base]
        public.extend(c for c in candidates if all(c is not seen for seen in public))
    return public


def hide_private_bases(app: Sphinx, name: str, obj: Any, options: Any, bases: list[Any]) -> None:
    """Show a class's public ancestry instead of private bases (``autodoc-process-bases``)."""
    bases[:] = _public_bases(bases)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the two hooks; the extension keeps no state, so parallel builds are safe."""
    hooks: tuple[tuple[str, Callable[..., None]], ...] = (
        ("autodoc-process-docstring", add_option_fields),
        ("autodoc-process-bases", hide_private_bases),
    )
    for event, hook in hooks:
        app.connect(event, hook)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
