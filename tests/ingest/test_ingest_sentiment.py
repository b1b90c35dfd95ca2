"""The sentiment pipeline over the landing zone: incremental files, merge on url, quarantine."""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import raw_query

from velo.ingest import run_ingest
from velo.settings import Settings


def article(n: int, score: float = 0.5, label: str = "positive") -> dict[str, Any]:
    return {
        "url": f"https://news.example/{n}",
        "title": f"Headline {n}",
        "summary": "Bicycles sell well.",
        "source": "Example News",
        "time_published": f"2024-03-30T0{n % 10}:00:00",
        "authors": ["A. Writer", "B. Editor"],
        "topics": ["Retail"],
        "score": score,
        "label": label,
        "scored_at": "2024-03-30T12:00:00",
    }


def write_jsonl(settings: Settings, relative: str, lines: list[Any]) -> Path:
    path = Path(settings.landing_url) / "sentiment" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n")
    return path


def ingest_sentiment(settings: Settings):
    (report,) = run_ingest(settings, ["sentiment"])
    return report


def test_files_load_incrementally_and_merge_on_url(settings: Settings) -> None:
    first_file = write_jsonl(
        settings,
        "dt=2024-03-30/sentiment_20240330T120000Z.jsonl",
        [article(1), article(2), article(3)],
    )
    report = ingest_sentiment(settings)
    assert report.rows_read == {"sentiment": 3}
    rows = raw_query(
        settings,
        "select url, authors, label, _source_file, time_published from raw.sentiment order by url",
    )
    assert rows[0][:4] == (
        "https://news.example/1",
        "A. Writer, B. Editor",
        "positive",
        "sentiment/dt=2024-03-30/sentiment_20240330T120000Z.jsonl",
    )
    assert str(rows[0][4]) == "2024-03-30 01:00:00"

    assert ingest_sentiment(settings).rows_read == {"sentiment": 0}

    # a later file repeats two articles (one rescored) and brings one new
    write_jsonl(
        settings,
        "dt=2024-03-31/sentiment_20240331T120000Z.jsonl",
        [article(2, score=-0.7, label="negative"), article(3), article(4)],
    )
    assert ingest_sentiment(settings).rows_read == {"sentiment": 3}
    # and the first file is delivered again
    first_file.write_text(first_file.read_text())
    assert ingest_sentiment(settings).rows_read == {"sentiment": 3}

    assert raw_query(settings, "select count(*), count(distinct url) from raw.sentiment") == [
        (4, 4)
    ]
    assert raw_query(
        settings, "select score, label from raw.sentiment where url = 'https://news.example/4'"
    ) == [(0.5, "positive")]
    assert raw_query(settings, "select count(*) from raw.sentiment where _loaded_at is null") == [
        (0,)
    ]


def test_malformed_lines_are_quarantined_and_good_lines_load(settings: Settings) -> None:
    write_jsonl(
        settings,
        "dt=2024-03-30/sentiment_20240330T130000Z.jsonl",
        [
            article(1),
            '{"url": "https://news.example/broken", "title": ',
            {**article(2), "url": None},
            article(3),
            {**article(4), "label": "ecstatic"},
            "[1, 2]",
        ],
    )
    report = ingest_sentiment(settings)
    assert report.quarantined == 4
    assert report.rows_read == {"sentiment": 2}
    urls = raw_query(settings, "select url from raw.sentiment order by url")
    assert urls == [("https://news.example/1",), ("https://news.example/3",)]

    quarantine = Path(settings.landing_url) / "quarantine" / "sentiment"
    entries = sorted(
        (json.loads(p.read_text()) for p in quarantine.rglob("*.json")), key=lambda e: e["line"]
    )
    assert [(e["line"], e["file"]) for e in entries] == [
        (line, "sentiment/dt=2024-03-30/sentiment_20240330T130000Z.jsonl") for line in (2, 3, 5, 6)
    ]
    reasons = [e["reason"] for e in entries]
    assert reasons[0].startswith("not JSON")
    assert reasons[1] == "missing 'url'"
    assert reasons[2].startswith("'label' is not one of")
    assert reasons[3] == "not a JSON object but list"
    assert entries[0]["raw"] == '{"url": "https://news.example/broken", "title": '


def test_utc_offsets_are_converted_and_a_rescored_copy_wins_in_one_load(settings: Settings) -> None:
    late_evening = {**article(1), "time_published": "2024-03-30T23:30:00-05:00"}
    write_jsonl(settings, "dt=2024-03-30/sentiment_20240330T230000Z.jsonl", [late_evening])
    rescored = {
        **late_evening, "score": -0.4, "label": "negative", "scorer": "velo-finance",
        "scorer_version": "1.test", "scored_at": "2024-04-02T00:00:00Z",
    }  # fmt: skip
    write_jsonl(settings, "dt=2024-04-02/rescored_20240402T000000Z.jsonl", [rescored])

    assert ingest_sentiment(settings).rows_read == {"sentiment": 2}
    assert raw_query(
        settings,
        "select time_published, score, scorer, scorer_version, scored_at from raw.sentiment",
    ) == [
        (
            datetime(2024, 3, 31, 4, 30),  # 23:30 at UTC-5 is 04:30 UTC the next day
            -0.4,
            "velo-finance",
            "1.test",
            datetime(2024, 4, 2),
        )
    ]


def test_invalid_utf8_is_quarantined_without_losing_a_byte(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_jsonl(settings, "dt=2024-03-30/sentiment_20240330T140000Z.jsonl", [article(1)])
    bad = json.dumps(article(2)).encode().replace(b"Headline 2", b"Headline \xff\xfe 2")
    path.write_bytes(path.read_bytes() + bad + b"\n" + json.dumps(article(3)).encode() + b"\n")

    with caplog.at_level(logging.WARNING, logger="velo.ingest.sentiment"):
        report = ingest_sentiment(settings)

    assert report.quarantined == 1 and report.rows_read == {"sentiment": 2}
    (entry_file,) = (Path(settings.landing_url) / "quarantine" / "sentiment").rglob("*.json")
    entry = json.loads(entry_file.read_text())
    assert entry["line"] == 2 and entry["reason"].startswith("not valid UTF-8")
    assert base64.b64decode(entry["raw_base64"]) == bad
    (line,) = [r.getMessage() for r in caplog.records if "quarantined" in r.getMessage()]
    assert "sentiment_20240330T140000Z.jsonl line 2" in line and "fix or remove" in line
