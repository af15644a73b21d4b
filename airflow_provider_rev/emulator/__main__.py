"""Entry point of ``python -m airflow_provider_rev.emulator``."""

from __future__ import annotations

from airflow_provider_rev.emulator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
