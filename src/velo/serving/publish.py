"""Publish: copy the marts the dashboard and `velo answers` read into the serving DuckDB file.

Next to the marts it writes what a reader needs to trust them: data health and the last dbt
build (:mod:`velo.serving.health`), the sentiment model's figures and the publish log.

The copy is written to a temporary file next to ``settings.serving_path`` and then renamed over it
(``os.replace`` is atomic on one filesystem), so readers see either the old or the new serving DB,
never a half-written one, and a failed publish leaves the old file in place. Readers open the
serving file read-only and never touch the warehouse the pipeline writes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from velo.clock import CLOCK_LABELS, now, wall_now
from velo.duckdb_config import connect_duckdb
from velo.errors import VeloError
from velo.serving.health import BUILD_TABLES, write_data_health, write_dbt_build, write_health
from velo.serving.warehouse_read import MARTS_SCHEMA, WarehouseReader, open_reader, relations
from velo.settings import Settings
from velo.warehouse.freshness import FreshnessRule, freshness_rules
from velo.warehouse.run_results import (
    blocking_nodes,
    node_status_path,
    read_node_status,
    record_results_file,
)

# What the dashboard, the answers and the reconciliation read — and all publish copies: mart ->
# the columns they read (None: every column), the key it is updated by included. The star
# schema's facts (nobody reads them here; analysts query the warehouse) once doubled publish's
# cost at scale 100; the sales one-big-table's other columns (ids, customers' names, cities,
# card types, EUR amounts recomputed from the served rate) were half of what remained.
SERVED_MARTS: dict[str, tuple[str, ...] | None] = {
    "obt_sales_order_lines": (
        "sales_order_line_id",
        "sales_order_id",
        "order_date",
        "status_code",
        "is_revenue_status",
        "order_quantity",
        "discount",
        "revenue",
        "cost",
        "profit",
        "margin",
        "product_name",
        "subcategory_name",
        "category_name",
        "ship_state_name",
        "ship_state_code",
        "ship_country_code",
        "ship_country_name",
    ),
    "fct_fx_rates_hourly": None,
    "fct_sentiment_daily": None,
}
# What the hourly FX refresh republishes (the EUR->USD answer and the EUR amounts read them).
FX_MARTS = ("fct_fx_rates_hourly",)
# The daily publish starts from a copy of the published file and updates the marts with a dbt
# unique_key by key instead of copying them whole (the sales one-big-table at scale 100: 7.7 s
# whole, 2.9 s updated). An updated file keeps the space of the rows it deleted (DuckDB reuses
# freed blocks, not partly emptied row groups: about +1 % a day at scale 100), so past this
# multiple of its size when last written whole (and this many bytes more: the small tables
# written again each time grow a small file by a large fraction), it is written whole again.
REWRITE_GROWTH = 1.25
REWRITE_SLACK_BYTES = 64 << 20
WHOLE_SIZE_FILE = "serving_written_whole.json"  # under state_dir: that size, in bytes


@dataclass(frozen=True)
class PublishReport:
    serving_path: Path
    published_at: datetime
    clock_kind: str  # which clock published_at is on (velo.clock: fixed, simulated, wall)
    tables: dict[str, int] = field(default_factory=dict)  # marts table -> rows
    updated: tuple[str, ...] = ()  # marts updated by key in a copy of the published file

    def as_mapping(self) -> dict[str, Any]:
        return {
            "serving DB": str(self.serving_path),
            "published at": f"{self.published_at.isoformat(sep=' ')} "
            f"({CLOCK_LABELS[self.clock_kind]})",
            **{f"marts.{name}": rows for name, rows in self.tables.items()},
            "updated by key (others copied)": ", ".join(self.updated) or "none",
        }


def publish(
    settings: Settings,
    marts: Sequence[str] | None = None,
    *,
    require_passed_build: bool = True,
    keep_published: bool = False,
) -> PublishReport:
    """Copy ``marts`` (default: :data:`SERVED_MARTS`) and the data-health tables.

    Only while every dbt node passed on its latest run, every error-severity test included
    (``require_passed_build``, :func:`check_build_passed`; off only for warehouses dbt did not
    build, such as the sample): every way of publishing
    (`velo publish`, `velo run`, a Dagster job, materialising serving_db alone) comes here.
    ``keep_published`` (the hourly FX refresh): start from a copy of the serving file, whose
    other marts and build results stay as published, and replace only ``marts`` and the data
    health — a file copy costs far less than copying every mart again; with no serving file
    yet, everything is published. Otherwise marts with a dbt unique_key are updated by key in a
    copy of the published file where that is cheaper (:func:`keys_to_update`).
    """
    target = Path(settings.serving_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(target)
    temp = temp_path(target, os.getpid())
    temp.unlink(missing_ok=True)
    published_at = now(settings)
    refresh = keep_published and target.exists()
    if keep_published and not refresh:
        marts = None  # nothing published yet to keep
    keys = {} if refresh else keys_to_update(settings, target)
    # Data health's freshness rules, from dbt's manifest (parsed first when it does not describe
    # the project): before the warehouse is opened, which a parse must not meet.
    rules = freshness_rules(settings)
    try:
        if refresh or keys:
            shutil.copyfile(target, temp)
        with open_reader(settings, temp) as reader:
            if require_passed_build:
                check_build_passed(settings)
            tables, updated = build_serving_file(
                settings, reader, marts, published_at, rules, refresh=refresh, keys=keys
            )
        os.replace(temp, target)
    finally:
        for leftover in (temp, temp.with_name(f"{temp.name}.wal")):  # DuckDB's WAL of it too
            leftover.unlink(missing_ok=True)
    if not refresh and not updated:
        remember_whole_size(settings, target)
    return PublishReport(target, published_at, settings.clock_kind, tables, tuple(updated))


def keys_to_update(settings: Settings, target: Path) -> dict[str, str]:
    """The served marts to update by key (mart -> its dbt unique_key) in a copy of ``target``:
    none unless the warehouse is DuckDB (another would stream whole tables to compare them)
    and ``target`` has not grown past its size when written whole (REWRITE_GROWTH)."""
    from velo.warehouse.runner import model_unique_keys

    if settings.warehouse != "duckdb" or not target.exists():
        return {}
    try:
        whole = json.loads(whole_size_path(settings).read_text())["bytes"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # never written whole here, or unknown: write it whole
    if target.stat().st_size > max(REWRITE_GROWTH * whole, whole + REWRITE_SLACK_BYTES):
        return {}
    unique_keys = model_unique_keys(settings)
    return {name: unique_keys[name] for name in SERVED_MARTS if name in unique_keys}


def whole_size_path(settings: Settings) -> Path:
    return Path(settings.state_dir) / WHOLE_SIZE_FILE


def remember_whole_size(settings: Settings, target: Path) -> None:
    path = whole_size_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"bytes": target.stat().st_size}) + "\n")


def temp_path(target: Path, pid: int) -> Path:
    """Where the publish of process ``pid`` builds the new file before swapping it in."""
    return target.with_name(f".{target.name}.{pid}.tmp")


def remove_stale_temp_files(target: Path) -> None:
    """Remove what a killed publish left (its temp file and DuckDB's WAL of it); a temp file of
    a process still alive is a publish in progress and stays."""
    for path in target.parent.glob(f".{target.name}.*.tmp*"):
        pid = path.name.removeprefix(f".{target.name}.").split(".")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            path.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def build_serving_file(
    settings: Settings,
    reader: WarehouseReader,
    marts: Sequence[str] | None,
    published_at: datetime,
    rules: tuple[FreshnessRule, ...],
    *,
    refresh: bool = False,
    keys: dict[str, str] | None = None,
) -> tuple[dict[str, int], list[str]]:
    """Write ``marts`` and the health tables into the new serving file; ``refresh``: the file
    is a copy of the published one, whose other marts and build results stay; ``keys``: the file
    is a copy of the published one in which these marts are updated by key; ``rules``: the
    sources' freshness, judged at ``published_at``. Returns the rows per table and the marts
    updated by key."""
    available = relations(reader, MARTS_SCHEMA)
    wanted = list(marts) if marts is not None else list(SERVED_MARTS)
    missing = [name for name in wanted if name not in available]
    if missing:
        raise VeloError(
            f"warehouse {reader.where} lacks marts.{', marts.'.join(missing)}: "
            "run `velo transform` first"
        )
    con = reader.serving
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {MARTS_SCHEMA}")
    keys = keys or {}
    kept = {*SERVED_MARTS, *BUILD_TABLES} - set(wanted) if refresh else set(keys)
    drop_tables_except(con, kept)
    tables, updated = {}, []
    for name in wanted:
        columns = SERVED_MARTS.get(name)
        if name in keys and reader.update(MARTS_SCHEMA, name, keys[name], columns):
            updated.append(name)
        else:
            con.execute(f"DROP TABLE IF EXISTS {MARTS_SCHEMA}.{name}")
            reader.copy(MARTS_SCHEMA, name, columns)
        tables[name] = row_count(con, f"{MARTS_SCHEMA}.{name}")
    checked_at = wall_now()
    write_data_health(reader, rules, published_at)
    write_health(con, settings, checked_at, published_at)
    if not refresh:
        write_dbt_build(con, settings)
    write_sentiment_model(con)
    write_publish_log(con, published_at, settings.clock_kind, tables)
    tables["data_health"] = row_count(con, f"{MARTS_SCHEMA}.data_health")
    return tables, updated


def drop_tables_except(con: duckdb.DuckDBPyConnection, keep: set[str]) -> None:
    """Empty the serving file but for the tables in ``keep`` (what a copy of the published file
    keeps; everything else is written again)."""
    found = con.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = ?",
        [MARTS_SCHEMA],
    ).fetchall()
    for (name,) in found:
        if name not in keep:
            con.execute(f"DROP TABLE {MARTS_SCHEMA}.{name}")


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def check_build_passed(settings: Settings) -> None:
    """VeloError unless every node of the project passed on its latest dbt run: no model
    errored or skipped after a failure, no error-severity test failed (warn-severity tests
    report ``warn``, which passes). Any node, not only those the published marts depend on:
    what is served comes with data health and build results read from the same warehouse.

    Read from the node-status record every platform dbt invocation merges into, not the last
    run_results.json alone: a green subset build after a failing one would hide the failure."""
    record_results_file(settings)  # a dbt run the platform did not make, if it was the last
    try:
        record = read_node_status(settings)
    except ValueError:
        raise VeloError(
            f"the dbt results record ({node_status_path(settings)}) cannot be read: run "
            "`velo transform` (the serving DB was left as it was)"
        ) from None
    if record is None:
        raise VeloError(
            "no dbt build recorded: run `velo transform` before publishing "
            "(the serving DB was left as it was)"
        )
    blocking = blocking_nodes(record)
    if blocking:
        raise VeloError(
            f"dbt's latest run of {describe_blocking(blocking)}: the serving DB was left as it "
            "was — fix the data or model, then `velo transform`"
        )


def describe_blocking(blocking: list[tuple[str, str]], limit: int = 5) -> str:
    """'2 node(s)/test(s) failed (a (fail), b (error)) and 7 were skipped after it' — the failed
    ones named first: what is skipped follows from them."""
    failed = [f"{name} ({status})" for name, status in blocking if status != "skipped"]
    skipped = [name for name, status in blocking if status == "skipped"]
    if not failed:
        return f"{len(skipped)} node(s) was skipped ({', '.join(skipped[:limit])})"
    more = f" and {len(failed) - limit} more" if len(failed) > limit else ""
    after = f", and {len(skipped)} skipped after a failure" if skipped else ""
    return f"{len(failed)} node(s)/test(s) failed ({', '.join(failed[:limit])}{more}){after}"


def write_sentiment_model(con: duckdb.DuckDBPyConnection) -> None:
    """The packaged sentiment model's version and its held-out figures next to VADER's, per
    source (``velo sentiment evaluate``'s default rows, computed when the model was trained)."""
    from velo.sentiment.model import read_artifact

    con.execute(
        f"CREATE TABLE {MARTS_SCHEMA}.sentiment_model (model_version VARCHAR, source VARCHAR, "
        "test_rows INTEGER, model_accuracy DOUBLE, model_macro_f1 DOUBLE, vader_accuracy DOUBLE, "
        "vader_macro_f1 DOUBLE)"
    )
    artifact = read_artifact()
    evaluation = artifact["evaluation"]
    rows = [
        (
            artifact["version"],
            source,
            figures["rows"],
            figures["model"]["accuracy"],
            figures["model"]["macro_f1"],
            figures["vader"]["accuracy"],
            figures["vader"]["macro_f1"],
        )
        for source, figures in [*evaluation["sources"].items(), ("all", evaluation)]
    ]
    con.executemany(
        f"INSERT INTO {MARTS_SCHEMA}.sentiment_model VALUES (?, ?, ?, ?, ?, ?, ?)", rows
    )


def write_publish_log(
    con: duckdb.DuckDBPyConnection, published_at: datetime, clock_kind: str, tables: dict[str, int]
) -> None:
    """When it was published: on the platform clock (``clock_kind``: fixed, simulated or wall,
    so readers can say which) and on the wall clock."""
    con.execute(
        f"CREATE TABLE {MARTS_SCHEMA}.publish_log (published_at TIMESTAMP, clock_kind VARCHAR, "
        "published_wall_at TIMESTAMP, tables VARCHAR)"
    )
    con.execute(
        f"INSERT INTO {MARTS_SCHEMA}.publish_log VALUES (?, ?, ?, ?)",
        [published_at, clock_kind, wall_now(), json.dumps(tables)],
    )


def open_serving(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the serving DB (never the warehouse)."""
    path = Path(settings.serving_path)
    if not path.exists():
        raise VeloError(f"no serving database at {path}: run `make run` first")
    try:
        return connect_duckdb(settings, path, read_only=True)
    except duckdb.Error as exc:
        raise VeloError(
            f"serving database {path} cannot be opened ({exc}): run `make run` again"
        ) from None
