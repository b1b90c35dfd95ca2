"""The simulated FX and news APIs over real HTTP on loopback: formats, paging, time filtering,
determinism, auth, and the in-process server's lifecycle."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from velo.errors import VeloError
from velo.settings import SIMULATED_API_KEY, Settings, load_settings
from velo.simulator import clock as sim_clock
from velo.simulator.apis import bound_socket, running_apis, serve_forever
from velo.simulator.schema import sim_state
from velo.testing.postgres import free_port

CLOCK = datetime(2024, 3, 31, 17, 42, 10)
QUOTES = {"USD", "GBP", "CHF", "CAD", "AUD", "JPY"}
KEY = SIMULATED_API_KEY
# Written from Alpha Vantage's documented NEWS_SENTIMENT response (no internet here): the keys,
# which numbers come as JSON numbers (overall_sentiment_score) and which as strings (the rest).
ALPHA_VANTAGE_FIXTURE = Path(__file__).with_name("fixtures") / "alpha_vantage_news_sentiment.json"
VENDOR_LABELS = ("Bearish", "Somewhat-Bearish", "Neutral", "Somewhat-Bullish", "Bullish")


def unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def make_settings(root: Path, **env: str) -> Settings:
    return load_settings(
        env={"VELO_DATA_DIR": str(root / "data"), "VELO_CLOCK": CLOCK.isoformat(), **env}, cwd=root
    )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with running_apis(make_settings(tmp_path_factory.mktemp("apis"))) as settings:
        yield settings


def get(url: str, **params: Any) -> httpx.Response:
    return httpx.get(url, params=params, timeout=10)


def fx(live: Settings, path: str, **params: Any) -> httpx.Response:
    return get(f"{live.fx_api_url}/{path}", app_id=KEY, **params)


def news(live: Settings, **params: Any) -> httpx.Response:
    return get(
        f"{live.news_api_url}/query", **{"function": "NEWS_SENTIMENT", "apikey": KEY, **params}
    )


def test_running_apis_points_settings_at_one_loopback_server(live: Settings) -> None:
    assert live.fx_api_url.startswith("http://127.0.0.1:") and live.fx_api_url.endswith("/fx")
    assert live.news_api_url == live.fx_api_url.removesuffix("/fx") + "/news"
    assert get(live.fx_api_url.removesuffix("/fx") + "/health").json() == {"status": "ok"}


def test_fx_latest_is_the_last_full_hour_before_now(live: Settings) -> None:
    body = fx(live, "latest.json").json()
    assert set(body) == {"disclaimer", "license", "timestamp", "base", "rates"}
    assert body["base"] == "EUR"
    assert body["timestamp"] == unix(CLOCK.replace(minute=0, second=0))
    assert set(body["rates"]) == QUOTES
    assert 1.0 < body["rates"]["USD"] < 1.5
    assert 90 < body["rates"]["JPY"] < 180


def test_fx_historical_is_23_00_of_the_day_and_404_in_the_future(live: Settings) -> None:
    body = fx(live, "historical/2014-05-01.json").json()
    assert body["timestamp"] == unix(datetime(2014, 5, 1, 23))
    assert set(body["rates"]) == QUOTES
    today = fx(live, f"historical/{CLOCK.date()}.json").json()
    assert today == fx(live, "latest.json").json()  # the day is not over: its latest hour

    future = fx(live, f"historical/{CLOCK.date() + timedelta(days=1)}.json")
    assert future.status_code == 404
    assert future.json()["error"] is True and future.json()["message"] == "not_available"
    assert fx(live, "historical/not-a-date.json").status_code == 400


def test_fx_hourly_pages_through_a_range_without_gaps_or_duplicates(live: Settings) -> None:
    since = unix(CLOCK - timedelta(days=3)) - 1234  # not on an hour: exclusive, next hour first
    stamps: list[int] = []
    pages = 0
    cursor: int | None = since
    while cursor is not None:
        body = fx(live, "hourly.json", since=cursor, limit=25).json()
        assert body["base"] == "EUR"
        assert all(set(hour["rates"]) == QUOTES for hour in body["data"])
        stamps.extend(hour["timestamp"] for hour in body["data"])
        cursor = body["next_since"]
        pages += 1
    assert stamps[0] == since - since % 3600 + 3600
    assert stamps == list(range(stamps[0], stamps[-1] + 1, 3600))  # hourly, no gap, no duplicate
    assert stamps[-1] == unix(CLOCK.replace(minute=0, second=0))  # nothing after now
    assert pages == -(-len(stamps) // 25)

    last = fx(live, "hourly.json", since=stamps[-2]).json()
    assert last["data"][0]["rates"] == fx(live, "latest.json").json()["rates"]
    assert last["next_since"] is None
    assert fx(live, "hourly.json", since=stamps[-1]).json() == {
        "base": "EUR",
        "data": [],
        "next_since": None,
    }


def test_fx_hourly_defaults_to_the_last_30_days(live: Settings) -> None:
    body = fx(live, "hourly.json").json()
    assert (
        body["data"][0]["timestamp"] == unix(CLOCK.replace(minute=0, second=0)) - 30 * 86400 + 3600
    )
    assert len(body["data"]) == 500 and body["next_since"] == body["data"][-1]["timestamp"]
    assert fx(live, "hourly.json", limit=0).status_code == 400
    assert fx(live, "hourly.json", since="yesterday").status_code == 400


def test_news_respects_the_time_window_and_never_goes_past_now(live: Settings) -> None:
    start, end = datetime(2024, 3, 20, 6, 30), datetime(2024, 3, 27, 18, 15)
    feed = news(live, time_from=f"{start:%Y%m%dT%H%M}", time_to=f"{end:%Y%m%dT%H%M}").json()["feed"]
    published = [datetime.strptime(item["time_published"], "%Y%m%dT%H%M%S") for item in feed]
    assert 7 * 3 <= len(feed) <= 9 * 8
    assert all(start <= moment <= end for moment in published)
    assert published == sorted(published, reverse=True)  # sort=LATEST by default

    future = news(live, time_from=f"{CLOCK:%Y%m%dT%H%M}", time_to="20300101T0000").json()
    everything = news(live, time_from="20240331T0000", time_to="20300101T0000").json()
    assert future["feed"] == [
        item for item in everything["feed"] if item["time_published"] >= f"{CLOCK:%Y%m%dT%H%M}"
    ]
    latest = max(item["time_published"] for item in everything["feed"])
    assert latest <= CLOCK.strftime("%Y%m%dT%H%M%S")


def test_news_default_window_is_the_last_24_hours_and_formats_match(live: Settings) -> None:
    body = news(live).json()
    assert body["items"] == str(len(body["feed"])) and body["feed"]
    day_ago = (CLOCK - timedelta(hours=24)).strftime("%Y%m%dT%H%M%S")
    assert all(day_ago <= item["time_published"] for item in body["feed"])
    for item in body["feed"]:
        assert {"title", "url", "time_published", "authors", "summary", "source"} <= set(item)
        assert item["banner_image"] is None and item["category_within_source"] == "n/a"
        assert item["authors"] and all(isinstance(a, str) for a in item["authors"])
        assert item["topics"] and all(0 < float(t["relevance_score"]) <= 1 for t in item["topics"])
    earliest = news(live, sort="EARLIEST", limit=2).json()["feed"]
    assert [item["url"] for item in earliest] == [item["url"] for item in body["feed"][::-1][:2]]
    assert news(live, time_to="yesterday").status_code == 400
    assert news(live, function="TIME_SERIES_DAILY").status_code == 400


def test_news_has_unique_urls_and_a_mix_of_good_and_bad_news(live: Settings) -> None:
    feed = news(live, time_from="20231201T0000", time_to="20240331T0000", limit=1000).json()["feed"]
    assert len({item["url"] for item in feed}) == len(feed)
    analyzer = SentimentIntensityAnalyzer()
    scores = [analyzer.polarity_scores(f"{i['title']}. {i['summary']}")["compound"] for i in feed]
    assert sum(s >= 0.05 for s in scores) > len(feed) / 4
    assert sum(s <= -0.05 for s in scores) > len(feed) / 8
    assert any("recall" in item["title"].lower() for item in feed)


def shape(value: Any) -> Any:
    """The JSON shape of a value: dict keys with their shapes, a list's first element's shape."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return "null" if value is None else type(value).__name__


