"""Secrets a submission carries are registered with Airflow's masker before anything is logged."""

from __future__ import annotations

from airflow.sdk._shared.secrets_masker import redact

from airflow_provider_rev.secrets import mask_submission


def test_submission_secrets_are_masked_but_url_stays_readable() -> None:
    url = (
        "https://bucket.s3.amazonaws.com/calls/a.mp3?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=f00dfeed42"
    )
    mask_submission(
        url,
        {"Authorization": "Bearer media-token-123"},
        {
            "notification_url": "https://hooks.example.com/rev?key=hookkey987",
            "notification_auth_headers": {"Authorization": "Basic bm90aWZ5c2VjcmV0"},
        },
    )
    line = redact(f"submitting {url} with Bearer media-token-123, notify Basic bm90aWZ5c2VjcmV0 hookkey987")
    assert isinstance(line, str)
    for secret in ("f00dfeed42", "AKIAEXAMPLE", "media-token-123", "bm90aWZ5c2VjcmV0", "hookkey987"):
        assert secret not in line
    assert "https://bucket.s3.amazonaws.com/calls/a.mp3?" in line
