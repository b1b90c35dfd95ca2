"""The sentiment function against the simulated news API over HTTP, with the local fan-out."""

from __future__ import annotations

import gzip
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import fsspec
import httpx
import pytest
from conftest import CLOCK, WEBHOOK_SECRET_PATH, Webhook

from velo.errors import UsageError, VeloError
from velo.functions import sentiment
from velo.sentiment.model import load_model
from velo.sentiment.scorers import vader
from velo.settings import Settings
from velo.testing.http import serve_fixed_answer
from velo.testing.postgres import free_port

RUN_FILE = "sentiment/dt=2024-03-31/sentiment_20240331T235959Z.jsonl"
RECORD_KEYS = {
    "url", "title", "summary", "source", "time_published", "authors", "topics", "score", "label",
    "scorer", "scorer_version", "scored_at", "vendor_score", "vendor_label", "ticker_sentiment",
    "relevance", "ticker_score",
}  # fmt: skip
ALPHA_VANTAGE_FIXTURE = (
    Path(__file__).parents[1] / "simulator" / "fixtures" / "alpha_vantage_news_sentiment.json"
)


def landing_file(settings: Settings, relative: str) -> Path:
    return Path(settings.landing_url) / relative


def read_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_writes_scored_jsonl_for_the_last_24_hours(live: Settings) -> None:
    result = sentiment.run({}, live)

    assert result["file"] == RUN_FILE
    records = read_records(landing_file(live, RUN_FILE))
    expected = httpx.get(
        f"{live.news_api_url}/query",
        params={"function": "NEWS_SENTIMENT", "apikey": live.news_api_key},
    ).json()["feed"]
    assert {r["url"] for r in records} == {item["url"] for item in expected}
    assert result["item_count"] == len(records) >= 3
    model = load_model()
    for record in records:
        assert set(record) == RECORD_KEYS
        assert (record["scorer"], record["scorer_version"]) == (model.name, model.version)
        prediction = model.predict(f"{record['title']}. {record['summary']}")
        assert (record["score"], record["label"]) == (prediction.score, prediction.label)
        assert -1 <= record["score"] <= 1
        assert -1 <= record["vendor_score"] <= 1 and record["vendor_label"]
        assert 0 < record["relevance"] <= 1 and record["ticker_sentiment"][0]["ticker"] == "VELO"
        published = datetime.fromisoformat(record["time_published"])
        assert CLOCK - timedelta(hours=24) <= published <= CLOCK
        assert record["scored_at"] == CLOCK.isoformat()
        assert record["authors"] and record["topics"]
    mean = sum(r["score"] for r in records) / len(records)
    assert result["mean_score"] == pytest.approx(mean, abs=1e-4)
    assert result["run_time"] == CLOCK.isoformat()


def test_window_hours_backfills_several_days_into_one_file(live: Settings) -> None:
    result = sentiment.run({"window_hours": 72}, live)

    days = {r["time_published"][:10] for r in read_records(landing_file(live, result["file"]))}
    assert days == {f"{CLOCK - timedelta(days=n):%Y-%m-%d}" for n in range(3)}
    assert result["item_count"] > sentiment.run({}, live)["item_count"]


@pytest.mark.parametrize("window", [0, -5, "a day"])
def test_bad_window_is_one_clear_error(live: Settings, window: object) -> None:
    with pytest.raises(UsageError, match="'window_hours' must be a positive number"):
        sentiment.run({"window_hours": window}, live)


def test_notification_reaches_the_archive_and_slack(live: Settings, webhook: Webhook) -> None:
    settings = live.with_overrides(slack_webhook_url=webhook.url)
    result = sentiment.run({}, settings)

    assert result["published"] == "local"
    (archived,) = (Path(settings.landing_url) / "notifications").glob("*.json")
    notification = {k: result[k] for k in ("run_time", "file", "item_count", "mean_score")}
    assert json.loads(archived.read_text()) == notification
    (post,) = webhook.posts
    assert RUN_FILE in post["text"] and f"{result['item_count']} article(s)" in post["text"]


def test_event_now_overrides_the_clock_and_reruns_rewrite_the_same_file(live: Settings) -> None:
    event = {"now": "2024-02-01T10:00:00+02:00"}
    first = sentiment.run(event, live)
    written = landing_file(live, first["file"])
    modified = written.stat().st_mtime_ns
    second = sentiment.run(event, live)

    assert first == second
    assert first["file"] == "sentiment/dt=2024-02-01/sentiment_20240201T080000Z.jsonl"
    # an identical rewrite leaves the file untouched: the incremental loader sees nothing new
    assert written.stat().st_mtime_ns == modified
    written.write_text(written.read_text().replace('"score"', '"score" ', 1))
    sentiment.run(event, live)  # different bytes: rewritten
    assert written.stat().st_mtime_ns != modified
    assert [line for line in written.read_text().splitlines() if '"score" ' in line] == []
    assert [p.name for p in landing_file(live, "sentiment").rglob("*.jsonl")] == [
        "sentiment_20240201T080000Z.jsonl"
    ]
    with pytest.raises(VeloError, match="event 'now' is not an ISO datetime"):
        sentiment.run({"now": "yesterday"}, live)


