"""The account-wide rate limit (a token bucket on the emulated clock, all routes) and clock origins."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_rev.emulator import EmulatorConfig, RevAIEmulator
from airflow_provider_rev.emulator.cli import build_parser, config_from_args
from airflow_provider_rev.emulator.clock import Clock


def test_requests_over_the_limit_get_429_with_the_seconds_until_a_token_is_free() -> None:
    with (
        RevAIEmulator(rate_limit_per_second=0.1, rate_limit_burst=2) as emu,
        requests.Session() as http,
    ):
        http.headers.update(emu.auth_headers)
        assert http.get(emu.api_url + "/account").status_code == 200
        assert http.get(emu.api_url + "/jobs").status_code == 200  # the burst spans routes
        refused = http.get(emu.api_url + "/jobs")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "10"  # one token per 10 emulated seconds
        assert refused.headers["Content-Type"] == "application/problem+json"
        body = refused.json()
        assert body["status"] == 429 and body["type"].endswith("/too-many-requests")

        emu.advance_clock(4)
        assert http.get(emu.api_url + "/account").headers["Retry-After"] == "6"  # rounded up
        emu.advance_clock(6)
        assert http.get(emu.api_url + "/account").status_code == 200  # refusals took no token
        assert http.get(emu.api_url + "/account").status_code == 429

        assert emu.request_counts == {"GET /account": 4, "GET /jobs": 2}
        assert emu.faulted_counts == {"GET /account": 2, "GET /jobs": 1}
        assert [r.fault for r in emu.requests].count("rate_limit") == 3
        emu.reset()
        assert http.get(emu.api_url + "/account").status_code == 200  # reset refills the bucket


def test_burst_defaults_to_one_second_of_requests_and_bad_limits_are_refused() -> None:
    assert EmulatorConfig(rate_limit_per_second=5).effective_rate_limit_burst == 5
    assert EmulatorConfig(rate_limit_per_second=0.5).effective_rate_limit_burst == 1
    assert EmulatorConfig().rate_limit_per_second is None
    with pytest.raises(ValueError, match="positive"):
        EmulatorConfig(rate_limit_per_second=0)
    with pytest.raises(ValueError, match="at least 1"):
        EmulatorConfig(rate_limit_per_second=1, rate_limit_burst=0)


def test_cli_flags() -> None:
    config = config_from_args(
        build_parser().parse_args(["--rate-limit-per-second", "10", "--rate-limit-burst", "20"])
    )
    assert (config.rate_limit_per_second, config.rate_limit_burst) == (10, 20)
    assert config_from_args(build_parser().parse_args([])).rate_limit_per_second is None


def test_a_clock_built_from_another_clocks_origin_follows_it() -> None:
    emulated = Clock(speed=3600)
    emulated.advance(120)
    follower = Clock(emulated.speed, origin=emulated.origin)
    assert abs((follower.now() - emulated.now()).total_seconds()) < 5  # 5 emulated s = 1.4 real ms
