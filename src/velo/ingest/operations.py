"""Operations DB -> raw: dlt's sql_database tables, read as Arrow by ConnectorX.

Changing tables are read incrementally on ``modified_date`` (the WHERE is pushed down to the
database) and merged on their primary key; the small reference tables are read in full and
replaced. ``sim_state`` (the simulator's bookkeeping) is never read.

A changing table without a cursor yet (its first load) is read in full and *replaced* rather
than merged: the result is the same, without staging and deduplicating every row.

Rows modified after the platform clock (a typo such as 2099) are left out of the incremental
read, so the cursor never moves past the clock and later changes are still read; the
reconciliation step (:mod:`velo.ingest.reconcile`) loads them, by key, and reports them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
import sqlalchemy as sa
from dlt.extract import DltResource, DltSource
from dlt.sources.sql_database import TableBackend, sql_table

from velo.clock import now
from velo.errors import VeloError
from velo.ingest.common import PreparedSource, with_loaded_at
from velo.settings import Settings, mask_secret
from velo.simulator import schema

CURSOR_COLUMN = "modified_date"
SOURCE_NAME = "operations"
# ConnectorX (Rust) reads straight into Arrow, ~5x faster than SQLAlchemy rows -> Arrow here;
# streamed in batches of CHUNK_SIZE rows so memory stays bounded on big tables.
DEFAULT_BACKEND: TableBackend = "connectorx"
DEFAULT_CHUNK_SIZE = 100_000


def describe_db(url: str) -> str:
    return f"operations DB {mask_secret('ops_db_url', url)}"


def connect_ops_db(url: str) -> sa.Engine:
    """An engine on the operations DB, or one clear error when it cannot be reached."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        # SQLite would silently create an empty file; say what is missing instead.
        raise VeloError(f"{describe_db(url)} does not exist (create it with `velo sim init`)")
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
        raise VeloError(f"{describe_db(url)} is unreachable: {reason}") from None
    return engine


def reflect_company_tables(engine: sa.Engine, url: str) -> sa.MetaData:
    """Reflect the company's tables as they are now (new columns included), sim_state excluded."""
    present = set(sa.inspect(engine).get_table_names())
    missing = [name for name in schema.COMPANY_TABLES if name not in present]
    if missing:
        raise VeloError(
            f"{describe_db(url)} has no table {', '.join(missing)} "
            "(is it the Velo operations database? `velo sim init` creates one)"
        )
    metadata = sa.MetaData()
    metadata.reflect(bind=engine, only=list(schema.COMPANY_TABLES))
    return metadata


def primary_key(table_name: str) -> list[str]:
    return [column.name for column in schema.metadata.tables[table_name].primary_key]


def numbers_as_real(query: sa.Select, table: sa.Table) -> sa.Select:
    """SQLite keeps NUMERIC values as integer or real row by row (0 vs 0.05), which ConnectorX
    cannot type; read them as REAL (the warehouse casts back to decimal(19,4), exactly at 4 dp)."""
    columns = [
        sa.cast(column, sa.REAL).label(column.name)
        if isinstance(column.type, sa.Numeric) and not isinstance(column.type, sa.Float)
        else column
        for column in table.columns
    ]
    return query.with_only_columns(*columns)


QueryAdapter = Callable[[sa.Select, sa.Table], sa.Select]


def query_adapter(
    engine: sa.Engine,
    backend: TableBackend,
    cursor_cap: datetime | None,
    only_keys: Collection[tuple[Any, ...]] | None,
) -> QueryAdapter:
    """The SELECT as read: numbers as REAL for ConnectorX on SQLite, rows modified up to
    ``cursor_cap`` (incremental reads), or only the rows with ``only_keys`` (repairs)."""
    real_numbers = backend == "connectorx" and engine.dialect.name == "sqlite"

    def adapt(query: sa.Select, table: sa.Table) -> sa.Select:
        if real_numbers:
            query = numbers_as_real(query, table)
        if cursor_cap is not None:
            query = query.where(table.c[CURSOR_COLUMN] <= cursor_cap)
        if only_keys is not None:
            query = query.where(key_in(table, only_keys))
        return query

    return adapt


