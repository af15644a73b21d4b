"""A new user's mistakes, against the emulator: each fails at once (or warns) naming the fix.

Misspelt keywords fail when the DAG is parsed and name the keyword meant; misspelt keys of
dict options and language codes written ``en_US`` name the known spelling; an ``output_path``
that no try can write (relative, under a file, a folder) fails the fetch before any request,
without spending retries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pendulum
import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, ObjectStoragePath
from airflow.sdk import DAG
from support import MediaServer, task_context

from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.exceptions import RevAIBadRequestError, RevAIInvalidInputError
from airflow_provider_rev.operators.revai import (
    CreateCustomVocabularyOperator,
    FetchTranscriptOperator,
    SubmitTranscriptionOperator,
)

SPOKEN = "Speaker 0: Good morning.\nSpeaker 1: Morning, all clear."
PHRASES = [{"phrases": ["Airflow"]}]
RELATIVE_HINT = (
    "so it would be written under the worker's working directory, which differs between workers "
    "and restarts; use an absolute path (/data/transcripts/t.json) or a URL such as "
    "file:///data/transcripts/t.json or s3://aws_default@bucket/transcripts/t.json."
)


def parse(build: Any) -> None:
    """Build an operator inside a DAG, as a DAG file does when it is parsed."""
    with DAG("typos", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
        build()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


# ---------------------------------------------------------------------------- keywords


class TestMisspeltKeywords:
    @pytest.mark.parametrize(
        ("build", "message"),
        [
            (
                lambda: SubmitTranscriptionOperator(task_id="s", media_url="http://a/b.wav", speaker_count=2),
                "speaker_count: unknown keyword for SubmitTranscriptionOperator; "
                "did you mean `speakers_count`?",
            ),
            (
                lambda: SubmitTranscriptionOperator(task_id="s", media_url="http://a/b.wav", langauge="es"),
                "langauge: unknown keyword for SubmitTranscriptionOperator; did you mean `language`?",
            ),
            (
                lambda: SubmitTranscriptionOperator(task_id="s", media_ulr="http://a/b.wav"),
                "media_ulr: unknown keyword for SubmitTranscriptionOperator; did you mean `media_url`?",
            ),
            (
                lambda: SubmitTranscriptionOperator(task_id="s", media_url="http://a/b.wav", retires=3),
                "retires: unknown keyword for SubmitTranscriptionOperator; did you mean `retries`?",
            ),
            (
                lambda: CreateCustomVocabularyOperator(
                    task_id="v", custom_vocabularies=PHRASES, strict_vocabulary=True
                ),
                "strict_vocabulary: unknown keyword for CreateCustomVocabularyOperator; "
                "did you mean `strict_custom_vocabulary`?",
            ),
            (
                lambda: CreateCustomVocabularyOperator(
                    task_id="v", custom_vocabularies=PHRASES, notification_ulr="http://a/hook"
                ),
                "notification_ulr: unknown keyword for CreateCustomVocabularyOperator; "
                "did you mean `notification_url`?",
            ),
            (
                lambda: SubmitTranscriptionOperator(task_id="s", media_url="http://a/b.wav", colour="red"),
                "colour: unknown keyword for SubmitTranscriptionOperator; check the spelling, "
                "or pass new API fields through extra_options.",
            ),
        ],
        ids=["option", "option-2", "media", "base-operator", "vocabulary", "vocabulary-2", "no-match"],
    )
    def test_fails_when_the_dag_is_parsed_naming_the_keyword_meant(
        self, emu: RevAIEmulator, build: Any, message: str
    ) -> None:
        with pytest.raises(RevAIInvalidInputError) as err:
            parse(build)
        assert str(err.value) == message
        assert err.value.field == message.split(":")[0]
        assert isinstance(err.value, AirflowFailException)
        assert "Invalid arguments were passed" not in str(err.value)
        assert emu.request_counts == {}

    def test_keywords_spelt_right_still_reach_the_api(self, emu: RevAIEmulator, media: MediaServer) -> None:
        op = SubmitTranscriptionOperator(
            task_id="submit",
            media_url=media.add("call", 2, SPOKEN),
            speakers_count=2,
            retries=3,
            pool_slots=1,
            doc_md="nightly",
        )
        job_id = op.execute(task_context())
        assert op.retries == 3 and emu.received_bodies()[-1]["speakers_count"] == 2
        assert emu.job(job_id) is not None


# ---------------------------------------------------------------------------- values


class TestMisspeltValues:
    def test_a_misspelt_key_of_a_dict_option_is_sent_with_a_warning_naming_the_key(
        self, emu: RevAIEmulator, media: MediaServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        op = SubmitTranscriptionOperator(
            task_id="submit",
            media_url=media.add("call", 2, SPOKEN),
            summarization_config={"typ": "bullets", "modle": "premium"},
        )
        job_id = op.execute(task_context())
        assert emu.received_bodies()[-1]["summarization_config"] == {"typ": "bullets", "modle": "premium"}
        assert emu.job(job_id) is not None
        assert warnings_of(caplog) == [
            "summarization_config key: 'modle' is not a value this provider knows (model, prompt, type); "
            "did you mean `model`? Sending it as given, Rev AI decides.",
            "summarization_config key: 'typ' is not a value this provider knows (model, prompt, type); "
            "did you mean `type`? Sending it as given, Rev AI decides.",
        ]

    def test_a_misspelt_value_is_sent_and_the_warning_names_the_known_one(
        self, emu: RevAIEmulator, media: MediaServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Rev AI, not the provider, refuses the value; the log already said which one was meant."""
        url = media.add("call", 2, SPOKEN)
        op = SubmitTranscriptionOperator(
            task_id="submit", media_url=url, summarization_config={"type": "bulets"}
        )
        with pytest.raises(RevAIBadRequestError, match="summarization_config.type"):
            op.execute(task_context())
        assert emu.received_bodies()[-1]["summarization_config"] == {"type": "bulets"}
        [warning] = warnings_of(caplog)
        assert warning.startswith("summarization_config.type: 'bulets' is not a value this provider knows")
        assert "did you mean `bullets`?" in warning

    def test_an_unknown_language_gets_no_guess(
        self, emu: RevAIEmulator, media: MediaServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        """``en-au`` is not a misspelt ``en-us``: a well-formed code Rev AI may know is not second-guessed."""
        url = media.add("call", 2, SPOKEN)
        SubmitTranscriptionOperator(task_id="submit", media_url=url, language="en-au").execute(task_context())
        assert emu.received_bodies()[-1]["language"] == "en-au"
        [warning] = warnings_of(caplog)
        assert warning.startswith("language: 'en-au' is not a value") and "did you mean" not in warning

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            (
                {"language": "en_US"},
                "language: 'en_US' is not an ISO 639 code such as 'en', 'es' or 'cmn'; did you mean `en-us`?",
            ),
            (
                {"translation_config": {"target_languages": [{"language": "pt_BR"}]}},
                "translation_config: target 0 language 'pt_BR' is not an ISO 639 code such as 'en', "
                "'es' or 'cmn'; did you mean `pt-br`?",
            ),
            (
                {"language": "English"},
                "language: 'English' is not an ISO 639 code such as 'en', 'es' or 'cmn'.",
            ),
        ],
        ids=["language", "translation", "no-guess"],
    )
    def test_a_language_written_with_an_underscore_names_the_code(
        self, emu: RevAIEmulator, media: MediaServer, options: dict[str, Any], message: str
    ) -> None:
        url = media.add("call", 2, SPOKEN)
        with pytest.raises(RevAIInvalidInputError) as err:
            SubmitTranscriptionOperator(task_id="submit", media_url=url, **options).execute(task_context())
        assert str(err.value) == message and err.value.permanent
        assert emu.request_counts == {}

    def test_the_suggested_language_code_is_accepted(self, emu: RevAIEmulator, media: MediaServer) -> None:
        url = media.add("call", 2, SPOKEN)
        job_id = SubmitTranscriptionOperator(task_id="submit", media_url=url, language="en-us").execute(
            task_context()
        )
        assert emu.job(job_id)["language"] == "en-us"  # type: ignore[index]


