"""The sentiment function: the last 24 h of news -> scores -> one JSONL file -> notify.

Reads the news API (Alpha Vantage NEWS_SENTIMENT style; base URL and key from settings), scores
title + ". " + summary of each item with the scorer the ``sentiment_scorer`` setting names (the
trained finance model by default, VADER as the baseline), writes
``sentiment/dt=YYYY-MM-DD/sentiment_<YYYYMMDDTHHMMSSZ>.jsonl`` into the landing zone (run time
``now`` names it, so a rerun for the same time rewrites the same file, or leaves it untouched
when identical), then publishes {run_time, file, item_count, mean_score} to the notification
consumers.

Every record carries its scorer and version next to the vendor's own score (Alpha Vantage's
overall and per-ticker sentiment, and the company's relevance). When the scorer or its version
changes, the whole history still in the landing zone (archive included) is re-scored into one
``rescored_<time>.jsonl`` file, so the daily sentiment never mixes two scorers: the marker file
``sentiment_scorer.json`` (rewritten every run) says which scorer the history carries.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from velo import clock
from velo.errors import UsageError, VeloError
from velo.functions import settings_for_lambda
from velo.functions.local import publish
from velo.landing import landing_fs, write_text
from velo.sentiment.scorers import Scorer, scorer_for
from velo.settings import Settings, served_api_url

log = logging.getLogger(__name__)

DEFAULT_WINDOW_HOURS = 24
NEWS_TIME_FORMAT = "%Y%m%dT%H%M"  # what the API takes for time_from / time_to
PUBLISHED_FORMAT = "%Y%m%dT%H%M%S"  # what it answers in time_published
NEWS_LIMIT = 1000  # the API's maximum; a day has far fewer items
ATTEMPTS = 4
BASE_DELAY_SECONDS = 0.5  # then 1 s, 2 s: at most 3.5 s of waiting
TIMEOUT_SECONDS = 15.0
SCORER_MARKER = "sentiment_scorer.json"
HISTORY_GLOBS = ("sentiment/**/*.jsonl", "archive/sentiment/**/*.jsonl.gz")


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
    scorer = scorer_for(settings.sentiment_scorer)
    items = fetch_news(settings, now - window, now, base_delay=base_delay)
    records = score_items(items, scorer, settings.news_ticker, scored_at=now)
    rescored = rescore_history_if_scorer_changed(settings, scorer, now)
    relative_path = f"sentiment/dt={now:%Y-%m-%d}/sentiment_{now:%Y%m%dT%H%M%SZ}.jsonl"
    write_text(settings, relative_path, jsonl(records))
    write_text(settings, SCORER_MARKER, json.dumps(scorer_marker(scorer)))
    scores = [record["score"] for record in records]
    notification = {
        "run_time": now.isoformat(),
        "file": relative_path,
        "item_count": len(records),
        "mean_score": round(sum(scores) / len(scores), 4) if scores else None,
    }
    log.info("scored %d news items into %s", len(records), relative_path)
    return {
        **notification,
        **scorer_marker(scorer),
        "rescored_count": rescored,
        "published": publish(notification, settings),
    }


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


def jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def score_items(
    items: list[dict[str, Any]], scorer: Scorer, ticker: str, scored_at: datetime
) -> list[dict[str, Any]]:
    """One landing record per distinct url; items without url, title or time are skipped."""
    records: dict[str, dict[str, Any]] = {}
    skipped = 0
    for item in items:
        try:
            record = score_item(item, scorer, ticker, scored_at)
        except (KeyError, TypeError, ValueError):
            skipped += 1
            continue
        records.setdefault(record["url"], record)
    if skipped:
        log.warning("skipped %d news item(s) without url, title or time_published", skipped)
    return list(records.values())


def score_item(
    item: dict[str, Any], scorer: Scorer, ticker: str, scored_at: datetime
) -> dict[str, Any]:
    url, title = item["url"], item["title"]
    if not url or not title:
        raise ValueError("url and title are required")
    summary = item.get("summary") or ""
    record = {
        "url": url,
        "title": title,
        "summary": summary,
        "source": item.get("source"),
        "time_published": datetime.strptime(item["time_published"], PUBLISHED_FORMAT).isoformat(),
        "authors": [str(author) for author in item.get("authors") or []],
        "topics": [str(topic["topic"]) for topic in item.get("topics") or []],
        **vendor_fields(item, ticker),
    }
    return {**record, **scored(record, scorer, scored_at)}


def scored(record: dict[str, Any], scorer: Scorer, scored_at: datetime) -> dict[str, Any]:
    """Our score of a record's title + summary, labelled with the scorer that made it."""
    prediction = scorer.predict(f"{record['title']}. {record.get('summary') or ''}")
    return {
        "score": prediction.score,
        "label": prediction.label,
        "scorer": scorer.name,
        "scorer_version": scorer.version,
        "scored_at": scored_at.isoformat(),
    }


