"""The Sphinx site that ``make docs`` builds: its sources, its HTML, and its pages in a browser.

``make docs`` is the real gate (warnings are errors). The source checks catch the two
mistakes that are easiest to make while editing an example DAG or adding a page, without
Sphinx. The HTML checks read a built site: the one ``make docs`` just built (it runs this
module with ``REVAI_DOCS_HTML`` set), else one built here when the docs extra is installed;
without it they skip. The browser check opens the guide pages in Debian's Chromium.
"""

from __future__ import annotations

import html
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from integration.webui import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, chromium_missing

from airflow_provider_rev.options import JOB_OPTIONS, OPTIONS_BY_NAME, JobOption

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


# ------------------------------------------------------------------ the built site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built HTML: ``$REVAI_DOCS_HTML`` (``make docs`` passes its fresh build), else built here."""
    given = os.environ.get("REVAI_DOCS_HTML")
    if given:
        path = Path(given).resolve()
        assert (path / "index.html").is_file(), f"REVAI_DOCS_HTML={given} holds no built site"
        return path
    pytest.importorskip("sphinx", reason="the docs extra is not installed (`make docs` installs it)")
    out = tmp_path_factory.mktemp("html")
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-q", str(DOCS), str(out)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    return out


def plain(markup: str) -> str:
    """HTML as a reader sees the text: no tags, entities decoded, Sphinx's smart quotes undone."""
    text = html.unescape(re.sub(r"<[^>]+>", "", markup))
    for fancy, typed in (
        ("\u2018", "'"),
        ("\u2019", "'"),
        ("\u201c", '"'),
        ("\u201d", '"'),
        ("\u2026", "..."),
    ):
        text = text.replace(fancy, typed)
    return re.sub(r"\s+", " ", text)


def section(page: Path, object_id: str) -> str:
    """The text of one documented class (up to the next class) or method (up to the next member)."""
    source = page.read_text()
    start = source.index(f'id="{object_id}"')
    is_class = f'<dl class="py class">\n<dt class="sig sig-object py" id="{object_id}"' in source
    end = source.find('<dl class="py class">' if is_class else '<dl class="py ', start)
    return plain(source[start : end if end > 0 else len(source)])


def bases(page: Path) -> list[str]:
    """The "Bases: ..." line of every class on the page, e.g. ``"RevAIAPIError, AirflowFailException"``."""
    return [plain(found) for found in re.findall(r"<p>Bases: (.*?)</p>", page.read_text(), re.S)]


def described(option: JobOption) -> str:
    """The option table's description of ``option`` as the API reference renders it."""
    text = option.summary.replace("``", "")
    if option.valid_for != "all":
        text += f" Valid for: {option.valid_for}."
    return text


@pytest.mark.parametrize(
    ("page", "object_id", "options"),
    [
        (
            "operators",
            "airflow_provider_rev.operators.revai.SubmitTranscriptionOperator",
            [option.name for option in JOB_OPTIONS],
        ),
        (
            "hooks",
            "airflow_provider_rev.hooks.revai.RevAIHook.submit_job",
            [option.name for option in JOB_OPTIONS],
        ),
        (
            "hooks",
            "airflow_provider_rev.hooks.revai.RevAIHook.submit_local_file",
            ["speakers_count", "summarization_config", "language"],
        ),
        (
            "hooks",
            "airflow_provider_rev.hooks.revai.RevAIHook.submit_custom_vocabulary",
            ["metadata", "strict_custom_vocabulary", "notification_url"],
        ),
    ],
    ids=lambda value: value.rsplit(".", 1)[-1] if isinstance(value, str) else None,
)
def test_api_reference_describes_job_options_from_the_table(
    site: Path, page: str, object_id: str, options: list[str]
) -> None:
    """Each option a class or method takes shows the option table's description and limits."""
    text = section(site / "api" / f"{page}.html", object_id)
    for name in options:
        option = OPTIONS_BY_NAME[name]
        entry = re.compile(rf"\b{name} \([^)]*\) \u2013 {re.escape(described(option))}")
        assert entry.search(text), f"{object_id}: {name} lacks its table description {described(option)!r}"


def test_api_reference_shows_limits() -> None:
    """The descriptions the reference is checked against carry the table's limits."""
    assert described(OPTIONS_BY_NAME["speakers_count"]).endswith(
        "Valid for: not human; languages en, en-gb, en-us, es, fr."
    )


