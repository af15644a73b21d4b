"""``make demo`` runs ``scripts/demo.py``: run the same path here, and check its checks can fail."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

DEMO = Path(__file__).resolve().parents[2] / "scripts" / "demo.py"


@pytest.fixture(scope="module")
def demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_script", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def test_demo_runs_the_example_dag_against_the_emulator(
    demo: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.main(["--workdir", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "waiting in the triggerer" in out and "Resumed from the triggerer" in out
    assert "DAG run: success" in out
    assert "Welcome to the Rev AI provider for Apache Airflow." in out
    summary = out[out.index("Summary (returned to XCom by fetch_summary):") :]
    assert "    - Welcome to the Rev AI provider for Apache Airflow." in summary
    # A status that reads the same at every check is shown once.
    assert out.count("summarization in_progress") <= 1
    written = sorted(p for p in (tmp_path / "demo" / "transcripts").rglob("*") if p.is_file())
    assert [p.name for p in written] == ["captions.srt", "transcript.json"]
    assert all(str(p) in out for p in written)
    assert re.search(r"^1\n00:00:0\d,\d{3} --> ", written[0].read_text())


def good_result(demo: ModuleType, tmp_path: Path) -> object:
    return demo.DemoResult(
        workdir=tmp_path,
        state="success",
        highlights=["Rev AI job a: waiting in the triggerer, ...", "Resumed from the triggerer: ..."],
        transcript_text="Welcome, all.",
        summary={"bullet_points": ["Welcome all."]},
        outputs={"transcript.json": tmp_path / "t.json", "captions.srt": tmp_path / "c.srt"},
    )


def test_check_accepts_a_complete_run(demo: ModuleType, tmp_path: Path) -> None:
    demo.check(good_result(demo, tmp_path), "Speaker 0: welcome all")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"state": "failed"}, "ended failed"),
        ({"highlights": ["Resumed from the triggerer: ..."]}, "did not defer"),
        ({"highlights": ["Rev AI job a: waiting in the triggerer"]}, "did not defer and resume"),
        ({"outputs": {"transcript.json": Path("t.json")}}, "captions.srt was not written"),
        ({"transcript_text": "something else"}, "unexpected transcript"),
        ({"summary": {}}, "unexpected summary"),
        ({"summary": {"bullet_points": ["Goodbye."]}}, "unexpected summary"),
    ],
)
def test_check_fails_on_each_missing_piece(
    demo: ModuleType, tmp_path: Path, change: dict[str, object], reason: str
) -> None:
    result = good_result(demo, tmp_path)
    for name, value in change.items():
        setattr(result, name, value)
    with pytest.raises(demo.DemoError, match=reason):
        demo.check(result, "Speaker 0: welcome all")
