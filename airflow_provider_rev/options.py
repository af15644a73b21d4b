"""The job option table, and the one validation every submission goes through before it is sent.

:data:`JOB_OPTIONS` is the single description of Rev AI's job options: API name, type, limits,
and the transcribers, languages and regions each is valid for. It drives the validation below,
the submit operator's keyword arguments and ``template_fields``, and the option table in
``docs/options.md`` (``tests/test_option_table.py`` fails when any of them drift).

Validation happens exactly once, when a request body is built (:func:`build_url_submission`,
:func:`validate_options` for uploads, :func:`build_vocabulary_submission`). It enforces the
documented shapes and limits, raising :class:`~airflow_provider_rev.exceptions.RevAIInvalidInputError`
with the field and the fix, and is never stricter than the API: values of enumerations Rev AI
extends (languages, transcribers, models, summary types) go through with a warning naming the
known ones, and ``extra_options`` reach the body untouched, for fields the API adds later.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_rev.exceptions import RevAIInvalidInputError

log = logging.getLogger(__name__)

MAX_METADATA_CHARS = 512
MAX_MEDIA_URL_CHARS = 2048
MAX_CALLBACK_URL_CHARS = 1024
MAX_DELETE_AFTER_SECONDS = 2_592_000
MAX_UPLOAD_BYTES = 2 * 1024**3
MAX_TRANSLATION_TARGETS = 5
MAX_VOCABULARY_PHRASES = 6000
MAX_PHRASE_WORDS = 12
MAX_WORD_CHARS = 34

ENGLISH = frozenset({"en", "en-us", "en-gb"})
TRANSCRIBERS = frozenset({"machine", "low_cost", "fusion", "human", "machine_v2"})
MODELS = frozenset({"standard", "premium"})
SUMMARY_TYPES = frozenset({"paragraph", "bullets"})
TRANSLATION_LANGUAGES = frozenset(
    "en en-us en-gb ar pt pt-br pt-pt fr fr-ca es es-es es-la it ja ko de ru".split()
)
#: Transcription languages the provider knows. Rev AI adds languages, so others only warn.
LANGUAGES = ENGLISH | frozenset(
    "ar bg ca cmn cs da de el es et fa fi fr he hi hr hu id it ja ko lt lv ms nl no pl pt ro ru sk sl "
    "sv ta te tr uk vi".split()
)
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$", re.IGNORECASE)
_RESOURCE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PASS_THROUGH = "; if Rev AI now accepts it, pass it through extra_options"


def _fail(field: str, message: str) -> RevAIInvalidInputError:
    return RevAIInvalidInputError(field, message)


def did_you_mean(word: object, known: Iterable[str], *, fuzzy: bool = True) -> str:
    """Return ``did you mean `<name>`?`` for the known name ``word`` most likely misspells, or ``""``.

    The one place that suggests a spelling: misspelt operator keywords, keys of dict options,
    enumeration values and language codes all go through it, so every hint reads the same. The
    normalised form (lower case, ``-`` for ``_``) comes first, so ``en_US`` finds ``en-us``;
    then, when ``fuzzy``, the closest name by ``difflib.get_close_matches``, so
    ``speaker_count`` finds ``speakers_count``. Language codes are not fuzzy: ``en-au`` is a
    language of its own, not a misspelt ``en-us``.
    """
    if not isinstance(word, str):
        return ""
    names = sorted(set(known))
    lowered = word.lower()
    for candidate in (lowered, lowered.replace("_", "-")):
        if candidate != word and candidate in names:
            return f"did you mean `{candidate}`?"
    matches = difflib.get_close_matches(lowered, names, n=1) if fuzzy else []
    return f"did you mean `{matches[0]}`?" if matches else ""


def _unknown_value(field: str, value: object, known: Iterable[str], *, fuzzy: bool = True) -> None:
    """Let a value Rev AI may have added go through, saying which values the provider knows.

    The warning also names the known value ``value`` most likely misspells, if any
    (:func:`did_you_mean`): a typo is sent too, and would otherwise only show in the result.
    """
    known = sorted(set(known))
    hint = did_you_mean(value, known, fuzzy=fuzzy)
    log.warning(
        "%s: %r is not a value this provider knows (%s); %s",
        field,
        value,
        ", ".join(known),
        f"{hint} Sending it as given, Rev AI decides." if hint else "sending it as given, Rev AI decides.",
    )


# ------------------------------------------------------------------ value checks


def validate_job_id(job_id: object, field: str = "job_id") -> str:
    """Return ``job_id`` if it is a safe, non-empty Rev AI id (jobs and vocabularies), else raise."""
    if not isinstance(job_id, str) or job_id.strip() in ("", "None"):
        raise _fail(field, "is empty; pass the id returned by the submit task (its XCom return_value).")
    if not _RESOURCE_ID.match(job_id):
        raise _fail(
            field,
            f"{job_id[:80]!r} is not a Rev AI id (letters, digits, '-' and '_' only); "
            "check the template that renders it.",
        )
    return job_id


def validate_http_url(url: object, field: str, max_chars: int) -> str:
    """Return ``url`` if it is an absolute http(s) URL within ``max_chars``, else raise."""
    if not isinstance(url, str) or not url.strip():
        raise _fail(field, "is empty; give an http(s) URL Rev AI can download directly.")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as err:
        raise _fail(
            field, f"is not a valid URL ({err}); give an absolute http(s) URL with a well-formed host."
        ) from None
    if parts.scheme not in ("http", "https") or not hostname:
        scheme = parts.scheme or "no scheme"
        raise _fail(
            field,
            f"must be an absolute http(s) URL, got {scheme!r}; upload local or object-storage "
            "files with local_file instead.",
        )
    if len(url) > max_chars:
        raise _fail(field, f"is {len(url)} characters; Rev AI accepts at most {max_chars}.")
    return url


def validate_auth_headers(headers: object, field: str) -> dict[str, str] | None:
    """Return the auth headers if they are ``{"Authorization": "<scheme> <token>"}``, else raise."""
    if headers is None:
        return None
    if not isinstance(headers, Mapping) or set(headers) != {"Authorization"}:
        raise _fail(field, 'must be {"Authorization": "<scheme> <token>"}; Rev AI supports no other header.')
    value = headers["Authorization"]
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, 'the "Authorization" value is empty.')
    return {"Authorization": value}


def _boolean(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, f"must be true or false, got {value!r}.")
    return value


def _integer(name: str, value: object, low: int, high: int | None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(name, f"must be an integer, got {type(value).__name__}.")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise _fail(name, f"is {value}; it must be {bound}.")
    return value


def _string(name: str, value: object, max_chars: int | None = None) -> str:
    if not isinstance(value, str):
        raise _fail(name, "must be a string (serialise structured data yourself).")
    if max_chars is not None and len(value) > max_chars:
        raise _fail(name, f"is {len(value)} characters; Rev AI allows {max_chars}.")
    return value


def _open_choice(name: str, value: object, known: frozenset[str]) -> str:
    """Check a value of an enumeration Rev AI extends: a string, with a warning if unknown."""
    if not isinstance(value, str) or not value.strip():
        raise _fail(name, f"must be a non-empty string such as {sorted(known)[0]!r}.")
    if value not in known:
        _unknown_value(name, value, known)
    return value


def language_code(name: str, value: object, known: frozenset[str] = LANGUAGES, what: str = "") -> str:
    """Return an ISO 639 language code in lower case (matched case-insensitively), or raise.

    :param what: which part of the option holds the code, for messages (``"target 0 language "``).
    """
    if not isinstance(value, str) or not _LANGUAGE.match(value):
        hint = did_you_mean(value, known, fuzzy=False)
        raise _fail(
            name,
            f"{what}{value!r} is not an ISO 639 code such as 'en', 'es' or 'cmn'"
            + (f"; {hint}" if hint else "."),
        )
    code = value.lower()
    if code not in known:
        _unknown_value(f"{name} {what}".strip(), value, known, fuzzy=False)
    return code


# ------------------------------------------------------------------ structured values


def _segments(name: str, segments: object) -> list[Any]:
    if not isinstance(segments, list) or not segments:
        raise _fail(name, 'must be a non-empty list of {"start": s, "end": s}.')
    checked: list[tuple[float, float, int]] = []
    for i, segment in enumerate(segments):
        if not isinstance(segment, Mapping) or set(segment) != {"start", "end"}:
            raise _fail(name, f'item {i} must be {{"start": seconds, "end": seconds}}.')
        start, end = segment["start"], segment["end"]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (start, end)):
            raise _fail(name, f"item {i}: start and end must be numbers of seconds.")
        if start < 0 or end <= start:
            raise _fail(name, f"item {i}: need 0 <= start < end, got {start}..{end}.")
        if end - start < 60:
            raise _fail(name, f"item {i} is {end - start:g} s long; Rev AI needs segments of at least 60 s.")
        checked.append((start, end, i))
    checked.sort()
    for (_, previous_end, j), (start, _, i) in zip(checked, checked[1:], strict=False):
        if start < previous_end:
            raise _fail(
                name, f"item {i} overlaps the previous segment (item {j}); segments must not overlap."
            )
    return segments


def _speaker_names(name: str, names: object) -> list[Any]:
    if not isinstance(names, list) or not 1 <= len(names) <= 100:
        raise _fail(name, 'must be a list of 1 to 100 {"display_name": name} objects.')
    for i, item in enumerate(names):
        display = item.get("display_name") if isinstance(item, Mapping) else None
        if not isinstance(display, str) or not 0 < len(display) <= 50:
            raise _fail(name, f"item {i} needs a display_name of 1 to 50 characters.")
    return names


def _vocabularies(name: str, vocabularies: object) -> list[Any]:
    if not isinstance(vocabularies, list) or not 1 <= len(vocabularies) <= 50:
        raise _fail(name, 'must be a list of 1 to 50 {"phrases": [...]} objects.')
    total = sum(len(item.get("phrases") or ()) for item in vocabularies if isinstance(item, Mapping))
    if total > MAX_VOCABULARY_PHRASES:
        raise _fail(name, f"has {total} phrases; Rev AI takes at most {MAX_VOCABULARY_PHRASES} per job.")
    for i, item in enumerate(vocabularies):
        phrases = item.get("phrases") if isinstance(item, Mapping) else None
        if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and p for p in phrases):
            raise _fail(name, f"item {i} needs a non-empty list of phrase strings.")
        for phrase in phrases:
            words = phrase.split()
            if len(words) > MAX_PHRASE_WORDS:
                raise _fail(
                    name, f"item {i}: {phrase[:60]!r} has {len(words)} words; at most {MAX_PHRASE_WORDS}."
                )
            long_word = next((w for w in words if len(w) > MAX_WORD_CHARS), None)
            if long_word is not None:
                raise _fail(name, f"item {i}: {long_word[:60]!r} is over {MAX_WORD_CHARS} characters.")
    return vocabularies


def _summarization(name: str, config: object) -> dict[str, Any]:
    if not isinstance(config, Mapping):
        raise _fail(name, 'must be a dict such as {"type": "bullets"}.')
    for key in sorted(set(config) - {"model", "type", "prompt"}):
        _unknown_value(f"{name} key", key, {"model", "type", "prompt"})
    if config.get("prompt") is not None and config.get("type") is not None:
        raise _fail(name, "set either prompt or type, not both.")
    if config.get("model") is not None:
        _open_choice(f"{name}.model", config["model"], MODELS)
    if config.get("type") is not None:
        _open_choice(f"{name}.type", config["type"], SUMMARY_TYPES)
    if config.get("prompt") is not None:
        _string(f"{name}.prompt", config["prompt"])
    return dict(config)


def _translation(name: str, config: object) -> dict[str, Any]:
    targets = config.get("target_languages") if isinstance(config, Mapping) else None
    if not isinstance(config, Mapping) or not isinstance(targets, list) or not targets:
        raise _fail(name, 'must be {"target_languages": [{"language": "es"}, ...]} with 1 to 5 languages.')
    if len(targets) > MAX_TRANSLATION_TARGETS:
        raise _fail(name, f"has {len(targets)} target languages; Rev AI translates into 1 to 5 per job.")
    checked: list[Any] = []
    for i, target in enumerate(targets):
        if not isinstance(target, Mapping) or "language" not in target:
            raise _fail(name, f'target {i} must be {{"language": "es"}} (optionally with "model").')
        code = language_code(name, target["language"], TRANSLATION_LANGUAGES, f"target {i} language ")
        if target.get("model") is not None:
            _open_choice(f"{name} target {i} model", target["model"], MODELS)
        checked.append({**target, "language": code})
    return {**config, "target_languages": checked}


def _notification_config(name: str, config: object) -> dict[str, Any]:
    if not isinstance(config, Mapping):
        raise _fail(name, 'must be {"url": ..., "auth_headers": {"Authorization": ...}}.')
    url = validate_http_url(config.get("url"), "notification_url", MAX_CALLBACK_URL_CHARS)
    headers = validate_auth_headers(config.get("auth_headers"), "notification_auth_headers")
    return {"url": url, **({"auth_headers": headers} if headers else {})}


# ------------------------------------------------------------------ the table


@dataclass(frozen=True)
class JobOption:
    """One job option: how it is named, typed, limited, and where it applies.

    :param name: the keyword (the API's own name unless ``api_name`` says otherwise).
    :param type: the Python type users pass, as shown in the docs.
    :param summary: one line for the docs' option table.
    :param check: returns the value to send, or raises naming the field and the fix.
    :param api_name: where the value lands in the body, when it is not a top-level field.
    :param transcribers: only these transcribers accept it (``None``: all).
    :param not_transcribers: these transcribers reject it.
    :param languages: only these job languages accept it (``None``: all).
    :param regions: only these deployments accept it (``None``: all).
    :param secret: never templated or rendered (it carries credentials).
    """

    name: str
    type: type
    summary: str
    check: Callable[[str, Any], Any]
    api_name: str | None = None
    transcribers: frozenset[str] | None = None
    not_transcribers: frozenset[str] = frozenset()
    languages: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    secret: bool = False

    @property
    def target(self) -> str:
        """The body field this option fills."""
        return self.api_name or self.name

    @property
    def valid_for(self) -> str:
        """Where the option applies, as the docs word it (``"not human; languages en, es"``).

        ``"all"`` when every transcriber, language and deployment accepts it. The option table
        of ``docs/options.md`` and the API reference (``docs/_ext/revai_autodoc.py``) both show
        this, so the limits are written once, here.
        """
        limits = []
        if self.transcribers is not None:
            limits.append("transcriber " + ", ".join(sorted(self.transcribers)))
        if self.not_transcribers:
            limits.append("not " + ", ".join(sorted(self.not_transcribers)))
        if self.languages is not None:
            limits.append("languages " + ", ".join(sorted(self.languages)))
        if self.regions is not None:
            limits.append("region " + ", ".join(sorted(self.regions)))
        return "; ".join(limits) or "all"


def _flag(name: str, summary: str, **rules: Any) -> JobOption:
    return JobOption(name, bool, summary, _boolean, **rules)


def _count(low: int, high: int | None) -> Callable[[str, Any], int]:
    return lambda name, value: _integer(name, value, low, high)


HUMAN = frozenset({"human"})
_EN_ES_FR = ENGLISH | {"es", "fr"}

#: Every documented job option, in the order the docs list them.
JOB_OPTIONS: tuple[JobOption, ...] = (
    JobOption("metadata", str, "Free text echoed in the job (at most 512 characters).",
              lambda n, v: _string(n, v, MAX_METADATA_CHARS)),
    JobOption("language", str, "ISO 639 code of the spoken language (default ``en``).", language_code),
    JobOption("transcriber", str, "``machine`` (default), ``low_cost``, ``fusion`` or ``human``.",
              lambda n, v: _open_choice(n, v, TRANSCRIBERS)),
    JobOption("notification_url", str, "Webhook Rev AI POSTs the job to when it finishes.",
              lambda n, v: validate_http_url(v, n, MAX_CALLBACK_URL_CHARS),
              api_name="notification_config.url"),
    JobOption("notification_auth_headers", dict, '``{"Authorization": ...}`` sent with the webhook.',
              lambda n, v: validate_auth_headers(v, n),
              api_name="notification_config.auth_headers", secret=True),
    JobOption("notification_config", dict, "The webhook as the API's own object (instead of the two above).",
              _notification_config, secret=True),
    JobOption("callback_url", str, "Deprecated webhook URL; prefer ``notification_url``.",
              lambda n, v: validate_http_url(v, n, MAX_CALLBACK_URL_CHARS)),
    JobOption("delete_after_seconds", int, "Delete the job and its data this long after it ends (0-30 days).",
              _count(0, MAX_DELETE_AFTER_SECONDS)),
    _flag("skip_diarization", "One speaker for the whole transcript."),
    _flag("skip_punctuation", "No punctuation elements.", languages=ENGLISH),
    _flag("skip_postprocessing", "Skip inverse text normalisation, casing and punctuation.",
          languages=ENGLISH | {"es"}),
    _flag("remove_disfluencies", "Drop 'um' and 'uh'.", not_transcribers=HUMAN, languages=ENGLISH),
    _flag("remove_atmospherics", "Drop tags such as ``<laugh>``.", not_transcribers=HUMAN),
    _flag("filter_profanity", "Mask profanities with asterisks.", languages=ENGLISH),
    JobOption("speaker_channels_count", int, "Transcribe 1 to 8 channels separately (billed per channel).",
              _count(1, 8), not_transcribers=HUMAN, languages=_EN_ES_FR),
    JobOption("speakers_count", int, "Expected number of speakers, a diarization hint.",
              _count(1, None), not_transcribers=HUMAN, languages=_EN_ES_FR),
    JobOption("diarization_type", str, "``standard`` (default) or ``premium``.",
              lambda n, v: _open_choice(n, v, MODELS), not_transcribers=HUMAN | {"low_cost"}),
    JobOption("custom_vocabulary_id", str, "Id of a ``complete`` custom vocabulary.",
              lambda n, v: validate_job_id(v, n), languages=ENGLISH, regions=frozenset({"us"})),
    JobOption("custom_vocabularies", list, 'Inline vocabularies: 1 to 50 ``{"phrases": [...]}``.',
              _vocabularies),
    _flag("strict_custom_vocabulary", "Use vocabulary phrases only as whole phrases."),
    _flag("verbatim", "Transcribe every syllable, false starts included."),
    _flag("forced_alignment", "More precise word timestamps.", languages=ENGLISH | {"fr", "it", "de", "es"}),
    _flag("rush", "Higher priority for human transcription (extra cost).", transcribers=HUMAN),
    _flag("test_mode", "Human job that is neither transcribed nor charged.", transcribers=HUMAN),
    JobOption("segments_to_transcribe", list, 'Human only: ``[{"start": s, "end": s}]``, each at least 60 s.',
              _segments, transcribers=HUMAN),
    JobOption("speaker_names", list, 'Human only: up to 100 ``{"display_name": ...}``.',
              _speaker_names, transcribers=HUMAN),
    JobOption("summarization_config", dict, 'Summary sub-job: ``{"model", "type" or "prompt"}``.',
              _summarization, not_transcribers=HUMAN),
    JobOption("translation_config", dict, "Translation sub-job: up to 5 ``target_languages``.",
              _translation, not_transcribers=HUMAN),
)  # fmt: skip

OPTIONS_BY_NAME: Mapping[str, JobOption] = {option.name: option for option in JOB_OPTIONS}
#: The options a custom vocabulary submission takes besides its phrases.
VOCABULARY_OPTIONS = frozenset(
    {"metadata", "strict_custom_vocabulary", "notification_url", "notification_auth_headers",
     "notification_config", "callback_url"}
)  # fmt: skip
_EXCLUSIVE = (
    ("custom_vocabulary_id", "custom_vocabularies"),
    ("notification_config", "notification_url"),
    ("callback_url", "notification_url"),
    ("callback_url", "notification_config"),
)


def _check_applies(option: JobOption, transcriber: str, language: str, region: str | None) -> None:
    """Refuse an option the job's transcriber, language or deployment cannot use, when it is known."""
    if transcriber in TRANSCRIBERS:
        if option.transcribers is not None and transcriber not in option.transcribers:
            allowed = ", ".join(sorted(option.transcribers))
            raise _fail(
                option.name, f"is only available with transcriber={allowed!r} (this job: {transcriber!r})."
            )
        if transcriber in option.not_transcribers:
            raise _fail(option.name, f"is not available with transcriber={transcriber!r}{_PASS_THROUGH}.")
    if option.languages is not None and language in LANGUAGES and language not in option.languages:
        allowed = ", ".join(sorted(option.languages))
        raise _fail(option.name, f"is available for languages {allowed}, not {language!r}{_PASS_THROUGH}.")
    if option.regions is not None and region is not None and region not in option.regions:
        raise _fail(option.name, f"is not available in the {region!r} deployment{_PASS_THROUGH}.")


def _validate(
    options: Mapping[str, Any], allowed: Iterable[str], region: str | None, kind: str
) -> dict[str, Any]:
    """Check the named options against the table; merge ``extra_options`` last, untouched."""
    opts = {k: v for k, v in options.items() if v is not None}
    extra = opts.pop("extra_options", None) or {}
    if not isinstance(extra, Mapping):
        raise _fail("extra_options", "must be a dict of additional API fields.")
    allowed = set(allowed)
    unknown = sorted(set(opts) - allowed)
    if unknown:
        hint = did_you_mean(unknown[0], allowed)
        raise _fail(
            unknown[0],
            f"is not a documented Rev AI {kind} option{f' ({hint})' if hint else ''}; check the "
            "spelling, or pass new API fields through extra_options.",
        )
    for first, second in _EXCLUSIVE:
        if first in opts and second in opts:
            raise _fail(second, f"set {first} or {second}, not both.")
    if "notification_auth_headers" in opts and "notification_url" not in opts:
        raise _fail("notification_auth_headers", "needs notification_url.")
    transcriber = str(extra.get("transcriber") or opts.get("transcriber") or "machine")
    language = str(extra.get("language") or opts.get("language") or "en").lower()
    body: dict[str, Any] = {}
    for name, raw in opts.items():
        option = OPTIONS_BY_NAME[name]
        if raw is not False:
            _check_applies(option, transcriber, language, region)
        value = option.check(name, raw)
        parent, _, child = option.target.partition(".")
        if child:
            body.setdefault(parent, {})[child] = value
        else:
            body[parent] = value
    body.update(extra)
    return body


def validate_options(options: Mapping[str, Any], region: str | None = None) -> dict[str, Any]:
    """Return the JSON options of a job submission, checked against :data:`JOB_OPTIONS`.

    ``None`` values are dropped; ``notification_url`` and ``notification_auth_headers`` are
    folded into ``notification_config``; ``extra_options`` (a dict) is merged in last, as given.

    :param region: the deployment (``us``/``eu``), for options only one of them accepts.
    """
    return _validate(options, OPTIONS_BY_NAME, region, "job")


def build_url_submission(
    media_url: object, source_auth_headers: object, options: Mapping[str, Any], region: str | None = None
) -> dict[str, Any]:
    """Return the JSON body of ``POST /jobs`` for media Rev AI downloads itself.

    The URL goes in ``source_config``, which Rev AI stores encrypted and never echoes, rather
    than in the deprecated ``media_url``.
    """
    url = validate_http_url(media_url, "media_url", MAX_MEDIA_URL_CHARS)
    headers = validate_auth_headers(source_auth_headers, "source_auth_headers")
    body = validate_options(options, region)
    body["source_config"] = {"url": url, **({"auth_headers": headers} if headers else {})}
    return body


def build_vocabulary_submission(custom_vocabularies: object, options: Mapping[str, Any]) -> dict[str, Any]:
    """Return the JSON body of ``POST /vocabularies``: the phrases plus the options it accepts."""
    body = _validate(options, VOCABULARY_OPTIONS, None, "custom vocabulary")
    body["custom_vocabularies"] = _vocabularies("custom_vocabularies", custom_vocabularies)
    return body


def markdown_table() -> str:
    """Render :data:`JOB_OPTIONS` as the Markdown table ``docs/options.md`` shows."""
    rows = ["| Option | Type | What it does | Valid for |", "| --- | --- | --- | --- |"]
    for option in JOB_OPTIONS:
        name = f"`{option.name}`" + (f" (`{option.api_name}`)" if option.api_name else "")
        summary = option.summary.replace("``", "`")
        rows.append(f"| {name} | {option.type.__name__} | {summary} | {option.valid_for} |")
    return "\n".join(rows) + "\n"
