"""Media acquisition (URL download, ``file://``, uploads), sidecar transcripts and format probing."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import os
import struct
import tempfile
import wave
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import urlsplit, urlunsplit
from urllib.request import url2pathname

import aiohttp

from airflow_provider_rev.emulator.options import UrlConfig
from airflow_provider_rev.emulator.status import FAILURE_DETAILS, FailureCode

CHUNK = 1 << 16
#: Only this many leading bytes (plus the size) seed the deterministic transcript.
DIGEST_BYTES = 8 << 20
MAX_SIDECAR_BYTES = 1 << 20

#: Assumed bit rates (bits per second) for formats whose duration is estimated from their size.
ESTIMATED_BITRATES: dict[str, int] = {
    "mp3": 128_000,
    "ogg": 96_000,
    "flac": 700_000,
    "mp4": 128_000,
    "webm": 128_000,
}


class MediaKind(StrEnum):
    """Media formats recognised by their magic bytes."""

    WAV = "wav"
    MP3 = "mp3"
    FLAC = "flac"
    OGG = "ogg"
    MP4 = "mp4"
    WEBM = "webm"


class MediaFailure(Exception):
    """Raised when media cannot be used; carries the job's failure code and detail."""

    def __init__(self, code: FailureCode, detail: str | None = None) -> None:
        self.code = code
        self.detail = detail or FAILURE_DETAILS.get(code, code.value)
        super().__init__(self.detail)


@dataclass(frozen=True)
class MediaInfo:
    """What the emulator learnt about a media file.

    :param channels: channel count (``None`` when not measured, i.e. for non-WAV formats).
    :param digest: SHA-256 hex of the size and the first bytes; seeds placeholder transcripts.
    """

    kind: MediaKind
    size: int
    duration_seconds: float
    channels: int | None
    digest: str


@dataclass(frozen=True)
class FetchedMedia:
    """A media file available locally, plus its sidecar transcript text if one was found.

    :param owned: the file is a temporary copy the emulator deletes after probing.
    """

    path: Path
    owned: bool
    sidecar: str | None = None


def upload_name(filename: str | None) -> str | None:
    """Return the base name of an uploaded file name (clients may send a full path)."""
    if not filename:
        return None
    return PureWindowsPath(PurePosixPath(filename).name).name or None


def sidecar_for_file(media: Path, name: str | None, media_roots: tuple[Path, ...]) -> str | None:
    """Read ``<stem>.txt`` next to ``media`` or in a ``media_roots`` folder (``name`` overrides the stem)."""
    stem = Path(name).stem if name else media.stem
    candidates = [media.with_name(f"{stem}.txt")] if not name else []
    candidates.extend(root / f"{stem}.txt" for root in media_roots)
    for candidate in candidates:
        if candidate.is_file():
            with candidate.open("rb") as handle:
                return handle.read(MAX_SIDECAR_BYTES).decode("utf-8", errors="replace")
    return None