def test_landing_zone_can_be_any_fsspec_filesystem(live: Settings) -> None:
    bucket = f"velo-test-{uuid.uuid4().hex[:8]}"
    settings = live.with_overrides(landing_url=f"memory://{bucket}/landing")
    memory = fsspec.filesystem("memory")
    try:
        result = sentiment.run({}, settings)
        lines = memory.cat_file(f"/{bucket}/landing/{result['file']}").decode().splitlines()
        assert len(lines) == result["item_count"]
        assert len(memory.glob(f"/{bucket}/landing/notifications/*.json")) == 1
        assert not memory.glob(f"/{bucket}/**/*.partial")
    finally:
        memory.rm(f"/{bucket}", recursive=True)
    assert not (Path(live.data_dir) / "landing" / "sentiment").exists()


def test_news_api_down_is_one_clear_error_after_bounded_retries(live: Settings) -> None:
    settings = live.with_overrides(
        news_api_url=f"http://127.0.0.1:{free_port()}/news", news_api_key="do-not-print-me"
    )
    with pytest.raises(VeloError) as caught:
        sentiment.run({}, settings, base_delay=0.001)
    message = str(caught.value)
    assert settings.news_api_url + "/query" in message
    assert f"{sentiment.ATTEMPTS} times" in message and "could not be reached" in message
    assert "do-not-print-me" not in message
    assert not (Path(settings.landing_url) / "sentiment").exists()


@pytest.fixture
def failing_news() -> Iterator[tuple[str, list[str]]]:
    """A news API that always answers HTTP 503; yields its base URL and the requests it got."""
    with serve_fixed_answer(503) as (url, requests):
        yield f"{url}/news", requests


def test_5xx_is_retried_a_bounded_number_of_times(
    live: Settings, failing_news: tuple[str, list[str]]
) -> None:
    url, requests = failing_news
    with pytest.raises(VeloError, match=r"answered HTTP 503 4 times"):
        sentiment.run({}, live.with_overrides(news_api_url=url), base_delay=0.001)
    assert len(requests) == sentiment.ATTEMPTS


def test_wrong_key_is_not_retried_and_not_printed(live: Settings) -> None:
    settings = live.with_overrides(news_api_key="wrong-secret-key")
    with pytest.raises(VeloError, match="HTTP 401: check the news_api_key setting") as caught:
        sentiment.run({}, settings, base_delay=0.001)
    assert "wrong-secret-key" not in str(caught.value)


def test_secrets_never_reach_the_logs(
    live: Settings, webhook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    webhook.fails_when = lambda payload: True  # the error path logs too
    caplog.set_level(logging.DEBUG)
    sentiment.run({}, live.with_overrides(slack_webhook_url=webhook.url))
    assert "not posted: answered HTTP 500" in caplog.text
    assert live.news_api_key not in caplog.text
    assert WEBHOOK_SECRET_PATH not in caplog.text


def test_vader_stays_selectable_and_labels_its_scores(live: Settings) -> None:
    result = sentiment.run({}, live.with_overrides(sentiment_scorer="vader"))

    baseline = vader()
    for record in read_records(landing_file(live, result["file"])):
        assert (record["scorer"], record["scorer_version"]) == ("vader", baseline.version)
        text = f"{record['title']}. {record['summary']}"
        assert record["score"] == baseline.analyzer.polarity_scores(text)["compound"]
        expected_label = (
            "positive" if record["score"] >= 0.05
            else "negative" if record["score"] <= -0.05
            else "neutral"
        )  # fmt: skip
        assert record["label"] == expected_label


def test_a_scorer_change_rescores_the_landing_history_once(live: Settings) -> None:
    old = live.with_overrides(sentiment_scorer="vader")
    for day in (3, 2):
        sentiment.run({"now": f"{CLOCK - timedelta(days=day):%Y-%m-%dT%H:%M:%S}"}, old)
    history = {
        r["url"] for p in landing_file(live, "sentiment").rglob("*.jsonl") for r in read_records(p)
    }
    # one older file already archived by the lifecycle (gzip) is re-scored too
    archived = next(landing_file(live, "sentiment").rglob("*.jsonl"))
    target = landing_file(live, f"archive/{archived.relative_to(landing_file(live, ''))}.gz")
    target.parent.mkdir(parents=True)
    target.write_bytes(gzip.compress(archived.read_bytes()))
    archived.unlink()

    result = sentiment.run({}, live)  # the finance model now

    model = load_model()
    assert result["rescored_count"] == len(history)
    (rescored,) = landing_file(live, "sentiment").rglob("rescored_*.jsonl")
    records = read_records(rescored)
    assert {r["url"] for r in records} == history
    for record in records:
        assert (record["scorer"], record["scorer_version"]) == (model.name, model.version)
        assert record["scored_at"] == CLOCK.isoformat()
        assert record["score"] == model.predict(f"{record['title']}. {record['summary']}").score
    marker = json.loads(landing_file(live, sentiment.SCORER_MARKER).read_text())
    assert marker == {"scorer": model.name, "scorer_version": model.version}
    assert sentiment.run({}, live)["rescored_count"] == 0  # same scorer: nothing to redo


def test_vendor_scores_are_kept_as_alpha_vantage_sends_them() -> None:
    feed = json.loads(ALPHA_VANTAGE_FIXTURE.read_text())["feed"]
    first, second = sentiment.score_items(feed, load_model(), "AAPL", scored_at=CLOCK)

    assert first["vendor_score"] == 0.243611 and first["vendor_label"] == "Somewhat-Bullish"
    assert (first["relevance"], first["ticker_score"]) == (0.861279, 0.312874)
    assert first["ticker_sentiment"] == feed[0]["ticker_sentiment"]
    assert second["vendor_score"] == -0.382144
    assert second["relevance"] is None and second["ticker_score"] is None  # AAPL not listed
