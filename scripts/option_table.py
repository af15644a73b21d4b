"""Rewrite the job option table in docs/options.md from the provider's option table.

Run ``python scripts/option_table.py`` after changing ``JOB_OPTIONS``;
``tests/test_option_table.py`` fails until the page matches.
"""

from __future__ import annotations

import re
from pathlib import Path

from airflow_provider_rev.options import markdown_table

PAGE = Path(__file__).resolve().parents[1] / "docs" / "options.md"
BLOCK = re.compile(r"(<!-- option-table:start -->\n).*?(<!-- option-table:end -->)", re.S)


def render(page: str) -> str:
    """Return ``page`` with its option table block replaced by the current table."""
    return BLOCK.sub(lambda m: m.group(1) + markdown_table() + m.group(2), page)


if __name__ == "__main__":
    PAGE.write_text(render(PAGE.read_text()))
