"""OpenLineage datasets for what the operators read and write: media → Rev AI job → transcript.

Used only when the OpenLineage provider is installed (the ``openlineage`` extra); without it
:func:`operator_lineage` returns ``None`` and nothing is reported. Dataset names follow the
OpenLineage naming conventions: ``scheme://authority`` as the namespace and the path as the
name; a URL's query (a signed URL's signature) and any credentials are never part of either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

#: Namespace scheme of Rev AI jobs: ``revai://api.rev.ai`` with names ``jobs/{id}``.
JOB_NAMESPACE_SCHEME = "revai"


@dataclass(frozen=True)
class DatasetRef:
    """One OpenLineage dataset, by namespace and name (no facets)."""

    namespace: str
    name: str


def location_dataset(location: Any) -> DatasetRef:
    """Name a media source or an output: a URL, an ``ObjectStoragePath``, or a local path.

    ``s3://aws_default@bucket/key`` becomes ``s3://bucket`` + ``key`` (the connection id is not
    part of the data's identity); ``https://host/a.mp3?X-Amz-Signature=...`` becomes
    ``https://host`` + ``/a.mp3``; a local path becomes ``file`` + its absolute path.
    """
    protocol = getattr(location, "protocol", None)
    if protocol is not None:  # ObjectStoragePath
        if protocol in ("", "file", "local"):
            return DatasetRef("file", os.path.abspath(str(location.path)))
        bucket, _, key = str(location.path).partition("/")  # ``bucket`` keeps ``conn_id@`` on Airflow 3.1
        return DatasetRef(f"{protocol}://{bucket}", key)
    text = os.fspath(location) if isinstance(location, os.PathLike) else str(location)
    parts = urlsplit(text)
    if not parts.scheme or len(parts.scheme) == 1:  # a path (or a Windows drive letter)
        return DatasetRef("file", os.path.abspath(text))
    if parts.scheme == "file":
        return DatasetRef("file", parts.path)
    host = parts.hostname or ""
    authority = f"{host}:{parts.port}" if parts.port else host
    name = parts.path if parts.scheme in ("http", "https") else parts.path.lstrip("/")
    return DatasetRef(f"{parts.scheme}://{authority}", name or "/")


def job_dataset(root_url: str, job_id: str) -> DatasetRef:
    """Name a Rev AI job (its transcript and outputs) on the API at ``root_url``."""
    parts = urlsplit(root_url)
    authority = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return DatasetRef(f"{JOB_NAMESPACE_SCHEME}://{authority}", f"jobs/{job_id}")


def operator_lineage(inputs: list[DatasetRef], outputs: list[DatasetRef]) -> Any:
    """Return an ``OperatorLineage`` for the OpenLineage provider, or ``None`` when it is not installed."""
    try:
        from airflow.providers.common.compat.openlineage.facet import Dataset
        from airflow.providers.openlineage.extractors import OperatorLineage
    except ImportError:
        return None
    return OperatorLineage(
        inputs=[Dataset(namespace=d.namespace, name=d.name) for d in inputs],
        outputs=[Dataset(namespace=d.namespace, name=d.name) for d in outputs],
    )
