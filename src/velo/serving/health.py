"""Data health, written by publish into the serving DB next to the marts.

- ``marts.data_health``: per source, its newest load, that load's rows, all rows (from
  ``_loaded_at``) and whether it is fresh — its newest data time against the platform clock, as
  dbt's sources declare it (:mod:`velo.warehouse.freshness`, shared with `velo freshness` and
  Dagster's checks) — measured on the warehouse's raw tables.
- ``marts.dbt_build``: the last dbt build's outcome (models and tests passed, warned, failed).
- ``marts.data_health_history``: one row per source per publish over the last 30 days — when it
  was checked (wall clock, like ``_loaded_at``), the newest load, that load's rows, and the age
  of the newest data with its status at that publish.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from velo.serving.warehouse_read import MARTS_SCHEMA, WarehouseReader, relations, tables_with_column
from velo.settings import Settings
from velo.warehouse.freshness import NEVER_LOADED, Freshness, FreshnessRule, judge, worst
from velo.warehouse.run_results import failing_tests, last_build, summary

HISTORY_DAYS = 30
# Source -> its raw tables, whose ``_loaded_at`` count the loads.
SOURCE_RAW_TABLES: dict[str, tuple[str, ...] | None] = {
    "operations": None,  # every raw table except the two below
    "fx": ("fx_rates",),
    "sentiment": ("sentiment",),
}
HISTORY_TABLE = f"{MARTS_SCHEMA}.data_health_history"
TEST_ISSUES_TABLE = f"{MARTS_SCHEMA}.dbt_test_issues"
# What write_dbt_build writes: the hourly FX refresh keeps the daily build's (a subset build
# would hide the warnings of the build that made the other marts).
BUILD_TABLES = ("dbt_build", "dbt_test_issues")


@dataclass(frozen=True)
class HealthRecord:
    """One source as one publish saw it (the columns of marts.data_health_history)."""

    checked_at: datetime
    published_at: datetime
    source: str
    last_loaded_at: datetime | None
    rows_last_load: int
    total_rows: int
    warn_after_hours: float | None  # None: the source declares no freshness
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
    """Publish's data-health step after marts.data_health: extend and copy the history (``con``
    uses the new serving file)."""
    current = current_records(con, checked_at, published_at)
    history = save_history(settings, current, checked_at)
    con.execute(f"CREATE TABLE {HISTORY_TABLE} ({COLUMNS})")
    insert_rows(con, HISTORY_TABLE, [tuple(asdict(record).values()) for record in history])


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


def write_data_health(
    reader: WarehouseReader, rules: tuple[FreshnessRule, ...], now: datetime
) -> None:
    """Per source: last load time, rows of the last load, total rows, freshness status.

    Loads are counted by ``_loaded_at`` (ingestion stamps it, wall clock); freshness is each
    rule's newest data time against ``now``, the platform clock publish runs on."""
    raw_tables = relations(reader, "raw")
    stamped = tables_with_column(reader, "raw", "_loaded_at")
    dedicated = {t for tables in SOURCE_RAW_TABLES.values() if tables for t in tables}
    rows = []
    for source, tables in SOURCE_RAW_TABLES.items():
        names = sorted(
            (set(tables) if tables else raw_tables - dedicated - {"_dlt_loads"}) & raw_tables
        )
        names = [n for n in names if not n.startswith("_dlt") and n in stamped]
        verdicts = [
            freshness_of(reader, rule, raw_tables, now) for rule in rules if rule.source == source
        ]
        rows.append(source_health(reader, source, names, verdicts))
    con = reader.serving
    con.execute(
        f"CREATE TABLE {MARTS_SCHEMA}.data_health (source VARCHAR, tables INTEGER, "
        "last_loaded_at TIMESTAMP, rows_last_load BIGINT, total_rows BIGINT, "
        "warn_after_hours DOUBLE, age_hours DOUBLE, status VARCHAR)"
    )
    con.executemany(f"INSERT INTO {MARTS_SCHEMA}.data_health VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def freshness_of(
    reader: WarehouseReader, rule: FreshnessRule, raw_tables: set[str], now: datetime
) -> Freshness:
    if rule.table not in raw_tables:
        return judge(rule, None, now)
    ((newest,),) = reader.rows(rule.newest_sql(reader.table_ref(rule.schema, rule.table)))
    return judge(rule, newest, now)


def source_health(
    reader: WarehouseReader, source: str, tables: list[str], verdicts: list[Freshness]
) -> tuple[Any, ...]:
    """One data_health row; a source whose dbt sources declare no freshness has no status."""
    shown = worst(verdicts) if verdicts else None
    warn_hours = None if shown is None else shown.warn_after_hours
    age = None if shown is None else shown.age_hours
    status = "no freshness declared" if shown is None else shown.status
    if not tables:
        return (source, 0, None, 0, 0, warn_hours, age, NEVER_LOADED)
    union = " UNION ALL ".join(
        f"SELECT _loaded_at FROM {reader.table_ref('raw', t)}" for t in tables
    )
    # One statement every warehouse accepts: newest load, all rows, rows of the newest load.
    ((last, total, last_rows),) = reader.rows(
        f"WITH loads AS ({union}), newest AS (SELECT max(_loaded_at) AS loaded_at FROM loads) "
        "SELECT newest.loaded_at, (SELECT count(*) FROM loads) AS total_rows, "
        "(SELECT count(*) FROM loads WHERE loads._loaded_at = newest.loaded_at) AS last_rows "
        "FROM newest"
    )
    if last is None:
        return (source, len(tables), None, 0, int(total), warn_hours, age, NEVER_LOADED)
    if last.tzinfo is not None:  # dlt stores timestamptz; the platform speaks naive UTC
        last = last.astimezone(UTC).replace(tzinfo=None)
    return (source, len(tables), last, int(last_rows), int(total), warn_hours, age, status)


def write_dbt_build(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """The last dbt build: when it finished, how many models/tests passed, warned, failed
    (no row when it is unknown), and its failing and warning tests (:data:`BUILD_TABLES`)."""
    write_test_issues(con, last_build(settings))
    con.execute(
        f"CREATE TABLE {MARTS_SCHEMA}.dbt_build (finished_at TIMESTAMP, command VARCHAR, "
        "elapsed_seconds DOUBLE, models_ok INTEGER, models_failed INTEGER, tests_passed INTEGER, "
        "tests_warned INTEGER, tests_failed INTEGER)"
    )
    results = last_build(settings)
    if results is not None:
        con.execute(
            f"INSERT INTO {MARTS_SCHEMA}.dbt_build VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            summary(results),
        )
