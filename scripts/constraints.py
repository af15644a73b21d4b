"""Regenerate, or check, the complete constraint files in constraints/.

Each supported Airflow line has a hand-written input, ``constraints/airflow-3.X.in`` (the Airflow
release plus any cap that line needs, each with its reason), and a generated output,
``constraints/airflow-3.X.txt``, which pins every package of the environment the Makefile builds:
the provider's dependencies and all of its extras. The resolver only sees releases uploaded before
a recorded cut-off date, so regenerating with the same inputs gives the same files; a pin moves
only when someone changes an input or the cut-off on purpose.

Usage::

    python scripts/constraints.py --uv .venv/bin/uv --cutoff 2026-12-07   # make constraints
    python scripts/constraints.py --check                                # offline: inputs unchanged?
    python scripts/constraints.py --compare freeze.txt --line 3.3        # make test-drift: what moved
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints"
PYPROJECT = ROOT / "pyproject.toml"
PYTHON_VERSION = "3.11"
LINES = ("3.1", "3.2", "3.3")
_CUTOFF_LINE = re.compile(r"^# cut-off: (\d{4}-\d{2}-\d{2})$", re.M)
_INPUTS_LINE = re.compile(r"^# inputs: sha256:([0-9a-f]{64})$", re.M)
_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Line:
    """One Airflow line: its hand-written input and its generated constraint file."""

    version: str

    @property
    def source(self) -> Path:
        return CONSTRAINTS / f"airflow-{self.version}.in"

    @property
    def output(self) -> Path:
        return CONSTRAINTS / f"airflow-{self.version}.txt"

    def caps(self) -> dict[str, str]:
        """Return the requirements the input file sets by hand, by normalised package name."""
        found: dict[str, str] = {}
        for raw in self.source.read_text().splitlines():
            text = raw.split("#", 1)[0].strip()
            match = _REQUIREMENT.match(text)
            if match:
                found[_normalise(match.group(1))] = text
        return found


def project_requirements() -> dict[str, list[str]]:
    """Return the provider's dependencies and every extra, as pyproject.toml declares them."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    return {"dependencies": project["dependencies"], **project["optional-dependencies"]}


