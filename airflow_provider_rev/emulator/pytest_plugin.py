"""Provide the pytest fixture ``revai_emulator``.

Enable it with ``pytest_plugins = ["airflow_provider_rev.emulator.pytest_plugin"]``.

The fixture yields a started :class:`~airflow_provider_rev.emulator.RevAIEmulator` with fast
processing (``processing_seconds=0.05``). Mark a test with
``@pytest.mark.revai_emulator(**overrides)`` to pass other :class:`EmulatorConfig` fields, e.g.
``@pytest.mark.revai_emulator(fail_translation_languages={"de"}, vocabulary_seconds=60)``. The plugin
registers the marker, so ``--strict-markers`` accepts it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_rev.emulator.server import RevAIEmulator

FAST_DEFAULTS = {
    "processing_seconds": 0.05,
    "webhook_retry_seconds": 0.05,
    "webhook_retry_window_seconds": 2.0,
}


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``revai_emulator`` marker."""
    config.addinivalue_line(
        "markers", "revai_emulator(**overrides): EmulatorConfig fields for the revai_emulator fixture"
    )


@pytest.fixture
def revai_emulator(request: pytest.FixtureRequest) -> Iterator[RevAIEmulator]:
    """Yield a running emulator; stopped after the test."""
    marker = request.node.get_closest_marker("revai_emulator")
    overrides = {**FAST_DEFAULTS, **(marker.kwargs if marker else {})}
    with RevAIEmulator(**overrides) as emulator:
        yield emulator
