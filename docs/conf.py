"""Sphinx configuration for the airflow-provider-rev documentation (``make docs``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Local extensions: docs/_ext/revai_autodoc.py (job options from the option table, no private bases).
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

# Importing the provider imports Airflow, which wants a home and a config; keep both out of
# the user's ~/airflow and away from any real metadata database.
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / "docs" / "_build" / "airflow-home"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

import airflow_provider_rev  # noqa: E402

project = "airflow-provider-rev"
author = "airflow-provider-rev contributors"
copyright = "2026, airflow-provider-rev contributors"
release = airflow_provider_rev.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "revai_autodoc",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# MyST: heading anchors so `page.md#section` links resolve; `{literalinclude}` etc. as directives.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

# API reference: members in source order, type hints in the description rather than the
# signature (signatures of the operators are long).
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_preserve_defaults = True

html_theme = "furo"
html_title = f"airflow-provider-rev {release}"
# docs/_static/code-blocks.css: long lines in code blocks wrap instead of being hidden behind
# a scrollbar that headless and overlay-scrollbar browsers do not show (see that file).
html_static_path = ["_static"]
html_css_files = ["code-blocks.css"]

# Nitpicky mode (`-n`) checks every cross-reference. The build is offline (no intersphinx), so
# references that leave this site are not checked: the standard library, Airflow, names only
# imported for type checking, private helpers and type variables, and internal modules the
# API reference does not cover. References to documented objects are still checked.
nitpicky = True  # also on Read the Docs, which does not pass -n
nitpick_ignore_regex = [
    (r"py:.*", r"(collections|datetime|os|pathlib|enum|typing|asyncio)(\..+)?"),
    (r"py:.*", r"airflow(\..+)?"),
    (r"py:.*", r"(Context|timedelta|ObjectStoragePath|PokeReturnValue|Clock|Batch|RetryPolicy)"),
    (r"py:.*", r"(.+\.)?_[A-Za-z].*"),
    (r"py:.*", r".+\.[A-Z]"),
    # Modules outside the API reference (docs/api/): internal helpers, referenced from docstrings.
    (
        r"py:.*",
        r"airflow_provider_rev\.(?!(hooks|operators|sensors|triggers)\.revai\b|(models|exceptions|options|waiting|idempotency)\b|emulator(\.([A-Z]\w*|running_emulator|serve_media|make_wav))?$).+",
    ),
    (r"py:.*", r"(airflow_provider_rev\.emulator\.faults\.)?(FaultKind|FaultPlan)(\..+)?"),
]