def inputs_digest(line: Line, cutoff: str) -> str:
    """Digest what a constraint file is made from: its input, the requirements, the cut-off."""
    material = json.dumps(
        {
            "source": line.source.read_text(),
            "project": project_requirements(),
            "cutoff": cutoff,
            "python": PYTHON_VERSION,
        },
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()


def recorded(line: Line) -> tuple[str, str] | None:
    """Read the cut-off and the inputs digest written into an existing constraint file."""
    if not line.output.exists():
        return None
    text = line.output.read_text()
    cutoff, digest = _CUTOFF_LINE.search(text), _INPUTS_LINE.search(text)
    if cutoff is None or digest is None:
        return None
    return cutoff.group(1), digest.group(1)


def resolve(line: Line, uv: str, cutoff: str) -> list[str]:
    """Every pin of the environment, from uv's resolver restricted to releases before the cut-off."""
    extras = sorted(project_requirements())
    extras.remove("dependencies")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pins.txt"
        command = [
            uv, "pip", "compile", str(line.source), str(PYPROJECT),
            *(arg for extra in extras for arg in ("--extra", extra)),
            "--python-version", PYTHON_VERSION,
            "--exclude-newer", f"{cutoff}T00:00:00Z",
            "--no-annotate", "--no-header", "--quiet",
            "--no-emit-package", "airflow-provider-rev",
            "--output-file", str(out),
        ]  # fmt: skip
        subprocess.run(command, check=True, cwd=ROOT)
        return [pin for pin in out.read_text().splitlines() if pin and not pin.startswith("#")]


def uv_version(uv: str) -> str:
    return subprocess.run([uv, "--version"], check=True, capture_output=True, text=True).stdout.split()[1]


def render(line: Line, pins: list[str], cutoff: str, uv: str) -> str:
    """Write the constraint file: a header saying how it was made, the caps' reasons, the pins."""
    extras = ", ".join(name for name in project_requirements() if name != "dependencies")
    header = [
        f"# Complete constraints for Airflow {line.version} on Python {PYTHON_VERSION} (Linux): "
        "every package of",
        f"# the environment the Makefile builds (the provider's dependencies and its extras: {extras}).",
        f"# Generated by `make constraints` (scripts/constraints.py) from {line.source.name}, with uv",
        f"# {uv_version(uv)} seeing only releases uploaded before the cut-off. Do not edit by hand: change",
        f"# {line.source.name} or the cut-off (CONSTRAINTS_CUTOFF in the Makefile), then regenerate.",
        f"# cut-off: {cutoff}",
        f"# inputs: sha256:{inputs_digest(line, cutoff)}",
        "#",
        f"# {line.source.name}, the hand-written part, with the reason for each cap:",
        *(f"#   {raw}".rstrip() for raw in line.source.read_text().splitlines()),
        "",
    ]
    caps = line.caps()
    body = []
    for pin in pins:
        name = _normalise(pin.split("==", 1)[0])
        cap = caps.get(name)
        body.append(f"{pin}  # {cap}: see the reason above" if cap and cap != pin else pin)
    return "\n".join(header + body) + "\n"


def check(cutoff: str | None) -> list[str]:
    """Which constraint files no longer match their inputs (offline; no resolver runs)."""
    stale = []
    for line in map(Line, LINES):
        seen = recorded(line)
        if seen is None:
            stale.append(f"{line.output.relative_to(ROOT)}: no cut-off/inputs header")
            continue
        seen_cutoff, digest = seen
        if cutoff is not None and seen_cutoff != cutoff:
            stale.append(
                f"{line.output.relative_to(ROOT)}: cut-off {seen_cutoff}, the Makefile says {cutoff}"
            )
        elif digest != inputs_digest(line, seen_cutoff):
            changed = f"{line.source.name} or pyproject.toml's requirements changed"
            stale.append(f"{line.output.relative_to(ROOT)}: {changed}")
    return stale


def pins_of(text: str) -> dict[str, str]:
    """``name==version`` lines (a constraint file or ``pip freeze``) by normalised name."""
    found: dict[str, str] = {}
    for raw in text.splitlines():
        pin = raw.split("#", 1)[0].strip()
        if "==" in pin and not pin.startswith("-"):
            name, version = pin.split("==", 1)
            found[_normalise(name.split("[", 1)[0])] = version.strip()
    return found


def _major(version: str) -> str:
    return re.split(r"[.+!-]", version, maxsplit=1)[0]


def moved(pinned: dict[str, str], installed: dict[str, str]) -> list[str]:
    """List what an installed environment has that differs from a constraint file, majors first.

    Pinned packages it lacks are left out: the drift environment installs fewer extras.
    """
    changed = [
        (_major(old) == _major(installed[name]), f"{name} {old} -> {installed[name]}")
        for name, old in pinned.items()
        if name in installed and installed[name] != old
    ]
    report = [text for _, text in sorted(changed)]
    report += [f"{name} {installed[name]} (new)" for name in sorted(installed.keys() - pinned.keys())]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uv", default="uv", help="the uv executable that resolves")
    parser.add_argument("--cutoff", help="YYYY-MM-DD: resolve only releases uploaded before this day")
    parser.add_argument("--check", action="store_true", help="only report files whose inputs changed")
    parser.add_argument("--compare", type=Path, help="a `pip freeze` to compare with a line's pins")
    parser.add_argument("--line", choices=LINES, default=LINES[-1], help="the line --compare reads")
    args = parser.parse_args(argv)
    if args.compare is not None:
        installed = pins_of(args.compare.read_text())
        for tool in ("airflow-provider-rev", "pip", "setuptools", "uv"):
            installed.pop(tool, None)
        report = moved(pins_of(Line(args.line).output.read_text()), installed)
        for text in report:
            print(f"  {text}")
        print(f"{len(report)} packages differ from {Line(args.line).output.relative_to(ROOT)}")
        return 0
    if args.cutoff is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.cutoff):
        parser.error(f"--cutoff {args.cutoff!r}: expected YYYY-MM-DD")
    if args.check:
        stale = check(args.cutoff)
        for problem in stale:
            print(f"stale: {problem}; run `make constraints`", file=sys.stderr)
        return 1 if stale else 0
    if args.cutoff is None:
        parser.error("--cutoff is required to regenerate")
    for line in map(Line, LINES):
        pins = resolve(line, args.uv, args.cutoff)
        line.output.write_text(render(line, pins, args.cutoff, args.uv))
        print(f"{line.output.relative_to(ROOT)}: {len(pins)} pins, cut-off {args.cutoff}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