def number_or_none(value: Any) -> float | None:
    """Alpha Vantage sends some numbers as strings; anything else unusable is None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -1e9 < number < 1e9 else None


def vendor_fields(item: dict[str, Any], ticker: str) -> dict[str, Any]:
    """The vendor's own sentiment, kept as sent, and the company's entry picked out of it."""
    tickers = item.get("ticker_sentiment")
    tickers = (
        [entry for entry in tickers if isinstance(entry, dict)] if isinstance(tickers, list) else []
    )
    ours = next((entry for entry in tickers if entry.get("ticker") == ticker), {})
    return {
        "vendor_score": number_or_none(item.get("overall_sentiment_score")),
        "vendor_label": item.get("overall_sentiment_label"),
        "ticker_sentiment": tickers,
        "relevance": number_or_none(ours.get("relevance_score")),
        "ticker_score": number_or_none(ours.get("ticker_sentiment_score")),
    }


def scorer_marker(scorer: Scorer) -> dict[str, str]:
    return {"scorer": scorer.name, "scorer_version": scorer.version}


def rescore_history_if_scorer_changed(settings: Settings, scorer: Scorer, now: datetime) -> int:
    """Re-score every article still in the landing zone when the marker names another scorer.

    The rescored records go to one new file (the original files stay as they were); ingestion
    merges on url keeping the latest ``scored_at``, so they replace the old scores. Returns
    how many articles were re-scored.
    """
    fs, root = landing_fs(settings)
    marker = f"{root}/{SCORER_MARKER}"
    if fs.exists(marker) and json.loads(fs.cat_file(marker)) == scorer_marker(scorer):
        return 0
    latest: dict[str, dict[str, Any]] = {}
    for record in history_records(settings):
        known = latest.get(record["url"])
        if known is None or str(record.get("scored_at")) >= str(known.get("scored_at")):
            latest[record["url"]] = record
    if not latest:
        return 0
    records = [{**record, **scored(record, scorer, now)} for record in latest.values()]
    path = f"sentiment/dt={now:%Y-%m-%d}/rescored_{now:%Y%m%dT%H%M%SZ}.jsonl"
    write_text(settings, path, jsonl(records))
    log.warning(
        "sentiment scorer is now %s %s: re-scored %d article(s) of the landing history into %s",
        scorer.name, scorer.version, len(records), path,
    )  # fmt: skip
    return len(records)


def history_records(settings: Settings) -> Iterator[dict[str, Any]]:
    """Every readable record of the landing zone's sentiment files, archived ones included.

    Lines that are not records are left to ingestion, which quarantines them.
    """
    fs, root = landing_fs(settings)
    for pattern in HISTORY_GLOBS:
        for path in sorted(fs.glob(f"{root}/{pattern}")):
            data = fs.cat_file(path)
            if path.endswith(".gz"):
                data = gzip.decompress(data)
            for line in data.splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and record.get("url") and record.get("title"):
                    yield record
