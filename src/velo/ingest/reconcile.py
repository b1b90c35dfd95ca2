"""Reconcile raw with the operations DB: what a cursor cannot see, found by key and checksum.

The incremental load reads rows whose ``modified_date`` moved past the cursor. It cannot see a
row deleted in the source, a row changed without its ``modified_date`` bumped (an order set to
rejected by a script), a row inserted with an old ``modified_date``, or a row left out because
it was dated after the platform clock. This step compares, for every changing table, each
row's primary key and a checksum of its values in the operations DB with raw's, then repairs
raw: rows whose key is gone are deleted; rows missing or different are read again (through the
same dlt pipeline, merged by key, with a new ``_loaded_at`` so the incremental models
re-process them). dbt's facts drop keys that left raw (``delete_keys_gone_from``).

It reads every changing table in full on both sides (``velo bench reconcile``), unless neither
side has changed since a reconciliation that left them equal (:mod:`velo.ingest.reconciled`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa
import sqlalchemy as sa
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from velo.clock import load_time, now
from velo.duckdb_config import connect_duckdb
from velo.ingest.common import LOADED_AT
from velo.ingest.contract import SourceTable
from velo.ingest.operations import (
    SOURCE_NAME,
    connect_ops_db,
    contract_for,
    numbers_as_real,
    operations,
    primary_key,
    reflect_contract_tables,
)
from velo.ingest.reconciled import (
    ReconciledState,
    forget_reconciled,
    remember_reconciled,
    source_version,
    unchanged_since,
)
from velo.settings import Settings

ARROW_CHUNK_ROWS = 500_000
# The source side is most of the reconciliation's time (scale 100: 20 s of 28 s, one reader):
# ConnectorX reads a table in this many key ranges at once (SQLite and PostgreSQL serve
# concurrent readers); 7 M work orders 6.6 s -> 3.4 s with two on two cores.
READ_PARTITIONS = max(2, os.cpu_count() or 1)


@dataclass
class TableRepair:
    deleted: int = 0  # keys gone from the source, removed from raw
    reread: int = 0  # rows missing from raw or different from the source, read again
    future_dated: int = 0  # rows modified after the platform clock (loaded here, not by cursor)


@dataclass
class RepairReport:
    tables: dict[str, TableRepair] = field(default_factory=dict)
    rows_compared: int = 0
    seconds: float = 0.0
    # when raw was last proved equal to the source, if neither changed since (nothing read)
    unchanged_since: str | None = None

    @property
    def repaired(self) -> bool:
        return any(t.deleted or t.reread for t in self.tables.values())

    def summary(self) -> str:
        if self.unchanged_since:
            return (
                "raw matches the operations DB: neither has changed since they were compared"
                f" at {self.unchanged_since}"
            )
        parts = [
            f"{name}: {t.deleted} deleted, {t.reread} re-read"
            + (f" ({t.future_dated} dated after the platform clock)" if t.future_dated else "")
            for name, t in self.tables.items()
            if t.deleted or t.reread or t.future_dated
        ]
        body = "; ".join(parts) if parts else "raw matches the operations DB"
        return f"reconciled {self.rows_compared:,} rows in {self.seconds:.1f} s: {body}"


def connectorx_url(engine: sa.Engine) -> str:
    """The engine's URL without the SQLAlchemy driver (``postgresql+psycopg`` -> ``postgresql``),
    as ConnectorX wants it (dlt's own conversion)."""
    url = engine.url._replace(drivername=engine.url.get_backend_name())
    return url.render_as_string(hide_password=False)


def source_arrow(
    engine: sa.Engine, table: sa.Table, columns: list[str], where: Any = None
) -> pa.Table:
    """The table's columns (of the rows ``where`` selects) read by ConnectorX into Arrow, the
    way the load reads them; in READ_PARTITIONS key ranges when the first column is an integer
    (the primary key's first column)."""
    import connectorx

    selected = sa.select(table)
    if engine.dialect.name == "sqlite":
        selected = numbers_as_real(selected, table)
    by_name = {column.name: column for column in selected.selected_columns}
    query = sa.select(*(by_name[name] for name in columns)).select_from(table)
    if where is not None:
        query = query.where(where)
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    first = table.c[columns[0]]
    if isinstance(first.type, sa.Integer):
        return connectorx.read_sql(
            connectorx_url(engine),
            sql,
            return_type="arrow",
            partition_on=first.name,
            partition_num=READ_PARTITIONS,
        )
    return connectorx.read_sql(connectorx_url(engine), sql, return_type="arrow")


def raw_arrow(client: Any, table: str, columns: list[str]) -> pa.Table:
    qualified = client.make_qualified_table_name(table)
    with client.execute_query(f"select {', '.join(columns)} from {qualified}") as cursor:
        # In chunks: dlt's one-shot DuckDB path calls a method DuckDB 2 no longer has.
        chunks = list(cursor.iter_arrow(chunk_size=ARROW_CHUNK_ROWS))
    if not chunks:
        return pa.table({name: pa.array([], pa.null()) for name in columns})
    return pa.concat_tables(chunks)


def comparable(column: str, duckdb_type: str) -> str:
    """A column as both sides hold it: numbers at the warehouse's 4 decimals, instants as naive
    UTC to the second (raw may hold them with a time zone), dates as instants, booleans as 0/1
    (SQLite has no boolean)."""
    kind = duckdb_type.upper()
    if kind.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        return f"round(cast({column} as double), 4)"
    if kind.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"date_trunc('second', timezone('UTC', {column}))"
    if kind.startswith("TIMESTAMP") or kind == "DATE":
        return f"date_trunc('second', cast({column} as timestamp))"
    if kind == "BOOLEAN":
        return f"cast({column} as integer)"
    return column


def fingerprints(
    con: duckdb.DuckDBPyConnection, name: str, data: pa.Table, keys: list[str]
) -> None:
    """View ``name``: the original key columns, their comparable values (n0, n1, …) and a
    checksum of the other columns' comparable values."""
    con.register(f"{name}_rows", data)
    types = dict(
        con.execute(f"select column_name, column_type from (describe {name}_rows)").fetchall()
    )
    normalised = {column: comparable(f'"{column}"', types[column]) for column in data.column_names}
    values = [normalised[c] for c in data.column_names if c not in keys] or ["0"]
    con.execute(
        f"create or replace temp view {name} as select "
        + ", ".join(f'"{k}"' for k in keys)
        + ", "
        + ", ".join(f"{normalised[k]} as n{i}" for i, k in enumerate(keys))
        + f", hash({', '.join(values)}) as checksum from {name}_rows"
    )


def compare(
    settings: Settings, source: pa.Table, raw: pa.Table, keys: list[str]
) -> tuple[list[tuple], list[tuple]]:
    """(raw keys gone from the source, source keys missing from raw or different), each as its
    side holds them."""
    with connect_duckdb(settings, ":memory:") as con:
        fingerprints(con, "source", source, keys)
        fingerprints(con, "loaded", raw, keys)
        same_key = " and ".join(f"a.n{i} = b.n{i}" for i in range(len(keys)))
        # One pass, each side hashed once: a raw row without a source row is gone; a source row
        # without a raw row, or with another checksum, is stale.
        differing = con.execute(
            "select a.n0 is null, "
            + ", ".join(f'a."{k}"' for k in keys)
            + ", "
            + ", ".join(f'b."{k}"' for k in keys)
            + f" from source a full outer join loaded b on {same_key}"
            " where a.n0 is null or b.n0 is null or a.checksum <> b.checksum"
        ).fetchall()
    width = len(keys)
    gone = [row[1 + width :] for row in differing if row[0]]
    stale = [row[1 : 1 + width] for row in differing if not row[0]]
    return gone, stale


def compared_columns(source: sa.Table, keys: list[str], raw_columns: Iterable[str]) -> list[str]:
    """The source columns raw has too, primary key first (new source columns arrive by load)."""
    present = set(raw_columns)
    return keys + [c.name for c in source.columns if c.name in present and c.name not in keys]


def delete_from_raw(
    client: Any, table: str, key: list[str], keys: Sequence[tuple[Any, ...]]
) -> None:
    """Delete raw's rows with these keys (as raw holds them), one statement per key: deletes
    in a source are rare, and bound parameters keep keys of any type exact."""
    qualified = client.make_qualified_table_name(table)
    match = " and ".join(f"{name} = %s" for name in key)
    for key in keys:
        client.execute_sql(f"delete from {qualified} where {match}", *key)


def future_dated(conn: sa.Connection, table: sa.Table, cursor: str, clock: datetime) -> int:
    query = sa.select(sa.func.count()).select_from(table).where(table.c[cursor] > clock)
    return int(conn.execute(query).scalar_one())


def changing_tables(
    contract: tuple[SourceTable, ...], raw_tables: dict[str, Any]
) -> list[SourceTable]:
    """The contract's merge tables (those with a cursor) that raw holds."""
    return [t for t in contract if t.cursor and t.name in raw_tables]


def reconcile_raw(settings: Settings, loaded_at: datetime | None = None) -> RepairReport:
    """Compare every changing table of the operations DB with raw by key and checksum; repair.
    Skipped when neither side has changed since they were last found equal."""
    from velo.ingest.runner import make_pipeline

    started = time.perf_counter()
    loaded_at = loaded_at or load_time()
    report = RepairReport()
    pipeline = make_pipeline(settings, SOURCE_NAME)
    if not pipeline.default_schema_name:
        return report  # nothing loaded yet: the first load reads everything
    raw_tables = pipeline.default_schema.tables
    engine = connect_ops_db(settings.ops_db_url)
    try:
        contract = contract_for(settings, engine)
        metadata = reflect_contract_tables(engine, settings.ops_db_url, contract)
        keys = {t.name: primary_key(t, metadata[t.schema], settings.ops_db_url) for t in contract}
        tables = {
            entry.name: metadata[entry.schema].tables[entry.qualified_name]
            for entry in changing_tables(contract, raw_tables)
        }
        compared = {
            name: compared_columns(
                table, keys[name], set(raw_tables[name]["columns"]) - {LOADED_AT}
            )
            for name, table in tables.items()
        }
        source_before = source_version(engine)
        if source_before is not None:
            before = ReconciledState.current(settings, source_before, compared)
            report.unchanged_since = unchanged_since(settings, before)
            if report.unchanged_since:
                report.seconds = round(time.perf_counter() - started, 3)
                return report
        forget_reconciled(settings)
        clock = now(settings)
        cursors = {entry.name: str(entry.cursor) for entry in contract}
        reread: dict[str, list[tuple[Any, ...]]] = {}
        with engine.connect() as conn, pipeline.sql_client() as client:
            for name, table in tables.items():
                key, columns = keys[name], compared[name]
                try:
                    loaded = raw_arrow(client, name, columns)
                except DatabaseUndefinedRelation:
                    continue
                source = source_arrow(engine, table, columns)
                gone, stale = compare(settings, source, loaded, key)
                report.rows_compared += source.num_rows
                report.tables[name] = TableRepair(
                    deleted=len(gone),
                    reread=len(stale),
                    future_dated=future_dated(conn, table, cursors[name], clock),
                )
                delete_from_raw(client, name, key, gone)
                if stale:
                    reread[name] = stale
        if reread:
            pipeline.run(
                operations(engine, metadata, contract, keys, loaded_at, set(), repair_keys=reread)
            ).raise_on_failed_jobs()
        if source_before is not None and source_version(engine) == source_before:
            remember_reconciled(
                settings, ReconciledState.current(settings, source_before, compared)
            )
    finally:
        engine.dispose()
    report.seconds = round(time.perf_counter() - started, 3)
    return report
