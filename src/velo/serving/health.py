"""Data health over time, written by publish next to the current state (``marts.data_health``).

- ``marts.data_health_history``: one row per source per publish over the last 30 days — when it
  was checked (wall clock, like ``_loaded_at``), the newest load, that load's rows and its age.
  The history lives in ``state_dir/health/history.jsonl`` and every publish copies it into the
  serving DB. A file of our own, because the warehouse does not remember it: raw tables keep
  only the rows that survived later merges, dlt's ``_dlt_loads`` has no row counts, and a full
  refresh or a rebuilt warehouse starts both over. Ingestion stamps one ``_loaded_at`` per run,
  so each distinct ``last_loaded_at`` of a source is one run and ``rows_last_load`` its rows.
- ``marts.dbt_test_issues``: the last dbt build's failing and warning tests with their counts of
  failing rows, from dbt's run_results.json.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from velo.serving.publish import MARTS_SCHEMA
from velo.settings import Settings
from velo.warehouse.run_results import failing_tests, last_build

HISTORY_DAYS = 30
HISTORY_TABLE = f"{MARTS_SCHEMA}.data_health_history"
TEST_ISSUES_TABLE = f"{MARTS_SCHEMA}.dbt_test_issues"


@dataclass(frozen=True)
class HealthRecord:
    """One source as one publish saw it (the columns of marts.data_health_history)."""

    checked_at: datetime
    published_at: datetime
    source: str
    last_loaded_at: datetime | None
    rows_last_load: int
    total_rows: int
    warn_after_hours: float
    age_hours: float | None
    status: str

    def as_json(self) -> str:
        return json.dumps(asdict(self), default=datetime.isoformat)

    @classmethod
    def from_json(cls, line: str) -> HealthRecord:
        raw = json.loads(line)
        for name in ("checked_at", "published_at", "last_loaded_at"):
            raw[name] = datetime.fromisoformat(raw[name]) if raw[name] else None
        return cls(**raw)


COLUMNS = (
    "checked_at TIMESTAMP, published_at TIMESTAMP, source VARCHAR, last_loaded_at TIMESTAMP, "
    "rows_last_load BIGINT, total_rows BIGINT, warn_after_hours DOUBLE, age_hours DOUBLE, "
    "status VARCHAR"
)


def history_path(settings: Settings) -> Path:
    return Path(settings.state_dir) / "health" / "history.jsonl"


def write_health(
    con: duckdb.DuckDBPyConnection, settings: Settings, checked_at: datetime, published_at: datetime
) -> None:
    """Publish's data-health step after marts.data_health: extend and copy the history, then the
    last dbt build's test issues (``con`` uses the new serving file)."""
    current = current_records(con, checked_at, published_at)
    history = save_history(settings, current, checked_at)
    con.execute(f"CREATE TABLE {HISTORY_TABLE} ({COLUMNS})")
    insert_rows(con, HISTORY_TABLE, [tuple(asdict(record).values()) for record in history])
    write_test_issues(con, last_build(settings))


def current_records(
    con: duckdb.DuckDBPyConnection, checked_at: datetime, published_at: datetime
) -> list[HealthRecord]:
    rows = con.execute(
        f"SELECT source, last_loaded_at, rows_last_load, total_rows, warn_after_hours, "
        f"age_hours, status FROM {MARTS_SCHEMA}.data_health ORDER BY source"
    ).fetchall()
    return [HealthRecord(checked_at, published_at, *row) for row in rows]


def load_history(path: Path) -> list[HealthRecord]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(HealthRecord.from_json(line))
        except (ValueError, TypeError, KeyError):
            continue  # a line torn by a crash mid-write: the history is advisory, keep the rest
    return records


def save_history(
    settings: Settings, new: list[HealthRecord], checked_at: datetime
) -> list[HealthRecord]:
    """Append ``new`` and keep the last HISTORY_DAYS (rewritten whole, then renamed: a crash
    leaves the old file); returns what was kept, oldest first."""
    path = history_path(settings)
    since = checked_at - timedelta(days=HISTORY_DAYS)
    kept = [r for r in load_history(path) if r.checked_at >= since] + new
    kept.sort(key=lambda record: (record.checked_at, record.source))
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text("".join(f"{record.as_json()}\n" for record in kept))
    os.replace(temp, path)
    return kept


def write_test_issues(con: duckdb.DuckDBPyConnection, results: dict[str, Any] | None) -> None:
    """The last dbt build's failing and warning tests (none listed when it is unknown:
    marts.dbt_build then shows no row)."""
    con.execute(
        f"CREATE TABLE {TEST_ISSUES_TABLE} (test VARCHAR, status VARCHAR, failures BIGINT, "
        "message VARCHAR)"
    )
    if results is not None:
        insert_rows(con, TEST_ISSUES_TABLE, failing_tests(results))


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    if rows:  # DuckDB's executemany refuses an empty list
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