def key_in(table: sa.Table, keys: Collection[tuple[Any, ...]]) -> sa.ColumnElement[bool]:
    columns = [table.c[name] for name in primary_key(table.name)]
    if len(columns) == 1:
        return columns[0].in_([key[0] for key in keys])
    return sa.tuple_(*columns).in_(list(keys))


def tables_without_cursor(pipeline: dlt.Pipeline) -> set[str]:
    """Changing tables never loaded before, per the pipeline's incremental state.

    The state is first synced from the warehouse: if the local state was lost, the cursors
    saved with the last load still count (a replace with only changed rows would lose data).
    """
    pipeline.sync_destination()
    resources = pipeline.state.get("sources", {}).get(SOURCE_NAME, {}).get("resources", {})
    return {
        name
        for name in schema.CHANGING_TABLES
        if resources.get(name, {}).get("incremental", {}).get(CURSOR_COLUMN, {}).get("last_value")
        is None
    }


def table_resource(
    engine: sa.Engine,
    metadata: sa.MetaData,
    name: str,
    first_load: bool,
    backend: TableBackend,
    chunk_size: int,
    cursor_cap: datetime | None = None,
    only_keys: Collection[tuple[Any, ...]] | None = None,
) -> DltResource:
    if name in schema.REFERENCE_TABLES:
        incremental, disposition = None, "replace"
    elif only_keys is not None:  # a repair: these rows again, whatever their cursor says
        incremental, disposition, cursor_cap = None, "merge", None
    else:
        # Open range: the SQL reads only rows changed after the last cursor (strictly greater),
        # so an unchanged source reads 0 rows and dlt needs no boundary deduplication.
        incremental = dlt.sources.incremental(CURSOR_COLUMN, range_start="open")
        disposition = "replace" if first_load else "merge"
    return sql_table(
        credentials=engine,
        table=name,
        metadata=metadata,
        incremental=incremental,
        chunk_size=chunk_size,
        backend=backend,
        backend_kwargs={"return_type": "arrow_stream"} if backend == "connectorx" else None,
        query_adapter_callback=query_adapter(
            engine, backend, None if incremental is None else cursor_cap, only_keys
        ),
        reflection_level="full",
        write_disposition=disposition,
        primary_key=primary_key(name),
    )


@dlt.source(name=SOURCE_NAME, max_table_nesting=0)
def operations(
    engine: sa.Engine,
    metadata: sa.MetaData,
    loaded_at: datetime,
    first_loads: set[str],
    backend: TableBackend = DEFAULT_BACKEND,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    cursor_cap: datetime | None = None,
    repair_keys: dict[str, Collection[tuple[Any, ...]]] | None = None,
) -> Iterator[DltResource]:
    """Every company table, read incrementally up to ``cursor_cap``; or, with ``repair_keys``,
    only those tables' rows with those keys (the reconciliation's re-reads)."""
    for name in schema.COMPANY_TABLES if repair_keys is None else repair_keys:
        resource = table_resource(
            engine,
            metadata,
            name,
            name in first_loads,
            backend,
            chunk_size,
            cursor_cap,
            None if repair_keys is None else repair_keys[name],
        )
        yield with_loaded_at(resource, loaded_at)


@contextmanager
def operations_source(
    settings: Settings,
    loaded_at: datetime,
    pipeline: dlt.Pipeline,
    backend: TableBackend = DEFAULT_BACKEND,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[PreparedSource]:
    engine = connect_ops_db(settings.ops_db_url)
    try:
        metadata = reflect_company_tables(engine, settings.ops_db_url)
        first_loads = tables_without_cursor(pipeline)
        source: DltSource = operations(
            engine, metadata, loaded_at, first_loads, backend, chunk_size, now(settings)
        )
        yield PreparedSource(source=source, where=describe_db(settings.ops_db_url))
    finally:
        engine.dispose()
