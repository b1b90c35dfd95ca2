"""The simulated outside world over HTTP: an FX rates API and a news API on one FastAPI app.

FX (Open Exchange Rates style) is served under ``/fx``, news (Alpha Vantage NEWS_SENTIMENT
style) under ``/news``; see CONTRACTS.md for the formats. Nothing is ever later than the server's
"now": the platform clock the entry point resolved (``settings.clock``), or, for a server given
none (``velo sim serve``), the simulated company's clock as it moves, else the wall clock.
``running_apis`` starts the app in a background thread on a free loopback port for the duration
of a command or test.
"""

from __future__ import annotations

import hmac
import logging
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI, Header
from fastapi.responses import JSONResponse

from velo.clock import wall_now
from velo.errors import VeloError
from velo.settings import SIMULATED_FX_API_URL, SIMULATED_NEWS_API_URL, Settings
from velo.simulator import fx, news
from velo.simulator.clock import following_sim_clock

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 30
FX_DISCLAIMER = "Simulated exchange rates for Velo Analytics; not for trading."
FX_LICENSE = "Generated data, free to use."
HOURLY_DEFAULT_DAYS = 30
HOURLY_DEFAULT_LIMIT, HOURLY_MAX_LIMIT = 500, 1000
NEWS_DEFAULT_LIMIT, NEWS_MAX_LIMIT = 50, 1000
NEWS_WINDOW = timedelta(hours=24)
NEWS_TIME_FORMATS = ("%Y%m%dT%H%M", "%Y%m%dT%H%M%S")
NEWS_SORTS = ("LATEST", "EARLIEST", "RELEVANCE")
SENTIMENT_SCORE_DEFINITION = (
    "x <= -0.35: Bearish; -0.35 < x <= -0.15: Somewhat-Bearish; -0.15 < x < 0.15: Neutral; "
    "0.15 <= x < 0.35: Somewhat_Bullish; x >= 0.35: Bullish"
)
RELEVANCE_SCORE_DEFINITION = "0 < x <= 1, with a higher score indicating higher relevance."


def key_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def fx_key(app_id: str | None, authorization: str | None) -> str | None:
    """The app id from the query, or (as Open Exchange Rates accepts) ``Authorization: Token``."""
    scheme, _, token = (authorization or "").partition(" ")
    return token if scheme.lower() == "token" and token else app_id


# --- FX ---------------------------------------------------------------------------------------


def fx_error(status: int, message: str, description: str) -> JSONResponse:
    body = {"error": True, "status": status, "message": message, "description": description}
    return JSONResponse(body, status_code=status)


def fx_unauthorized() -> JSONResponse:
    return fx_error(401, "invalid_app_id", "Invalid App ID provided - please check the app_id.")


def fx_snapshot(seed: int, hour: int) -> dict[str, Any]:
    return {
        "disclaimer": FX_DISCLAIMER,
        "license": FX_LICENSE,
        "timestamp": fx.hour_timestamp(hour),
        "base": fx.BASE,
        "rates": fx.rates_at_hour(seed, hour),
    }


def parse_int(value: str | None, default: int) -> int:
    """An integer query parameter (ValueError when it is not one)."""
    return default if value in (None, "") else int(value)


Clock = Callable[[], datetime]


def fx_router(settings: Settings, now: Clock) -> APIRouter:
    router = APIRouter()
    seed = settings.seed

    @router.get("/latest.json")
    def latest(app_id: str | None = None, authorization: str | None = Header(None)) -> Any:
        if not key_matches(fx_key(app_id, authorization), settings.fx_api_key):
            return fx_unauthorized()
        hour = fx.hour_index(now())
        if hour < 0:
            return fx_error(404, "not_available", "No rates before 2010-01-01.")
        return fx_snapshot(seed, hour)

    @router.get("/historical/{day}.json")
    def historical(
        day: str, app_id: str | None = None, authorization: str | None = Header(None)
    ) -> Any:
        if not key_matches(fx_key(app_id, authorization), settings.fx_api_key):
            return fx_unauthorized()
        try:
            wanted = date.fromisoformat(day)
        except ValueError:
            return fx_error(400, "invalid_date", f"'{day}' is not a date (YYYY-MM-DD).")
        today = now()
        if wanted > today.date() or wanted < fx.EPOCH.date():
            return fx_error(404, "not_available", f"Historical rates for {day} are not available.")
        # A day's rates are those at 23:00; today's are the latest so far.
        closing = fx.hour_index(datetime.combine(wanted, datetime.min.time()) + timedelta(hours=23))
        return fx_snapshot(seed, min(closing, fx.hour_index(today)))

    @router.get("/hourly.json")
    def hourly(
        app_id: str | None = None,
        since: str | None = None,
        limit: str | None = None,
        authorization: str | None = Header(None),
    ) -> Any:
        if not key_matches(fx_key(app_id, authorization), settings.fx_api_key):
            return fx_unauthorized()
        until = now()
        default_since = fx.hour_timestamp(fx.hour_index(until - timedelta(HOURLY_DEFAULT_DAYS)))
        try:
            since_unix = parse_int(since, default_since)
            count = parse_int(limit, HOURLY_DEFAULT_LIMIT)
        except ValueError:
            return fx_error(400, "invalid_parameter", "since and limit must be integers.")
        if not 1 <= count <= HOURLY_MAX_LIMIT:
            return fx_error(400, "invalid_parameter", f"limit must be 1..{HOURLY_MAX_LIMIT}.")
        # `since` is exclusive: the first whole hour strictly after it.
        first = max(fx.hour_of_timestamp(since_unix) + 1, 0)
        last_available = fx.hour_index(until)
        last = min(first + count - 1, last_available)
        data = []
        if first <= last:
            rows = fx.rates_for_hours(seed, first, last)
            data = [
                {"timestamp": fx.hour_timestamp(hour), "rates": fx.rounded(row)}
                for hour, row in zip(range(first, last + 1), rows, strict=True)
            ]
        more = first <= last < last_available
        return {
            "base": fx.BASE,
            "data": data,
            "next_since": data[-1]["timestamp"] if more else None,
        }

    return router


