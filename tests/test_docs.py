"""Code in the docs is the code the example DAGs run."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNIPPET = re.compile(r"<!-- example: (?P<file>\S+) (?P<region>\S+) -->\n```python\n(?P<code>.*?)\n```", re.S)


def region(file: str, name: str) -> str:
    source = (ROOT / "example_dags" / file).read_text()
    match = re.search(rf"# \[START {name}\]\n(.*?)\n\s*# \[END {name}\]", source, re.S)
    assert match, f"{file} has no region {name}"
    return textwrap.dedent(match.group(1))


SNIPPETS = [
    (doc.name, m) for doc in sorted((ROOT / "docs").glob("*.md")) for m in SNIPPET.finditer(doc.read_text())
]


@pytest.mark.parametrize(("doc", "match"), SNIPPETS, ids=[f"{d}:{m['region']}" for d, m in SNIPPETS])
def test_doc_snippets_match_example_dags(doc: str, match: re.Match[str]) -> None:
    assert match["code"] == region(match["file"], match["region"])


def test_there_are_snippets() -> None:
    assert len(SNIPPETS) >= 3


PYTHON_BLOCKS = [
    (doc.name, block)
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for block in re.findall(r"```python\n(.*?)\n```", doc.read_text(), re.S)
]


@pytest.mark.parametrize(
    ("doc", "code"), PYTHON_BLOCKS, ids=[f"{d}:{i}" for i, (d, _) in enumerate(PYTHON_BLOCKS)]
)
def test_python_blocks_compile(doc: str, code: str) -> None:
    compile(code, doc, "exec")


def test_doc_links_resolve() -> None:
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)\)", doc.read_text()):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


#: A short region value shown as a connection setting: ``"region": "us"``, ``?region=eu``, or a
#: table row ``extra `region` | `us` ...``.
SHORT_REGION = re.compile(
    r"""["']?\bregion["']?\s*[:=]\s*["']?(us|eu)\b|\bregion`\s*\|\s*`(us|eu)`""", re.IGNORECASE
)
REGION_PAGES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "example_dags").glob("*.py")),
]


def test_no_page_recommends_the_short_region_values() -> None:
    """Every page gives the connection page's advice: the host form (``api.rev.ai``, ``ec1.api.rev.ai``).

    ``us``/``eu`` work but make Airflow log a "too short" masking warning on every task
    (docs/connections.md, docs/ui.md), so a page may show them only where it explains that warning.
    """
    offenders = [
        f"{page.relative_to(ROOT)}: {paragraph.strip()[:120]!r}"
        for page in REGION_PAGES
        for paragraph in re.split(r"\n\s*\n", page.read_text())
        if SHORT_REGION.search(paragraph) and "warning" not in paragraph.lower()
    ]
    assert not offenders, "recommend region api.rev.ai / ec1.api.rev.ai instead:\n" + "\n".join(offenders)


def test_the_short_region_check_sees_the_forms_pages_used() -> None:
    for text in [
        '"extra": {"region": "eu"}',
        "revai://:token@?region=us",
        "| extra `region` | `us` (default) or `eu` |",
    ]:
        assert SHORT_REGION.search(text), text
    assert not SHORT_REGION.search('"extra": {"region": "ec1.api.rev.ai"}')