# ---------------------------------------------------------------------------- output_path


@pytest.mark.revai_emulator(processing_seconds=0.05)
class TestOutputPath:
    @pytest.fixture
    def job_id(self, emu: RevAIEmulator, media: MediaServer) -> str:
        """A transcribed job; the emulator's request counts start afresh after it."""
        job_id = SubmitTranscriptionOperator(
            task_id="submit",
            media_url=media.add("call", 2, SPOKEN),
            wait_for_completion=True,
            poll_interval=0.05,
        ).execute(task_context())
        emu.core.recorder.reset()
        return job_id

    def refused(self, emu: RevAIEmulator, job_id: str, output_path: Any) -> RevAIInvalidInputError:
        """Run a fetch that must fail at once; check it sent nothing and return its error."""
        fetch = FetchTranscriptOperator(task_id="fetch", job_id=job_id, output_path=output_path, retries=3)
        with pytest.raises(RevAIInvalidInputError) as err:
            fetch.execute(task_context(task_id="fetch"))
        assert isinstance(err.value, AirflowFailException), "no try can fix it: retries must not run"
        assert err.value.field == "output_path"
        assert emu.request_counts == {}, "nothing is fetched before the path is known to be writable"
        return err.value

    @pytest.mark.parametrize(
        ("output_path", "named"),
        [
            ("out/t.json", "'out/t.json' is a relative path"),
            ("./out/t.json", "'./out/t.json' is a relative path"),
            (Path("out/t.json"), "'out/t.json' is a relative path"),
            pytest.param(
                ObjectStoragePath("out/t.json"),
                "'out/t.json' is a relative path",
                marks=pytest.mark.skipif(
                    ObjectStoragePath("out/t.json").is_absolute(),
                    reason="this Airflow's ObjectStoragePath turns 'out/t.json' into '/out/t.json'",
                ),
            ),
            ("~/t.json", "'~/t.json' is a relative path (fsspec does not expand ~)"),
            ("file://out/t.json", "'file://out/t.json' is a relative file URL ('out' is read as a folder"),
            ("file:out/t.json", "'file:out/t.json' is a relative file URL"),
        ],
        ids=["str", "dot", "pathlib", "object-storage-path", "home", "file-url-host", "file-url-no-slash"],
    )
    def test_a_relative_path_is_refused_before_any_request(
        self,
        emu: RevAIEmulator,
        job_id: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        output_path: Any,
        named: str,
    ) -> None:
        worker = tmp_path / "worker"
        worker.mkdir()
        monkeypatch.chdir(worker)  # where the file would land without the check
        error = self.refused(emu, job_id, output_path)
        assert error.message.startswith(named) and error.message.endswith(RELATIVE_HINT)
        assert list(worker.iterdir()) == []

    @pytest.mark.parametrize("under", ["t.json", "sub/t.json"])
    @pytest.mark.parametrize("as_uri", [False, True])
    def test_a_path_under_a_file_is_refused_naming_both(
        self, emu: RevAIEmulator, job_id: str, tmp_path: Path, under: str, as_uri: bool
    ) -> None:
        blocker = tmp_path / "transcripts"
        blocker.write_text("a file where a folder should be")
        target = blocker / under
        error = self.refused(emu, job_id, target.as_uri() if as_uri else str(target))
        assert str(error) == (
            f"output_path: cannot write {target}: {blocker} is a file, not a folder; remove or rename "
            "that file, or set output_path to a path in another folder."
        )
        assert blocker.read_text() == "a file where a folder should be"

    def test_a_folder_is_refused(self, emu: RevAIEmulator, job_id: str, tmp_path: Path) -> None:
        error = self.refused(emu, job_id, str(tmp_path))
        assert (
            error.message
            == f"{tmp_path} is a folder; name the file to write in it, e.g. {tmp_path}/transcript.json."
        )

    def test_a_template_rendering_empty_is_refused(self, emu: RevAIEmulator, job_id: str) -> None:
        assert self.refused(emu, job_id, " ").message.startswith("is empty; check the template")

    @pytest.mark.parametrize("form", ["path", "file-url", "object-storage-path"])
    def test_absolute_paths_and_urls_are_written(
        self, emu: RevAIEmulator, job_id: str, tmp_path: Path, form: str
    ) -> None:
        target = tmp_path / "new" / "folders" / f"{job_id}.json"
        output_path: Any = {
            "path": str(target),
            "file-url": target.as_uri(),
            "object-storage-path": ObjectStoragePath(target.as_uri()),
        }[form]
        manifest = FetchTranscriptOperator(task_id="fetch", job_id=job_id, output_path=output_path).execute(
            task_context(task_id="fetch")
        )
        written = target.read_bytes()
        assert json.loads(written)["monologues"] and manifest["bytes"] == len(written)
        assert emu.request_counts["GET /jobs/{id}/transcript"] == 1
