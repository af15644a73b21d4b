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
            {
                "integration-name": "Rev AI",
                "python-modules": [
                    "airflow_provider_rev.triggers.revai",
                    "airflow_provider_rev.triggers.completions",
                ],
            }
        ],
        "extra-links": ["airflow_provider_rev.links.RevAIJobLink"],
        "plugins": [
            {"name": "revai_webhooks", "plugin-class": "airflow_provider_rev.receiver.RevAIWebhookPlugin"}
        ],
        "config": {
            "revai": {
                "description": "How deferred Rev AI waits poll in the triggerer, and where Rev AI "
                "delivers webhooks.",
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
                    "webhook_base_url": {
                        "description": "Public URL of the Airflow API server as Rev AI reaches it, for "
                        "connections with a webhook_secret whose extra has no webhook_base_url. Empty: "
                        "[api] base_url. Jobs then call back <this>/revai/webhooks/<conn_id>.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "https://airflow.example.com",
                        "default": "",
                    },
                },
            }
        },
        "connection-types": [
            {
                "connection-type": "revai",
                "hook-class-name": "airflow_provider_rev.hooks.revai.RevAIHook",
                "hook-name": "Rev AI",
                # Help for the standard fields is their placeholder: Airflow's ui-field-behaviour
                # has no help-text key (3.1 to 3.3). Port stays visible so that host and port of a
                # URI connection show as the settings read them.
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "login"],
                    "relabeling": {
                        "password": "Access token",
                        "host": "API base URL (optional)",
                        "port": "Port (optional)",
                    },
                    "placeholders": {
                        "password": "Your Rev AI access token (rev.ai > Settings > Access Token)",
                        "host": "Empty: the region's public API. "
                        "Else e.g. http://127.0.0.1 (emulator) or a proxy URL",
                        "port": "e.g. 8808 with http://127.0.0.1; a port in the URL wins; "
                        "unused without a URL",
                    },
                },
                # The region values are the public API hosts, not "us"/"eu": Airflow's secrets
                # masker warns about every extra value shorter than 5 characters when a task
                # reads the connection. Connections written by hand may still say us or eu.
                "conn-fields": {
                    "region": {
                        "label": "Region",
                        "description": "Which public Rev AI API to call when the API base URL is "
                        "empty: api.rev.ai for US accounts, ec1.api.rev.ai for EU accounts (a separate "
                        "account with its own token).",
                        "schema": {
                            "type": ["string", "null"],
                            "enum": ["api.rev.ai", "ec1.api.rev.ai", None],
                            "default": "api.rev.ai",
                            "values_display": {
                                "api.rev.ai": "US: api.rev.ai",
                                "ec1.api.rev.ai": "EU: ec1.api.rev.ai",
                            },
                        },
                    },
                    "webhook_secret": {
                        "label": "Webhook secret",
                        "description": "Set it to receive finished jobs by webhook instead of polling: "
                        "a random string of 16+ characters that Rev AI sends back as a bearer token to "
                        "/revai/webhooks/<conn_id> on the API server.",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "webhook_previous_secret": {
                        "label": "Previous webhook secret",
                        "description": "While rotating the webhook secret: the old one, still accepted from "
                        "jobs submitted before the change. Clear it a day after the last of them finished.",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "webhook_base_url": {
                        "label": "Webhook base URL",
                        "description": "The Airflow API server's public URL as Rev AI reaches it (default: "
                        "[revai] webhook_base_url, then [api] base_url).",
                        "schema": {"type": ["string", "null"]},
                    },
                },
            }
        ],
    }
