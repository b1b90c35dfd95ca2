"""Landing-zone retention: archive, expire, dry run, and files not ingested yet stay put."""

from __future__ import annotations

import gzip
import os
from datetime import datetime
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from velo.cli import app
from velo.ingest import run_ingest
from velo.lifecycle import run_lifecycle
from velo.settings import Settings

NOW = datetime(2024, 6, 30, 12, 0, 0)
LINE = (
    '{"url": "https://news.example/%s", "title": "t", "summary": "s", "source": "x", '
    '"time_published": "2024-01-01T00:00:00", "authors": [], "topics": [], "score": 0.1, '
    '"label": "positive", "scored_at": "2024-01-01T00:00:00"}\n'
)


def put(root: Path, relative: str, text: str, mtime: datetime | None = None) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def put_archived(root: Path, relative: str) -> None:
    """An archived landing file as `velo lifecycle` writes it (ingest reads archives too)."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress((LINE % path.name).encode()))


@pytest.fixture
def landing(settings: Settings) -> tuple[Settings, Path]:
    """A landing zone with young, old and expired files; the sentiment ones already ingested."""
    settings = settings.with_overrides(clock=NOW)
    root = Path(settings.landing_url)
    put(root, "sentiment/dt=2024-06-25/sentiment_20240625T120000Z.jsonl", LINE % "young")
    put(root, "sentiment/dt=2024-05-01/sentiment_20240501T120000Z.jsonl", LINE % "old")
    put(root, "sentiment/dt=2023-01-01/sentiment_20230101T120000Z.jsonl", LINE % "expired")
    put(root, "notifications/msg-old.json", "{}", mtime=datetime(2024, 4, 1))
    put(root, "notifications/msg-new.json", "{}", mtime=datetime(2024, 6, 29))
    put_archived(root, "archive/sentiment/dt=2023-02-01/sentiment_20230201T120000Z.jsonl.gz")
    put_archived(root, "archive/sentiment/dt=2024-02-01/sentiment_20240201T120000Z.jsonl.gz")
    run_ingest(settings, ["sentiment"])
    # delivered after the last ingest: old by its partition date, but not loaded yet
    put(root, "sentiment/dt=2024-04-01/sentiment_20240401T120000Z.jsonl", LINE % "late")
    return settings, root


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_dry_run_lists_actions_and_changes_nothing(landing: tuple[Settings, Path]) -> None:
    settings, root = landing
    before = files(root)
    plan = run_lifecycle(settings, dry_run=True)
    assert files(root) == before
    assert {(step.action, step.path) for step in plan} == {
        ("archive", "sentiment/dt=2024-05-01/sentiment_20240501T120000Z.jsonl"),
        ("expire", "sentiment/dt=2023-01-01/sentiment_20230101T120000Z.jsonl"),
        ("archive", "notifications/msg-old.json"),
        ("expire", "archive/sentiment/dt=2023-02-01/sentiment_20230201T120000Z.jsonl.gz"),
        ("keep", "sentiment/dt=2024-04-01/sentiment_20240401T120000Z.jsonl"),
    }


def test_archives_compressed_expires_and_keeps_unloaded(landing: tuple[Settings, Path]) -> None:
    settings, root = landing
    run_lifecycle(settings)
    assert files(root) == {
        "sentiment/dt=2024-06-25/sentiment_20240625T120000Z.jsonl",
        "sentiment/dt=2024-04-01/sentiment_20240401T120000Z.jsonl",
        "notifications/msg-new.json",
        "archive/sentiment/dt=2024-05-01/sentiment_20240501T120000Z.jsonl.gz",
        "archive/notifications/msg-old.json.gz",
        "archive/sentiment/dt=2024-02-01/sentiment_20240201T120000Z.jsonl.gz",
    }
    archived = root / "archive/sentiment/dt=2024-05-01/sentiment_20240501T120000Z.jsonl.gz"
    assert gzip.decompress(archived.read_bytes()).decode() == LINE % "old"
    # a second run has nothing left to do but keep the unloaded file
    assert [(s.action, s.path) for s in run_lifecycle(settings)] == [
        ("keep", "sentiment/dt=2024-04-01/sentiment_20240401T120000Z.jsonl")
    ]


def test_nothing_ingested_yet_means_no_sentiment_file_is_touched(settings: Settings) -> None:
    settings = settings.with_overrides(clock=NOW)
    root = Path(settings.landing_url)
    put(root, "sentiment/dt=2023-01-01/sentiment_20230101T120000Z.jsonl", LINE % "expired")
    plan = run_lifecycle(settings)
    assert [(s.action, s.reason) for s in plan] == [("keep", "not ingested yet")]
    assert files(root) == {"sentiment/dt=2023-01-01/sentiment_20230101T120000Z.jsonl"}


def test_cli_dry_run(landing: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    _, root = landing
    monkeypatch.setenv("VELO_CLOCK", NOW.isoformat())
    # wide enough that no path wraps, whatever terminal (or none) the test runs in
    monkeypatch.setattr("velo.cli.console", Console(width=200))
    before = files(root)
    result = CliRunner().invoke(app, ["lifecycle", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output
    assert "notifications/msg-old.json" in result.output
    assert files(root) == before
