"""Structure of the Sphinx site that ``make docs`` builds, checked without Sphinx.

``make docs`` is the real gate (warnings are errors); these catch the two mistakes that are
easiest to make while editing an example DAG or adding a page, in the ordinary test run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
INCLUDE = re.compile(r"```\{literalinclude\} (?P<path>\S+)\n(?P<options>(?::[^\n]*\n)*)")
OPTION = re.compile(r':(?P<name>start-after|end-before): "(?P<text>[^"]+)"')

INCLUDES = [
    (doc.relative_to(DOCS).as_posix(), m)
    for doc in sorted(DOCS.rglob("*.md"))
    if "_build" not in doc.parts
    for m in INCLUDE.finditer(doc.read_text())
]


@pytest.mark.parametrize(("doc", "match"), INCLUDES, ids=[f"{d}:{m['path']}" for d, m in INCLUDES])
def test_literalinclude_markers_exist(doc: str, match: re.Match[str]) -> None:
    source = (DOCS / doc).parent / match["path"]
    assert source.exists(), f"{doc} includes missing {match['path']}"
    text = source.read_text()
    for option in OPTION.finditer(match["options"]):
        assert option["text"] in text, f"{doc}: {match['path']} has no {option['text']!r}"


def test_there_are_includes() -> None:
    assert INCLUDES


def toctree_entries(doc: Path) -> set[str]:
    entries = set()
    for block in re.findall(r"```\{toctree\}\n(.*?)```", doc.read_text(), re.S):
        for line in block.splitlines():
            if line.strip() and not line.startswith(":"):
                entries.add((doc.parent / line.strip()).relative_to(DOCS).as_posix())
    return entries


def test_every_page_is_in_a_toctree() -> None:
    listed = toctree_entries(DOCS / "index.md") | toctree_entries(DOCS / "api" / "index.md")
    pages = {
        page.relative_to(DOCS).with_suffix("").as_posix()
        for page in [*DOCS.rglob("*.md"), *DOCS.rglob("*.rst")]
        if "_build" not in page.parts
    }
    assert pages - {"index"} == listed