def test_news_items_carry_the_vendor_sentiment_in_alpha_vantages_shape(live: Settings) -> None:
    recorded = json.loads(ALPHA_VANTAGE_FIXTURE.read_text())
    body = news(live, time_from="20240301T0000", time_to="20240331T0000", limit=1000).json()
    expected_item = shape(recorded["feed"][0])
    assert set(shape(body)) == set(shape(recorded))
    for item in body["feed"]:
        got = shape(item)
        assert set(got) == set(expected_item)
        for key in ("overall_sentiment_score", "overall_sentiment_label", "ticker_sentiment"):
            assert got[key] == expected_item[key], key
        score = item["overall_sentiment_score"]
        assert -1 <= score <= 1 and item["overall_sentiment_label"] in VENDOR_LABELS
        velo = item["ticker_sentiment"][0]
        assert velo["ticker"] == live.news_ticker and 0 < float(velo["relevance_score"]) <= 1
        assert velo["ticker_sentiment_label"] in VENDOR_LABELS
    # the buckets of sentiment_score_definition, at their edges
    labels = {i["overall_sentiment_score"]: i["overall_sentiment_label"] for i in body["feed"]}
    for score, label in labels.items():
        bucket = (
            "Bearish" if score <= -0.35 else "Somewhat-Bearish" if score <= -0.15
            else "Neutral" if score < 0.15 else "Somewhat-Bullish" if score < 0.35 else "Bullish"
        )  # fmt: skip
        assert label == bucket
    # the vendor mostly agrees with the story's tone: recall days lean bearish
    recalls = [i for i in body["feed"] if "recall" in i["title"].lower()]
    others = [i for i in body["feed"] if "recall" not in i["title"].lower()]
    mean = lambda items: sum(i["overall_sentiment_score"] for i in items) / len(items)  # noqa: E731
    assert not recalls or mean(recalls) < mean(others)