def sidecar_url(url: str) -> str:
    """Return the URL of a media URL's sidecar: the same URL with the extension replaced by ``.txt``."""
    parts = urlsplit(url)
    path = PurePosixPath(parts.path)
    new_path = str(path.with_suffix(".txt")) if path.suffix else parts.path + ".txt"
    return urlunsplit((parts.scheme, parts.netloc, new_path, parts.query, ""))


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class MediaFetcher:
    """Fetch media for jobs into a work directory.

    :param session: client session used for downloads (owned by the caller).
    :param workdir: directory for temporary media copies.
    :param media_roots: extra directories searched for sidecar transcripts.
    :param allow_remote: allow downloads from non-loopback hosts (off: such jobs fail ``download_failure``).
    :param timeout: seconds allowed per download.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        workdir: Path,
        media_roots: tuple[Path, ...],
        allow_remote: bool,
        timeout: float,
    ) -> None:
        self.session = session
        self.workdir = workdir
        self.media_roots = media_roots
        self.allow_remote = allow_remote
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def fetch(self, source: UrlConfig) -> FetchedMedia:
        """Fetch the media a ``source_config``/``media_url`` points at, or raise ``download_failure``."""
        parts = urlsplit(source.url)
        if parts.scheme == "file":
            path = Path(url2pathname(parts.path))
            if not path.is_file():
                raise MediaFailure(FailureCode.DOWNLOAD_FAILURE)
            return FetchedMedia(path, owned=False, sidecar=sidecar_for_file(path, None, self.media_roots))
        if not self.allow_remote and not _is_loopback(parts.hostname):
            raise MediaFailure(
                FailureCode.DOWNLOAD_FAILURE,
                FAILURE_DETAILS[FailureCode.DOWNLOAD_FAILURE] + " (emulator: remote hosts are disabled)",
            )
        headers = {"Authorization": source.authorization} if source.authorization else {}
        fd, name = tempfile.mkstemp(dir=self.workdir, suffix=".media")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                async with self.session.get(source.url, headers=headers, timeout=self.timeout) as response:
                    if response.status != 200:
                        raise MediaFailure(FailureCode.DOWNLOAD_FAILURE)
                    async for chunk in response.content.iter_chunked(CHUNK):
                        out.write(chunk)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            path.unlink(missing_ok=True)
            raise MediaFailure(FailureCode.DOWNLOAD_FAILURE) from exc
        except MediaFailure:
            path.unlink(missing_ok=True)
            raise
        return FetchedMedia(path, owned=True, sidecar=await self._sidecar(source))

    async def _sidecar(self, source: UrlConfig) -> str | None:
        headers = {"Authorization": source.authorization} if source.authorization else {}
        try:
            async with self.session.get(
                sidecar_url(source.url), headers=headers, timeout=self.timeout
            ) as resp:
                if resp.status != 200:
                    return None
                data = await resp.content.read(MAX_SIDECAR_BYTES)
        except (aiohttp.ClientError, TimeoutError, OSError):
            return None
        return data.decode("utf-8", errors="replace")

    async def probe(self, media: FetchedMedia) -> MediaInfo:
        """Probe ``media`` in a worker thread, deleting owned temporary copies afterwards."""
        try:
            return await asyncio.to_thread(probe_file, media.path)
        finally:
            if media.owned:
                media.path.unlink(missing_ok=True)


def _kind(head: bytes) -> MediaKind | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return MediaKind.WAV
    if head[:4] == b"fLaC":
        return MediaKind.FLAC
    if head[:4] == b"OggS":
        return MediaKind.OGG
    if head[4:8] == b"ftyp":
        return MediaKind.MP4
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return MediaKind.WEBM
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MediaKind.MP3
    return None


def _digest(path: Path, size: int) -> str:
    hasher = hashlib.sha256(str(size).encode())
    remaining = DIGEST_BYTES
    with path.open("rb") as handle:
        while remaining > 0 and (chunk := handle.read(min(CHUNK, remaining))):
            hasher.update(chunk)
            remaining -= len(chunk)
    return hasher.hexdigest()


def _riff_wav(path: Path) -> tuple[float, int]:
    """Read duration and channels from RIFF chunks (for WAV encodings ``wave`` rejects, e.g. float)."""
    channels = byte_rate = data_size = 0
    with path.open("rb") as handle:
        handle.seek(12)
        while header := handle.read(8):
            if len(header) < 8:
                break
            chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:])[0]
            if chunk_id == b"fmt ":
                fmt = handle.read(chunk_size)
                channels, byte_rate = struct.unpack("<H", fmt[2:4])[0], struct.unpack("<I", fmt[8:12])[0]
                handle.seek(chunk_size % 2, os.SEEK_CUR)
                continue
            if chunk_id == b"data":
                data_size = chunk_size
                break
            handle.seek(chunk_size + chunk_size % 2, os.SEEK_CUR)
    if not channels or not byte_rate:
        raise MediaFailure(FailureCode.INVALID_MEDIA)
    return data_size / byte_rate, channels


def _wav(path: Path) -> tuple[float, int]:
    try:
        with wave.open(str(path), "rb") as wav:
            rate = wav.getframerate()
            if not rate:
                raise MediaFailure(FailureCode.INVALID_MEDIA)
            return wav.getnframes() / rate, wav.getnchannels()
    except (wave.Error, EOFError):
        return _riff_wav(path)


def probe_file(path: Path) -> MediaInfo:
    """Identify ``path`` and measure its duration; raise :class:`MediaFailure` if it is unusable.

    WAV files are measured exactly (``wave``, or a RIFF chunk walk for non-PCM encodings), other
    formats are estimated from their size and a typical bit rate (:data:`ESTIMATED_BITRATES`).
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise MediaFailure(FailureCode.DOWNLOAD_FAILURE) from exc
    if size == 0:
        raise MediaFailure(FailureCode.EMPTY_MEDIA)
    kind = _kind(head)
    if kind is None:
        raise MediaFailure(FailureCode.INVALID_MEDIA)
    channels: int | None = None
    if kind is MediaKind.WAV:
        duration, channels = _wav(path)
    else:
        duration = size * 8 / ESTIMATED_BITRATES[kind.value]
    if duration <= 0:
        raise MediaFailure(FailureCode.EMPTY_MEDIA)
    return MediaInfo(kind, size, round(duration, 3), channels, _digest(path, size))
