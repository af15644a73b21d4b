"""Apache Airflow provider for Rev AI's asynchronous speech-to-text API."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
