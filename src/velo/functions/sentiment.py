"""The sentiment function: the last 24 h of news -> VADER scores -> one JSONL file -> notify.

Reads the news API (Alpha Vantage NEWS_SENTIMENT style; base URL and key from settings), scores
title + ". " + summary of each item with VADER, writes
``sentiment/dt=YYYY-MM-DD/sentiment_<YYYYMMDDTHHMMSSZ>.jsonl`` into the landing zone (run time
``now`` names it, so a rerun for the same time rewrites the same file), then publishes
{run_time, file, item_count, mean_score} to the notification consumers.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import httpx

from velo import clock
from velo.errors import UsageError, VeloError
from velo.functions import label_for, settings_for_lambda
from velo.functions.local import publish
from velo.landing import write_text
from velo.settings import Settings, served_api_url

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

log = logging.getLogger(__name__)

DEFAULT_WINDOW_HOURS = 24
NEWS_TIME_FORMAT = "%Y%m%dT%H%M"  # what the API takes for time_from / time_to
PUBLISHED_FORMAT = "%Y%m%dT%H%M%S"  # what it answers in time_published
NEWS_LIMIT = 1000  # the API's maximum; a day has far fewer items
ATTEMPTS = 4
BASE_DELAY_SECONDS = 0.5  # then 1 s, 2 s: at most 3.5 s of waiting
TIMEOUT_SECONDS = 15.0


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point."""
    return run(event, settings_for_lambda())


def run(
    event: dict[str, Any], settings: Settings, *, base_delay: float = BASE_DELAY_SECONDS
) -> dict[str, Any]:
    """Score the news of the window before the run time into one landing file.

    The event may set "now" (else the platform clock) and "window_hours" (default 24; a first
    run backfills a longer window so the daily sentiment has a history from day one).
    """
    now = run_time(event, settings)
    window = window_of(event)
    items = fetch_news(settings, now - window, now, base_delay=base_delay)
    records = score_items(items, scored_at=now)
    relative_path = f"sentiment/dt={now:%Y-%m-%d}/sentiment_{now:%Y%m%dT%H%M%SZ}.jsonl"
    write_text(settings, relative_path, "".join(json.dumps(r) + "\n" for r in records))
    scores = [record["score"] for record in records]
    notification = {
        "run_time": now.isoformat(),
        "file": relative_path,
        "item_count": len(records),
        "mean_score": round(sum(scores) / len(scores), 4) if scores else None,
    }
    log.info("scored %d news items into %s", len(records), relative_path)
    return {**notification, "published": publish(notification, settings)}


def run_time(event: dict[str, Any], settings: Settings) -> datetime:
    value = event.get("now")
    if value is None:
        return clock.now(settings).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"sentiment: event 'now' is not an ISO datetime: {value!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def window_of(event: dict[str, Any]) -> timedelta:
    value = event.get("window_hours", DEFAULT_WINDOW_HOURS)
    try:
        hours = float(value)
    except (TypeError, ValueError):
        hours = 0
    if hours <= 0:
        raise UsageError(f"sentiment: event 'window_hours' must be a positive number: {value!r}")
    return timedelta(hours=hours)


def fetch_news(
    settings: Settings, start: datetime, end: datetime, *, base_delay: float = BASE_DELAY_SECONDS
) -> list[dict[str, Any]]:
    """The news API's feed for [start, end]; 5xx/timeouts retried with exponential backoff.

    Errors name the URL without its query string, which carries the API key.
    """
    url = f"{served_api_url(settings, 'news_api_url').rstrip('/')}/query"
    params = {
        "function": "NEWS_SENTIMENT",
        "apikey": settings.news_api_key,
        "time_from": start.strftime(NEWS_TIME_FORMAT),
        "time_to": end.strftime(NEWS_TIME_FORMAT),
        "limit": NEWS_LIMIT,
        "sort": "EARLIEST",
    }
    with httpx.Client(timeout=TIMEOUT_SECONDS) as client:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = client.get(url, params=params)
                if response.status_code < 500:
                    break
                problem = f"answered HTTP {response.status_code}"
            except httpx.TimeoutException:
                problem = "timed out"
            except httpx.TransportError as exc:
                problem = f"could not be reached ({type(exc).__name__})"
            if attempt < ATTEMPTS:
                log.warning("news API %s %s (attempt %d), retrying", url, problem, attempt)
                time.sleep(base_delay * 2 ** (attempt - 1))
        else:
            raise VeloError(f"news API GET {url} {problem} {ATTEMPTS} times; is it up?")
    return feed_of(response, url, settings.news_api_key)


def feed_of(response: httpx.Response, url: str, key: str) -> list[dict[str, Any]]:
    status = response.status_code
    if status in (401, 403):
        raise VeloError(
            f"news API GET {url} answered HTTP {status}: check the news_api_key setting"
        )
    if status >= 400:
        raise VeloError(f"news API GET {url} answered HTTP {status}")
    try:
        body = response.json()
    except ValueError:
        raise VeloError(f"news API GET {url} did not answer JSON") from None
    feed = body.get("feed") if isinstance(body, dict) else None
    if not isinstance(feed, list):
        # Alpha Vantage answers 200 with a note (rate limit, bad call) instead of a feed.
        note = "not a JSON object"
        if isinstance(body, dict):
            note = str(body.get("Information") or body.get("Error Message") or "no note")
        if key:
            note = note.replace(key, "****")
        raise VeloError(f"news API GET {url} answered without a feed: {note[:200]}")
    return feed


@cache
def analyzer() -> SentimentIntensityAnalyzer:
    """One analyzer per process: loading VADER's lexicon is the slow part."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score_items(items: list[dict[str, Any]], scored_at: datetime) -> list[dict[str, Any]]:
    """One landing record per distinct url; items without url, title or time are skipped."""
    records: dict[str, dict[str, Any]] = {}
    skipped = 0
    for item in items:
        try:
            record = score_item(item, scored_at)
        except (KeyError, TypeError, ValueError):
            skipped += 1
            continue
        records.setdefault(record["url"], record)
    if skipped:
        log.warning("skipped %d news item(s) without url, title or time_published", skipped)
    return list(records.values())


def score_item(item: dict[str, Any], scored_at: datetime) -> dict[str, Any]:
    url, title = item["url"], item["title"]
    if not url or not title:
        raise ValueError("url and title are required")
    summary = item.get("summary") or ""
    score = analyzer().polarity_scores(f"{title}. {summary}")["compound"]
    return {
        "url": url,
        "title": title,
        "summary": summary,
        "source": item.get("source"),
        "time_published": datetime.strptime(item["time_published"], PUBLISHED_FORMAT).isoformat(),
        "authors": [str(author) for author in item.get("authors") or []],
        "topics": [str(topic["topic"]) for topic in item.get("topics") or []],
        "score": score,
        "label": label_for(score),
        "scored_at": scored_at.isoformat(),
    }
