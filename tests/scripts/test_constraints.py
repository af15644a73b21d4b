"""The complete constraint files: they pin the environment the tests run in, and they say when
their inputs changed since they were generated (``make check-constraints`` in ``make test``)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from importlib.metadata import distributions, version
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "constraints.py"
CUTOFF = re.search(r"^CONSTRAINTS_CUTOFF := (\S+)$", (ROOT / "Makefile").read_text(), re.M)


@pytest.fixture(scope="module")
def constraints() -> ModuleType:
    spec = importlib.util.spec_from_file_location("constraints_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def copy(constraints: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of constraints/ and pyproject.toml the script reads instead of the real ones."""
    shutil.copytree(ROOT / "constraints", tmp_path / "constraints")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    monkeypatch.setattr(constraints, "ROOT", tmp_path)
    monkeypatch.setattr(constraints, "CONSTRAINTS", tmp_path / "constraints")
    monkeypatch.setattr(constraints, "PYPROJECT", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_environment_under_test_is_exactly_its_lines_constraint_file(constraints: ModuleType) -> None:
    line = constraints.Line(".".join(version("apache-airflow").split(".")[:2]))
    pinned = constraints.pins_of(line.output.read_text())
    installed = {
        constraints._normalise(dist.metadata["Name"]): dist.version
        for dist in distributions()
        if dist.metadata["Name"] not in ("airflow-provider-rev", "pip", "setuptools", "uv")
    }
    assert installed, "no distributions seen"
    assert {name: v for name, v in installed.items() if pinned.get(name) != v} == {}
    assert constraints.moved(pinned, installed) == []


def test_every_line_pins_airflow_its_dependencies_and_every_extra(constraints: ModuleType) -> None:
    for line in map(constraints.Line, constraints.LINES):
        pins = constraints.pins_of(line.output.read_text())
        assert pins["apache-airflow"].startswith(f"{line.version}."), line.output.name
        # One from each part: Airflow's own dependencies, the test, distributed, docs and bench extras.
        for name in (
            "cryptography",
            "sqlalchemy",
            "pytest",
            "apache-airflow-providers-celery",
            "sphinx",
            "matplotlib",
        ):
            assert name in pins, f"{line.output.name} lacks {name}"
        assert "airflow-provider-rev" not in pins
        assert len(pins) > 150


def test_each_hand_written_cap_is_applied_and_its_reason_kept(constraints: ModuleType) -> None:
    cryptography = constraints.Line("3.1")
    text = cryptography.output.read_text()
    assert cryptography.caps()["cryptography"] == "cryptography<51"
    assert int(constraints.pins_of(text)["cryptography"].split(".")[0]) < 51
    assert re.search(r"^cryptography==50\.[\d.]+  # cryptography<51: see the reason above$", text, re.M)
    assert "#   # cryptography 51.0.0 made MultiFernet" in text
    fastapi = constraints.Line("3.2").output.read_text()
    assert (
        "# fastapi<0.156.1: see the reason above" in fastapi
        and "# svcs<26.2: see the reason above" in fastapi
    )


def test_the_committed_files_match_their_inputs_and_the_makefiles_cutoff(constraints: ModuleType) -> None:
    assert CUTOFF is not None
    assert constraints.check(CUTOFF.group(1)) == []


def test_check_reports_a_changed_input_a_changed_requirement_and_a_moved_cutoff(
    constraints: ModuleType, copy: Path
) -> None:
    assert CUTOFF is not None
    assert constraints.check(CUTOFF.group(1)) == []
    assert constraints.check("2027-01-01") == [
        f"constraints/airflow-{v}.txt: cut-off {CUTOFF.group(1)}, the Makefile says 2027-01-01"
        for v in constraints.LINES
    ]
    source = copy / "constraints" / "airflow-3.2.in"
    source.write_text(source.read_text() + "pydantic<3\n")
    assert constraints.check(None) == [
        "constraints/airflow-3.2.txt: airflow-3.2.in or pyproject.toml's requirements changed"
    ]
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"pytest>=8.0"', '"pytest>=9.0"'))
    assert len(constraints.check(None)) == 3
    (copy / "constraints" / "airflow-3.1.txt").write_text("apache-airflow==3.1.8\n")
    assert constraints.check(None)[0] == "constraints/airflow-3.1.txt: no cut-off/inputs header"
    assert constraints.main(["--check"]) == 1


def test_compare_lists_new_majors_first_then_minor_moves_then_new_packages(constraints: ModuleType) -> None:
    pinned = {"aiohttp": "3.14.5", "cryptography": "50.0.2", "fastapi": "0.156.0", "pytest": "9.0.1"}
    installed = {"aiohttp": "3.14.6", "cryptography": "51.0.0", "fastapi": "0.156.0", "newcomer": "1.0"}
    assert constraints.moved(pinned, installed) == [
        "cryptography 50.0.2 -> 51.0.0",
        "aiohttp 3.14.5 -> 3.14.6",
        "newcomer 1.0 (new)",
    ]