def test_two_servers_with_the_same_seed_give_the_same_answers(
    live: Settings, tmp_path: Path
) -> None:
    def answers(settings: Settings) -> list[Any]:
        return [
            fx(settings, "hourly.json", since=unix(datetime(2014, 2, 1)), limit=100).json(),
            fx(settings, "historical/2019-07-14.json").json(),
            news(settings, time_from="20240301T0000", time_to="20240310T0000").json(),
        ]

    with running_apis(make_settings(tmp_path)) as other:
        assert other.fx_api_url != live.fx_api_url
        assert answers(other) == answers(live)
    with running_apis(make_settings(tmp_path, VELO_SEED="7")) as reseeded:
        assert answers(reseeded) != answers(live)


def test_wrong_or_missing_key_is_401(live: Settings) -> None:
    for params in ({"app_id": "wrong"}, {}):
        response = get(f"{live.fx_api_url}/latest.json", **params)
        assert response.status_code == 401
        assert response.json()["message"] == "invalid_app_id" and response.json()["error"] is True
    for params in ({"apikey": "wrong"}, {}):
        response = get(f"{live.news_api_url}/query", function="NEWS_SENTIMENT", **params)
        assert response.status_code == 401
        assert "Invalid API key" in response.json()["Information"]


def sim_clock_db(tmp_path: Path, now: str) -> sa.Engine:
    """An operations DB holding only the simulated clock."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ops.db'}")
    sim_state.metadata.create_all(engine, tables=[sim_state])
    with engine.begin() as conn:
        conn.execute(sa.insert(sim_state).values(key="now", value=now))
    return engine


def test_server_without_a_clock_follows_the_simulated_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `velo sim serve` is given no clock: it re-reads the simulated one (here on every request)
    monkeypatch.setattr(sim_clock, "SIM_CLOCK_REFRESH_SECONDS", 0.0)
    engine = sim_clock_db(tmp_path, "2020-06-01T12:30:00")
    settings = make_settings(tmp_path, VELO_CLOCK="", VELO_OPS_DB_URL=str(engine.url))
    with running_apis(settings) as live:
        assert fx(live, "latest.json").json()["timestamp"] == unix(datetime(2020, 6, 1, 12))
        with engine.begin() as conn:
            conn.execute(sa.update(sim_state).values(value="2020-06-02T08:05:00"))
        assert fx(live, "latest.json").json()["timestamp"] == unix(datetime(2020, 6, 2, 8))
    engine.dispose()


def test_server_given_a_clock_never_answers_past_it(tmp_path: Path) -> None:
    # the entry points resolve the clock once; a later simulated clock must not leak through
    engine = sim_clock_db(tmp_path, "2030-01-01T00:00:00")
    settings = make_settings(tmp_path, VELO_OPS_DB_URL=str(engine.url))
    with running_apis(settings) as live:
        assert fx(live, "latest.json").json()["timestamp"] == unix(
            CLOCK.replace(minute=0, second=0)
        )
        hours = fx(live, "hourly.json", since=unix(CLOCK - timedelta(hours=5)), limit=100).json()
        assert max(row["timestamp"] for row in hours["data"]) <= unix(CLOCK)
        assert fx(live, f"historical/{(CLOCK + timedelta(days=1)).date()}.json").status_code == 404
        feed = news(live, time_to="20300101T0000", limit=1000).json()["feed"]
        assert feed and max(item["time_published"] for item in feed) <= CLOCK.strftime(
            "%Y%m%dT%H%M%S"
        )
    engine.dispose()


def test_server_stops_when_the_block_ends(tmp_path: Path) -> None:
    with running_apis(make_settings(tmp_path)) as live:
        assert fx(live, "latest.json").status_code == 200
    with pytest.raises(httpx.ConnectError):
        fx(live, "latest.json")


def test_real_api_urls_are_left_alone(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        VELO_FX_API_URL="https://openexchangerates.org/api",
        VELO_NEWS_API_URL="https://www.alphavantage.co",
    )
    with running_apis(settings) as same:
        assert same == settings


def test_serving_on_a_busy_port_is_one_clear_error(tmp_path: Path) -> None:
    busy = bound_socket("127.0.0.1", 0)
    try:
        port = busy.getsockname()[1]
        busy.listen()
        with pytest.raises(VeloError, match=f"127.0.0.1:{port}.*choose another --port"):
            serve_forever(make_settings(tmp_path), port=port)
    finally:
        busy.close()


def test_velo_sim_serve_serves_until_interrupted_and_hides_keys_in_its_log(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "VELO_DATA_DIR": str(tmp_path / "data"), "VELO_CLOCK": CLOCK.isoformat()}
    velo = Path(sys.executable).parent / "velo"
    server = subprocess.Popen(
        [velo, "sim", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert get(f"{base}/fx/latest.json", app_id=KEY).json()["base"] == "EUR"
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0
    assert f"Simulated APIs on {base}" in output
    assert "GET /fx/latest.json?app_id=**** " in output and KEY not in output
