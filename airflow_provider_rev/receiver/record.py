"""Recording a webhook's job on the connection's completion Assets, once per job.

The Assets are those :func:`~airflow_provider_rev.completions.revai_jobs_asset` declares for
the connection (URI ``revai://<conn_id>/jobs/...``) that some DAG still uses; each keeps its
filter in the Asset's ``extra``. For each one the job matches, an Asset event is recorded with
Airflow's own ``AssetManager.register_asset_change`` (which also queues the consuming DAG
runs), in the caller's transaction, so the receiver answers 200 only after it committed.

A job is recorded once per Asset however often Rev AI delivers it. On Airflow 3.3+ the
Asset's state store holds a key per delivered job (``revai_webhook:<id>``, kept
:data:`DEDUP_SECONDS`), written in the same transaction as the event: the key's uniqueness
settles two concurrent deliveries. Older Airflow has no such table, so the Asset's row is
locked (``SELECT ... FOR UPDATE``: PostgreSQL and MySQL) and its recent events are searched
for the job id instead; the receiver also records one delivery at a time per process, which
covers SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, cast, delete, select
from sqlalchemy.exc import IntegrityError

from airflow_provider_rev.completions import FILTER_EXTRA_KEY, CompletionFilter, JobCompletion, asset_uri

if TYPE_CHECKING:
    from airflow.models.asset import AssetModel
    from sqlalchemy.orm import Session

#: How long a delivered job id is remembered: Rev AI retries for 24 hours after the first try.
DEDUP_SECONDS = 48 * 3600
#: State-store key prefix of a delivered job.
KEY_PREFIX = "revai_webhook:"
#: Job ids that JSON stores without escapes (Rev AI's are letters and digits).
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.-]+")


class DuplicateDelivery(Exception):
    """A concurrent delivery of the same job committed first (the caller retries the transaction)."""


@dataclass
class Outcome:
    """What one delivery did, per Asset name."""

    recorded: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)
    filtered: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, list[str]]:
        """Return the receiver's 200 body."""
        return {"recorded": self.recorded, "duplicate": self.duplicate, "filtered": self.filtered}


def completion_assets(session: Session, conn_id: str) -> list[AssetModel]:
    """Return the connection's completion Assets that a DAG declares (active), by name."""
    from airflow.models.asset import AssetActive, AssetModel

    prefix = asset_uri(conn_id, "")
    query = (
        select(AssetModel)
        .join(AssetActive, (AssetActive.name == AssetModel.name) & (AssetActive.uri == AssetModel.uri))
        .where(AssetModel.uri.startswith(prefix, autoescape=True))
        .order_by(AssetModel.name)
    )
    return list(session.scalars(query))


def asset_filter(asset: AssetModel) -> CompletionFilter:
    """Return the filter an Asset was declared with (the default for one declared by hand)."""
    spec = (asset.extra or {}).get(FILTER_EXTRA_KEY)
    if not isinstance(spec, dict):
        return CompletionFilter()
    return CompletionFilter(
        only_provider_jobs=bool(spec.get("only_provider_jobs", True)),
        metadata_prefix=spec.get("metadata_prefix") or None,
    )


def _state_store_model() -> Any:
    try:
        from airflow.models.asset_state_store import AssetStateStoreModel
    except ImportError:  # Airflow before 3.3
        return None
    return AssetStateStoreModel


def _seen_in_events(session: Session, asset: AssetModel, job_id: str, now: datetime) -> bool:
    """Airflow < 3.3: lock the Asset's row, then look for the job in its recent webhook events."""
    from airflow.models.asset import AssetEvent, AssetModel

    session.execute(select(AssetModel.id).where(AssetModel.id == asset.id).with_for_update())
    query = select(AssetEvent.extra).where(
        AssetEvent.asset_id == asset.id,
        AssetEvent.timestamp >= now - timedelta(seconds=DEDUP_SECONDS),
    )
    if _PLAIN_ID.fullmatch(job_id):
        # The id is stored verbatim in the event's JSON text: let the database skip the other
        # events instead of decoding all of a busy day's events per delivery.
        query = query.where(cast(AssetEvent.extra, Text).contains(job_id, autoescape=True))
    return any(_event_job_id(extra) == job_id for extra in session.scalars(query))


def _event_job_id(extra: Any) -> str | None:
    if isinstance(extra, dict) and extra.get("from_webhook"):
        payload = extra.get("payload")
        job_id = payload.get("id") if isinstance(payload, dict) else None
        if isinstance(job_id, str):
            return job_id
    return None


def _claim(session: Session, model: Any, asset: AssetModel, job_id: str, now: datetime) -> bool:
    """Airflow 3.3+: add the job's key to the Asset's state store; ``False`` if it is there."""
    key = KEY_PREFIX + job_id
    if session.get(model, (asset.id, key)) is not None:
        return False
    session.add(model(asset_id=asset.id, key=key, value=now.isoformat(), updated_at=now))
    session.execute(
        delete(model).where(
            model.asset_id == asset.id,
            model.key.startswith(KEY_PREFIX, autoescape=True),
            model.updated_at < now - timedelta(seconds=DEDUP_SECONDS),
        )
    )
    try:
        session.flush()
    except IntegrityError:
        raise DuplicateDelivery(job_id) from None
    return True


def _claims(
    session: Session, assets: list[AssetModel], job_id: str, now: datetime
) -> Iterator[tuple[AssetModel, bool]]:
    model = _state_store_model()
    for asset in assets:
        if model is not None:
            yield asset, _claim(session, model, asset, job_id, now)
        else:
            yield asset, not _seen_in_events(session, asset, job_id, now)


def record_completion(session: Session, conn_id: str, payload: JobCompletion) -> Outcome:
    """Record ``payload`` on each of the connection's Assets that accepts it and has not got it yet.

    Runs in the caller's transaction; raises :class:`DuplicateDelivery` when a concurrent
    delivery of the same job won a race (roll back and call again: it then finds the job).
    """
    from airflow.assets.manager import asset_manager

    now = datetime.now(UTC)
    outcome = Outcome()
    accepting = []
    for asset in completion_assets(session, conn_id):
        if asset_filter(asset).accepts(payload):
            accepting.append(asset)
        else:
            outcome.filtered.append(asset.name)
    for asset, fresh in _claims(session, accepting, payload["id"], now):
        if not fresh:
            outcome.duplicate.append(asset.name)
            continue
        asset_manager.register_asset_change(
            asset=asset, extra={"from_webhook": True, "payload": dict(payload)}, session=session
        )
        outcome.recorded.append(asset.name)
    return outcome