def test_api_reference_shows_no_private_class(site: Path) -> None:
    """No ``_``-prefixed class is shown as a base or documented; the public ancestry is shown instead."""
    pages = sorted((site / "api").glob("*.html"))
    shown = {page.stem: bases(page) for page in pages}
    private = {
        page: [b for b in found if re.search(r"(^|[\s,.\[])_[A-Za-z]", b)] for page, found in shown.items()
    }
    assert not any(private.values()), private
    documented = {
        page.name: re.findall(r'id="(airflow_provider_rev\.[\w.]*\._[A-Za-z]\w*)"', page.read_text())
        for page in pages
    }
    assert not any(documented.values()), documented
    # The bases of classes whose private base was hidden: what they really are.
    assert "BaseOperator" in shown["operators"]
    assert "StrEnum" in shown["models"]
    assert "RevAIAPIError, AirflowFailException" in shown["exceptions"]


# ------------------------------------------------------------------ in a browser

GUIDE_PAGES = sorted(page.stem for page in DOCS.glob("*.md"))


@pytest.fixture(scope="module")
def browser() -> Any:
    """Headless Chromium (Debian's ``/usr/bin/chromium``), driven by Playwright."""
    if (reason := chromium_missing()) is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            yield chromium
        finally:
            chromium.close()


#: Every code block wider than its box: (first characters, content width, box width).
HIDDEN_CODE = """() => [...document.querySelectorAll("pre")]
    .filter((pre) => pre.scrollWidth > pre.clientWidth)
    .map((pre) => [pre.textContent.slice(0, 60), pre.scrollWidth, pre.clientWidth])"""
#: Every code block whose lines wrap: (first characters, rendered lines, source lines).
WRAPPED_CODE = """() => [...document.querySelectorAll("pre")].map((pre) => {
        const style = getComputedStyle(pre);
        const height = pre.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
        const lines = pre.textContent.replace(/\\n$/, "").split("\\n").length;
        return [pre.textContent.slice(0, 60), Math.round(height / parseFloat(style.lineHeight)), lines];
    }).filter(([, shown, lines]) => shown !== lines)"""


@pytest.mark.parametrize("name", GUIDE_PAGES)
def test_code_blocks_show_every_character_at_1280_px(site: Path, browser: Any, name: str) -> None:
    """In a 1280x800 window no code block is wider than its box, so no text hides behind a scrollbar.

    Overlay scrollbars (macOS, phones, headless Chromium) stay invisible until the reader
    scrolls, so a block that only scrolls looks complete while its line ends are cut off.
    docs/_static/code-blocks.css wraps long lines; the quick start's lines are short anyway.
    """
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto((site / f"{name}.html").as_uri())
        blocks = page.locator("pre").count()
        hidden = page.evaluate(HIDDEN_CODE)
        wrapped = page.evaluate(WRAPPED_CODE)
    finally:
        page.close()
    if name == "quickstart":
        assert blocks >= 6, "the quick start lost its code blocks: is this the right page?"
        # A new user's first page reads as written: its lines fit, so none needs wrapping.
        assert not wrapped, f"quick start lines too long for 1280 px (shorten them): {wrapped}"
    assert not hidden, f"{name}.html: code wider than its box at {VIEWPORT['width']} px: {hidden}"


# ------------------------------------------------------------------ the extension, without a build


@pytest.fixture(scope="module")
def extension() -> Any:
    """docs/_ext/revai_autodoc.py, the Sphinx extension behind the two API reference checks above."""
    pytest.importorskip("sphinx", reason="the docs extra is not installed (`make docs` installs it)")
    spec = importlib.util.spec_from_file_location("revai_autodoc", DOCS / "_ext" / "revai_autodoc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_option_fields_join_the_field_list_in_signature_order(extension: Any) -> None:
    def submit(media_url: str, *, language: str | None = None, speakers_count: int | None = None) -> None:
        """Submit.

        :param media_url: the media.
        :param speakers_count: said by the docstring, which wins.
        """

    lines = inspect.cleandoc(submit.__doc__ or "").splitlines()
    extension.add_option_fields(None, "function", "m.submit", submit, None, lines)
    assert lines == [
        "Submit.",
        "",
        ":param media_url: the media.",
        f":param language: {OPTIONS_BY_NAME['language'].summary}",
        ":param speakers_count: said by the docstring, which wins.",
    ]


def test_unknown_keyword_options_fail_the_build(extension: Any, caplog: pytest.LogCaptureFixture) -> None:
    def submit_other(**options: Any) -> None:
        """Submit something else."""

    extension.add_option_fields(None, "function", "m.submit_other", submit_other, None, [])
    assert "m.submit_other takes **options" in caplog.text


def test_private_bases_give_way_to_their_public_ancestry(extension: Any) -> None:
    class _Private(ValueError):
        pass

    class _Deeper(_Private, KeyError):
        pass

    assert extension._public_bases([_Deeper, ValueError, object]) == [ValueError, KeyError, object]
