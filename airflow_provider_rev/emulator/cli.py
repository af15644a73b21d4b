"""Command line: ``python -m airflow_provider_rev.emulator [options]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from airflow_provider_rev.emulator.config import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TOKEN, EmulatorConfig
from airflow_provider_rev.emulator.faults import FaultConfig
from airflow_provider_rev.emulator.server import running_emulator


def language_list(value: str) -> frozenset[str]:
    """Parse ``"de,fr"`` into ``frozenset({"de", "fr"})`` (blanks and empty items ignored)."""
    return frozenset(code.strip() for code in value.split(",") if code.strip())


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_rev.emulator",
        description="Local emulator of Rev AI's asynchronous speech-to-text API (/speechtotext/v1).",
    )
    add = parser.add_argument
    add("--host", default=DEFAULT_HOST, help="interface to bind (default: %(default)s, loopback only)")
    add("--port", type=int, default=DEFAULT_PORT, help="port (default: %(default)s; 0 picks a free port)")
    add("--token", default=DEFAULT_TOKEN, help="accepted access token (default: %(default)s)")
    add("--processing-seconds", type=float, default=2.0, help="fixed processing time per job")
    add("--seconds-per-audio-second", type=float, default=0.0, help="extra processing time per audio second")
    add("--nlp-seconds", type=float, default=None, help="summary/translation time (default: processing time)")
    add(
        "--vocabulary-seconds",
        type=float,
        default=None,
        help="custom vocabulary processing time (default: processing time)",
    )
    add("--fail-summaries", action="store_true", help="every summarization ends failed")
    add(
        "--fail-translation-languages",
        type=language_list,
        default=frozenset(),
        metavar="de,fr",
        help="comma-separated translation target languages that end failed",
    )
    add("--fail-vocabularies", action="store_true", help="every custom vocabulary ends failed")
    add("--min-duration-seconds", type=float, default=1.0, help="shorter media fails duration_too_short")
    add("--balance-seconds", type=int, default=360_000, help="starting account balance in seconds")
    add("--max-upload-bytes", type=int, default=EmulatorConfig.max_upload_bytes, help="413 above this size")
    add(
        "--media-root",
        type=Path,
        action="append",
        default=None,
        metavar="DIR",
        help="folder searched for <stem>.txt sidecars, repeatable; uploads carry only a file name, "
        "so their words come only from here",
    )
    add("--allow-remote-media", action="store_true", help="download media from non-loopback hosts too")
    add("--webhook-retry-seconds", type=float, default=1800.0, help="webhook retry interval")
    add("--webhook-retry-window-seconds", type=float, default=86400.0, help="stop retrying after this long")
    add("--clock-speed", type=float, default=1.0, help="emulated seconds per real second")
    add("--rate-limit-fraction", type=float, default=0.0, help="share of requests answered 429")
    add("--retry-after", type=int, default=1, help="Retry-After seconds on 429 answers")
    add("--error-fraction", type=float, default=0.0, help="share of requests answered 502/503/504")
    add("--drop-fraction", type=float, default=0.0, help="share of connections closed without a response")
    add("--latency", type=float, default=0.0, help="seconds added to every request")
    add(
        "--fault-routes", nargs="*", default=[], help='route templates faults apply to, e.g. "GET /jobs/{id}"'
    )
    add(
        "--rate-limit-per-second",
        type=float,
        default=None,
        help="account-wide requests per emulated second; more get 429 with Retry-After (default: no limit)",
    )
    add("--rate-limit-burst", type=int, default=None, help="requests admitted at once (default: 1 s worth)")
    add("--seed", type=int, default=0, help="seed for faults and job ids")
    add("--verbose", action="store_true", help="log every request")
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """Turn parsed arguments into an :class:`EmulatorConfig`."""
    faults = FaultConfig(
        rate_limit_fraction=args.rate_limit_fraction,
        retry_after=args.retry_after,
        error_fraction=args.error_fraction,
        drop_fraction=args.drop_fraction,
        latency=args.latency,
        seed=args.seed,
        routes=frozenset(args.fault_routes),
    )
    return EmulatorConfig(
        token=args.token,
        processing_seconds=args.processing_seconds,
        seconds_per_audio_second=args.seconds_per_audio_second,
        nlp_seconds=args.nlp_seconds,
        vocabulary_seconds=args.vocabulary_seconds,
        fail_summaries=args.fail_summaries,
        fail_translation_languages=args.fail_translation_languages,
        fail_vocabularies=args.fail_vocabularies,
        min_duration_seconds=args.min_duration_seconds,
        balance_seconds=args.balance_seconds,
        max_upload_bytes=args.max_upload_bytes,
        media_root=args.media_root,
        allow_remote_media=args.allow_remote_media,
        webhook_retry_seconds=args.webhook_retry_seconds,
        webhook_retry_window_seconds=args.webhook_retry_window_seconds,
        clock_speed=args.clock_speed,
        seed=args.seed,
        faults=faults,
        rate_limit_per_second=args.rate_limit_per_second,
        rate_limit_burst=args.rate_limit_burst,
    )


async def serve(config: EmulatorConfig, host: str, port: int, verbose: bool = False) -> None:
    """Serve until SIGINT or SIGTERM, printing one ready line with the base URL."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_emulator(config, host, port, access_log=verbose) as (_core, base_url):
        print(f"Rev AI emulator listening on {base_url} (token: {config.token})", flush=True)
        await stop.wait()
    print("Rev AI emulator stopped", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line."""
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        build_parser().error(str(exc))
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(message)s"
    )
    asyncio.run(serve(config, args.host, args.port, args.verbose))
    return 0
