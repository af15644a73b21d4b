"""Custom vocabularies: the store and their lifecycle (``in_progress`` -> ``complete`` | ``failed``)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_rev.emulator.clock import Clock, format_timestamp
from airflow_provider_rev.emulator.config import EmulatorConfig
from airflow_provider_rev.emulator.errors import ProblemError, vocabulary_not_found
from airflow_provider_rev.emulator.options import VocabularyOptions
from airflow_provider_rev.emulator.state import ID_ALPHABET, ID_LENGTH
from airflow_provider_rev.emulator.status import FAILURE_DETAILS, FailureCode, VocabularyStatus

ID_PREFIX = "cv"


@dataclass
class Vocabulary:
    """One custom vocabulary and its processing state."""

    id: str
    created_at: datetime
    options: VocabularyOptions
    due_at: datetime
    status: VocabularyStatus = VocabularyStatus.IN_PROGRESS
    completed_at: datetime | None = None
    failure: FailureCode | None = None
    failure_detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Render the custom vocabulary object; absent values are omitted, never ``null``."""
        out: dict[str, Any] = {"id": self.id, "status": self.status.value}
        out["created_on"] = format_timestamp(self.created_at)
        if self.completed_at is not None:
            out["completed_on"] = format_timestamp(self.completed_at)
        if self.options.metadata is not None:
            out["metadata"] = self.options.metadata
        if self.options.callback_url is not None:
            out["callback_url"] = self.options.callback_url
        if self.failure is not None:
            out["failure"] = self.failure.value
            out["failure_detail"] = self.failure_detail
        return out


class VocabularyStore:
    """All custom vocabularies of one emulator and their time-driven transitions.

    Ids are ``cv`` + 12 alphanumerics from a generator seeded by ``config.seed`` (independent of the job
    ids, so creating vocabularies does not change them). Only the server's event loop touches a store.
    """

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._ids = random.Random(None if config.seed is None else f"vocabularies-{config.seed}")
        self._vocabularies: dict[str, Vocabulary] = {}

    def reset(self) -> None:
        """Forget every custom vocabulary."""
        self._vocabularies.clear()

    def _new_id(self) -> str:
        while True:
            vocabulary_id = ID_PREFIX + "".join(self._ids.choices(ID_ALPHABET, k=ID_LENGTH))
            if vocabulary_id not in self._vocabularies:
                return vocabulary_id

    def create(self, options: VocabularyOptions) -> Vocabulary:
        """Store a new ``in_progress`` vocabulary, due ``vocabulary_seconds`` from now."""
        now = self.clock.now()
        due_at = now + timedelta(seconds=self.config.effective_vocabulary_seconds)
        vocabulary = Vocabulary(self._new_id(), now, options, due_at)
        self._vocabularies[vocabulary.id] = vocabulary
        return vocabulary

    def get(self, vocabulary_id: str) -> Vocabulary:
        """Return a vocabulary or raise the 404 problem."""
        vocabulary = self._vocabularies.get(vocabulary_id)
        if vocabulary is None:
            raise ProblemError(vocabulary_not_found())
        return vocabulary

    def find(self, vocabulary_id: str) -> Vocabulary | None:
        """Return a vocabulary or ``None``."""
        return self._vocabularies.get(vocabulary_id)

    def all(self) -> list[Vocabulary]:
        """Return every vocabulary, newest first."""
        return list(reversed(self._vocabularies.values()))

    def delete(self, vocabulary_id: str) -> None:
        """Delete a vocabulary in any status (or raise the 404 problem)."""
        self.get(vocabulary_id)
        del self._vocabularies[vocabulary_id]

    def require_complete(self, vocabulary_id: str) -> None:
        """Raise the 404 problem unless ``vocabulary_id`` names a ``complete`` vocabulary (job submission)."""
        vocabulary = self._vocabularies.get(vocabulary_id)
        if vocabulary is None:
            raise ProblemError(vocabulary_not_found(f"Custom vocabulary {vocabulary_id} does not exist"))
        if vocabulary.status is not VocabularyStatus.COMPLETE:
            detail = f"Custom vocabulary {vocabulary_id} is {vocabulary.status.value}, not complete"
            raise ProblemError(vocabulary_not_found(detail))

    def _finish(self, vocabulary: Vocabulary) -> None:
        vocabulary.completed_at = vocabulary.due_at
        if self.config.fail_vocabularies:
            vocabulary.status = VocabularyStatus.FAILED
            vocabulary.failure = FailureCode.INTERNAL_PROCESSING
            vocabulary.failure_detail = FAILURE_DETAILS[FailureCode.INTERNAL_PROCESSING]
        else:
            vocabulary.status = VocabularyStatus.COMPLETE

    def advance(self) -> list[Vocabulary]:
        """Finish every vocabulary that is due now; return those that just finished."""
        now = self.clock.now()
        finished: list[Vocabulary] = []
        for vocabulary in self._vocabularies.values():
            if vocabulary.status is VocabularyStatus.IN_PROGRESS and vocabulary.due_at <= now:
                self._finish(vocabulary)
                finished.append(vocabulary)
        return finished
