"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point.

This module must stay a pure literal: Airflow imports it while starting up, so an import
error here would break ``import airflow`` itself.
"""

from __future__ import annotations

from typing import Any


def get_provider_info() -> dict[str, Any]:
    """Return the provider description that ``ProvidersManager`` validates and indexes."""
    return {
        "package-name": "airflow-provider-rev",
        "name": "Rev AI",
        "description": "Submit audio to Rev AI's asynchronous speech-to-text API, wait for it "
        "without holding a worker slot, and fetch transcripts and captions.",
        "integrations": [
            {
                "integration-name": "Rev AI",
                "external-doc-url": "https://docs.rev.ai/api/asynchronous/",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": "Rev AI", "python-modules": ["airflow_provider_rev.hooks.revai"]}],
        "operators": [
            {"integration-name": "Rev AI", "python-modules": ["airflow_provider_rev.operators.revai"]}
        ],
        "sensors": [{"integration-name": "Rev AI", "python-modules": ["airflow_provider_rev.sensors.revai"]}],
        "triggers": [
            {"integration-name": "Rev AI", "python-modules": ["airflow_provider_rev.triggers.revai"]}
        ],
        "extra-links": ["airflow_provider_rev.links.RevAIJobLink"],
        "config": {
            "revai": {
                "description": "How deferred Rev AI waits poll in the triggerer.",
                "options": {
                    "shared_polling": {
                        "description": "On Airflow 3.3+, every job waiting on one connection in one "
                        "triggerer shares one poll loop that refreshes statuses in bulk with GET /jobs. "
                        "Set to False to give every deferred wait its own loop (for debugging).",
                        "version_added": "0.1.0",
                        "type": "boolean",
                        "example": None,
                        "default": "True",
                    },
                    "shared_poll_requests_per_second": {
                        "description": "Request budget of one shared poll loop (one connection in one "
                        "triggerer); a 429 pauses the whole loop for its Retry-After.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": None,
                        "default": "5.0",
                    },
                },
            }
        },
        "connection-types": [
            {
                "connection-type": "revai",
                "hook-class-name": "airflow_provider_rev.hooks.revai.RevAIHook",
                "hook-name": "Rev AI",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "login", "port"],
                    "relabeling": {"password": "Access token", "host": "API base URL"},
                    "placeholders": {
                        "host": "empty for the region's public API, or e.g. http://127.0.0.1:8808",
                        "password": "Rev AI access token",
                    },
                },
                "conn-fields": {
                    "region": {
                        "label": "Region",
                        "description": "Rev AI deployment used when the base URL is empty: "
                        "us (api.rev.ai) or eu (ec1.api.rev.ai).",
                        "schema": {"type": ["string", "null"], "enum": ["us", "eu", None], "default": "us"},
                    },
                },
            }
        ],
    }