# --- News -------------------------------------------------------------------------------------


def news_error(message: str) -> JSONResponse:
    return JSONResponse({"Error Message": message}, status_code=400)


def parse_news_time(value: str) -> datetime:
    for pattern in NEWS_TIME_FORMATS:
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    raise ValueError(value)


def news_router(settings: Settings, now: Clock) -> APIRouter:
    router = APIRouter()

    @router.get("/query")
    def query(
        function: str | None = None,
        apikey: str | None = None,
        time_from: str | None = None,
        time_to: str | None = None,
        limit: str | None = None,
        sort: str = "LATEST",
    ) -> Any:
        if not key_matches(apikey, settings.news_api_key):
            return JSONResponse(
                {"Information": "Invalid API key. Please check your apikey parameter."},
                status_code=401,
            )
        if function != "NEWS_SENTIMENT":
            return news_error(f"Invalid API call: function {function!r} is not NEWS_SENTIMENT.")
        if sort not in NEWS_SORTS:
            return news_error(f"Invalid API call: sort must be one of {', '.join(NEWS_SORTS)}.")
        until = now()
        try:
            end = min(parse_news_time(time_to), until) if time_to else until
            start = parse_news_time(time_from) if time_from else end - NEWS_WINDOW
            count = parse_int(limit, NEWS_DEFAULT_LIMIT)
        except ValueError as exc:
            return news_error(f"Invalid API call: {exc} (times are YYYYMMDDTHHMM, limit a number).")
        if not 1 <= count <= NEWS_MAX_LIMIT:
            return news_error(f"Invalid API call: limit must be 1..{NEWS_MAX_LIMIT}.")
        feed = news.items_between(settings.seed, start, end)
        if sort != "EARLIEST":
            feed.reverse()
        feed = feed[:count]
        return {
            "items": str(len(feed)),
            "sentiment_score_definition": SENTIMENT_SCORE_DEFINITION,
            "relevance_score_definition": RELEVANCE_SCORE_DEFINITION,
            "feed": feed,
        }

    return router


# --- The app and its servers ------------------------------------------------------------------


def api_clock(settings: Settings) -> Clock:
    """The server's 'now': the resolved platform clock, else the simulated clock as it moves."""
    fixed = settings.clock
    if fixed is not None:
        return lambda: fixed
    return following_sim_clock(settings.ops_db_url, otherwise=wall_now)


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="Velo simulated outside world", docs_url=None, redoc_url=None)
    now = api_clock(settings)
    app.include_router(fx_router(settings, now), prefix="/fx")
    app.include_router(news_router(settings, now), prefix="/news")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def bound_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (port 0 = any free one), or one clear error."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise VeloError(
            f"cannot serve the simulated APIs on {host}:{port}: {exc.strerror}; "
            "choose another --port"
        ) from None
    return sock


def server_for(settings: Settings, **options: Any) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(create_app(settings), lifespan="off", **options))


@contextmanager
def serving(settings: Settings, host: str = LOOPBACK, port: int = 0) -> Iterator[str]:
    """Serve the simulated APIs in a background thread; yields the base URL, stops on exit."""
    sock = bound_socket(host, port)
    # log_config=None: an embedded server must not reconfigure the host process's logging.
    server = server_for(settings, log_level="warning", log_config=None, access_log=False)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="velo-sim-apis", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise VeloError(f"the simulated APIs did not start on {host}:{port}")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


@contextmanager
def running_apis(settings: Settings) -> Iterator[Settings]:
    """Settings pointing at the live simulated APIs while the block runs (else unchanged)."""
    fx_simulated = settings.fx_api_url == SIMULATED_FX_API_URL
    news_simulated = settings.news_api_url == SIMULATED_NEWS_API_URL
    if not (fx_simulated or news_simulated):
        yield settings
        return
    with serving(settings) as base:
        yield settings.with_overrides(
            fx_api_url=f"{base}/fx" if fx_simulated else settings.fx_api_url,
            news_api_url=f"{base}/news" if news_simulated else settings.news_api_url,
        )


class HideApiKeys(logging.Filter):
    """Masks app_id / apikey values in uvicorn's access lines (keys may be real secrets)."""

    KEY_PARAM = re.compile(r"\b(app_id|apikey)=[^&\s]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.KEY_PARAM.sub(r"\1=****", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def serve_forever(settings: Settings, host: str = LOOPBACK, port: int = 8765) -> None:
    """`velo sim serve`: serve in the foreground until interrupted."""
    sock = bound_socket(host, port)
    base = f"http://{host}:{sock.getsockname()[1]}"
    sys.stdout.write(
        f"Simulated APIs on {base}: FX {base}/fx (app_id = the fx_api_key setting), "
        f"news {base}/news (apikey = the news_api_key setting). Ctrl+C stops.\n"
    )
    sys.stdout.flush()
    server = server_for(settings, log_level="info")  # configures uvicorn's loggers
    logging.getLogger("uvicorn.access").addFilter(HideApiKeys())
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl+C it shut down on: the normal stop
        pass
    finally:
        sock.close()
