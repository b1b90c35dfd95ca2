"""The FX pipeline over HTTP: the simulated API for the happy path, a faulty local server for
retries, timeouts and the one clear error."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler

import pytest
from ingest_helpers import raw_counts, raw_query, source_counts

from velo.ingest import IngestError, run_ingest
from velo.ingest.fx_rates import HISTORY_DAYS
from velo.runtime import platform
from velo.settings import Settings
from velo.simulator.apis import running_apis
from velo.testing.http import serve_on_loopback

CLOCK = datetime(2024, 3, 31, 12, 0, 0)
QUOTES = 6  # USD, GBP, CHF, CAD, AUD, JPY


def ingest_fx(settings: Settings):
    with platform(settings) as live:  # as `velo ingest` does
        (report,) = run_ingest(live, ["fx"])
    return report


def test_fx_loads_the_history_window_then_only_new_hours(settings: Settings) -> None:
    settings = settings.with_overrides(clock=CLOCK)
    first = ingest_fx(settings)
    hours = raw_query(settings, "select count(distinct rate_timestamp) from raw.fx_rates")[0][0]
    assert HISTORY_DAYS * 24 - 1 <= hours <= HISTORY_DAYS * 24 + 1
    assert first.rows_read == {"fx_rates": hours * QUOTES}
    assert raw_query(settings, "select count(*) from raw.fx_rates") == [(hours * QUOTES,)]
    latest = raw_query(settings, "select max(rate_at) from raw.fx_rates")[0][0]
    assert latest == CLOCK.replace(minute=0)

    again = ingest_fx(settings)
    assert again.rows_read == {"fx_rates": 0}

    later = settings.with_overrides(clock=CLOCK + timedelta(hours=5))
    third = ingest_fx(later)
    assert third.rows_read == {"fx_rates": 5 * QUOTES}
    rows = raw_query(
        later, "select count(*), count(distinct (rate_timestamp, quote)) from raw.fx_rates"
    )
    assert rows == [((hours + 5) * QUOTES, (hours + 5) * QUOTES)]
    assert raw_query(later, "select distinct base from raw.fx_rates") == [("EUR",)]
    eur_usd = raw_query(later, "select min(rate), max(rate) from raw.fx_rates where quote = 'USD'")[
        0
    ]
    assert 0.9 < eur_usd[0] <= eur_usd[1] < 1.6
    assert raw_query(later, "select count(*) from raw.fx_rates where _loaded_at is null") == [(0,)]


def test_wrong_key_is_one_clear_error_without_the_key(settings: Settings) -> None:
    with running_apis(settings.with_overrides(clock=CLOCK)) as served:
        wrong_key = served.with_overrides(fx_api_key="wrong-secret-key")
        with pytest.raises(IngestError, match=r"fx .*HTTP 401.*check the API key") as caught:
            run_ingest(wrong_key, ["fx"])
    assert "wrong-secret-key" not in str(caught.value)


class FaultyFx(BaseHTTPRequestHandler):
    """Answers 500, or too slowly, and counts the requests."""

    mode = "500"
    requests: list[str] = []  # noqa: RUF012 - shared with the test on purpose

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.mode == "slow":
            time.sleep(1.0)
        try:
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": true}')
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def faulty_fx(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, type[FaultyFx]]]:
    """A local server standing in for a broken FX API; fast retries for the test."""
    monkeypatch.setenv("RUNTIME__REQUEST_TIMEOUT", "0.3")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.01")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_RETRY_DELAY", "0.1")
    handler = type("Handler", (FaultyFx,), {"requests": []})
    with serve_on_loopback(handler) as url:
        yield f"{url}/fx", handler


@pytest.mark.parametrize("mode", ["500", "slow"])
def test_api_failure_is_retried_then_one_clear_error_and_others_still_run(
    company: Settings, faulty_fx: tuple[str, type[FaultyFx]], mode: str
) -> None:
    url, handler = faulty_fx
    handler.mode = mode
    settings = company.with_overrides(fx_api_url=url, fx_api_key="secret-fx-key")
    with pytest.raises(IngestError) as caught:
        run_ingest(settings, ["fx", "operations"])
    message = str(caught.value)
    assert message.count("\n") == 0
    assert f"{url}/hourly.json" in message
    assert "secret-fx-key" not in message
    expected = (
        "answered HTTP 500 Internal Server Error after 3 attempts"
        if mode == "500"
        else "timed out 3 times"
    )
    assert f"fx (FX API {url}): GET {url}/hourly.json {expected}" in message
    assert len(handler.requests) == 3
    # the operations pipeline ran all the same
    assert [report.source for report in caught.value.reports] == ["operations"]
    assert raw_counts(settings) == source_counts(settings)


def test_the_simulated_default_url_outside_a_velo_command_is_one_clear_error(
    settings: Settings,
) -> None:
    # only the entry points start the simulated APIs; a bare call must not hunt for sim.local
    with pytest.raises(IngestError) as caught:
        run_ingest(settings, ["fx"])
    assert "fx_api_url is the simulated default" in str(caught.value)
    assert "\n" not in str(caught.value)
