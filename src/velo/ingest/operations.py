"""Operations DB -> raw: the tables of the source contract, read as Arrow by ConnectorX.

What is read is the source contract (:mod:`velo.ingest.contract`): ``merge`` tables are read
incrementally on their cursor column (the WHERE is pushed down to the database) and merged on
their primary key; ``replace`` tables are read in full and replaced — only when their content
changed: a digest of each one's rows is kept in the pipeline's state (which dlt stores with the
load, in the warehouse), and an unchanged table is left as it is, so its rows keep their
``_loaded_at`` and a run with nothing new changes nothing in raw. raw keeps the source's table and
column names (``raw.salesorderheader``); dbt staging maps them.

A merge table without a cursor yet (its first load) is read in full and *replaced* rather
than merged: the result is the same, without staging and deduplicating every row.

Rows modified after the platform clock (a typo such as 2099) are left out of the incremental
read, so the cursor never moves past the clock and later changes are still read; the
reconciliation step (:mod:`velo.ingest.reconcile`) loads them, by key, and reports them.

Before reading, the source's identity (:mod:`velo.ingest.identity`) is compared with the one raw
was loaded from: a different database reloads every table in full, so raw never mixes two
companies.
"""

from __future__ import annotations

import hashlib
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
from velo.ingest.contract import IDENTITY_TABLE, SourceTable, source_contract, without_schemas
from velo.ingest.identity import read_identity
from velo.settings import Settings, mask_secret

SOURCE_NAME = "operations"
# ConnectorX (Rust) reads straight into Arrow, ~5x faster than SQLAlchemy rows -> Arrow here;
# streamed in batches of CHUNK_SIZE rows so memory stays bounded on big tables.
DEFAULT_BACKEND: TableBackend = "connectorx"
DEFAULT_CHUNK_SIZE = 100_000
# Where a replace table's resource state keeps the digest of the rows it last loaded.
CONTENT_DIGEST = "content_digest"


def describe_db(url: str) -> str:
    return f"operations DB {mask_secret('ops_db_url', url)}"


def missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL that does not exist (connecting would create it empty)."""
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    return None if path.exists() else path


def connect_ops_db(url: str) -> sa.Engine:
    """An engine on the operations DB, or one clear error when it cannot be reached."""
    if missing_sqlite_file(url):
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


def holds_orders(settings: Settings) -> bool:
    """Whether the operations DB exists and holds the contract's orders table."""
    try:
        engine = connect_ops_db(settings.ops_db_url)
    except VeloError:
        return False
    try:
        orders = [t for t in contract_for(settings, engine) if t.name == IDENTITY_TABLE]
        return bool(orders) and sa.inspect(engine).has_table(orders[0].name, orders[0].schema)
    finally:
        engine.dispose()


def contract_for(settings: Settings, engine: sa.Engine) -> tuple[SourceTable, ...]:
    """The configured contract; on a database without schemas (SQLite), unqualified."""
    contract = source_contract(settings)
    return without_schemas(contract) if engine.dialect.name == "sqlite" else contract


def reflect_contract_tables(
    engine: sa.Engine, url: str, contract: tuple[SourceTable, ...]
) -> dict[str | None, sa.MetaData]:
    """Reflect the contract's tables as they are now (new columns included): one MetaData per
    schema, as dlt's sql_table looks tables up in its metadata's schema."""
    inspector = sa.inspect(engine)
    reflected: dict[str | None, sa.MetaData] = {}
    for schema in dict.fromkeys(t.schema for t in contract):
        names = [t.name for t in contract if t.schema == schema]
        present = set(inspector.get_table_names(schema=schema))
        missing = [f"{schema}.{n}" if schema else n for n in names if n not in present]
        if missing:
            raise VeloError(
                f"{describe_db(url)} has no table {', '.join(missing)} (is it an AdventureWorks "
                "operations database? `velo sim init` creates one; `velo config` shows the "
                "source contract)"
            )
        reflected[schema] = sa.MetaData(schema=schema)
        reflected[schema].reflect(bind=engine, only=names)
    for table in contract:
        columns = reflected[table.schema].tables[table.qualified_name].c
        expected = (*table.columns, *table.primary_key, *([table.cursor] if table.cursor else []))
        absent = [c for c in dict.fromkeys(expected) if c not in columns]
        if absent:
            raise VeloError(
                f"{describe_db(url)}: table {table.qualified_name} has no column "
                f"{', '.join(absent)} (the source contract expects it)"
            )
    return reflected


def primary_key(table: SourceTable, metadata: sa.MetaData, url: str) -> list[str]:
    """The contract's key, else the database's; a merge table needs one."""
    key = list(table.primary_key) or [
        c.name for c in metadata.tables[table.qualified_name].primary_key
    ]
    if not key and table.strategy == "merge":
        raise VeloError(
            f"{describe_db(url)}: table {table.qualified_name} has no primary key; declare one "
            f"in source_tables_add ({table.qualified_name}:{table.cursor}:key+key)"
        )
    return key


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
    key: list[str],
    cursor: str | None,
    cursor_cap: datetime | None,
    only_keys: Collection[tuple[Any, ...]] | None,
) -> QueryAdapter:
    """The SELECT as read: numbers as REAL for ConnectorX on SQLite, rows modified up to
    ``cursor_cap`` (incremental reads), or only the rows with ``only_keys`` (repairs)."""
    real_numbers = backend == "connectorx" and engine.dialect.name == "sqlite"

    def adapt(query: sa.Select, table: sa.Table) -> sa.Select:
        if real_numbers:
            query = numbers_as_real(query, table)
        if cursor is not None and cursor_cap is not None:
            query = query.where(table.c[cursor] <= cursor_cap)
        if only_keys is not None:
            query = query.where(key_in(table, key, only_keys))
        return query

    return adapt


def key_in(
    table: sa.Table, key: list[str], keys: Collection[tuple[Any, ...]]
) -> sa.ColumnElement[bool]:
    columns = [table.c[name] for name in key]
    if len(columns) == 1:
        return columns[0].in_([value[0] for value in keys])
    return sa.tuple_(*columns).in_(list(keys))


def unreadable_columns(table: sa.Table) -> list[str]:
    """Columns of types SQLAlchemy does not know (e.g. AdventureWorks' xml surveys): ConnectorX
    cannot read them either, so raw goes without them."""
    return [c.name for c in table.columns if isinstance(c.type, sa.types.NullType)]


def loaded_resources_state(pipeline: dlt.Pipeline) -> dict[str, Any]:
    """Each table's resource state as of the last load, synced from the warehouse first: if the
    local state was lost, the cursors and digests saved with the last load still count (a
    replace with only changed rows would lose data)."""
    pipeline.sync_destination()
    return pipeline.state.get("sources", {}).get(SOURCE_NAME, {}).get("resources", {})


def tables_without_cursor(resources: dict[str, Any], contract: tuple[SourceTable, ...]) -> set[str]:
    """Merge tables never loaded before."""
    return {
        table.name
        for table in contract
        if table.cursor
        and resources.get(table.name, {})
        .get("incremental", {})
        .get(table.cursor, {})
        .get("last_value")
        is None
    }


def content_digest(engine: sa.Engine, table: sa.Table, key: list[str]) -> str:
    """A digest of a table's readable columns, row by row in key order (for small tables)."""
    unreadable = set(unreadable_columns(table))
    query = sa.select(*(c for c in table.columns if c.name not in unreadable)).order_by(
        *(table.c[name] for name in key)
    )
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for row in conn.execute(query):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def table_of(metadata: dict[str | None, sa.MetaData], table: SourceTable) -> sa.Table:
    return metadata[table.schema].tables[table.qualified_name]


def unchanged_tables(resources: dict[str, Any], digests: dict[str, str]) -> set[str]:
    """Replace tables whose rows are the ones raw holds from the last load."""
    return {
        name
        for name, digest in digests.items()
        if resources.get(name, {}).get(CONTENT_DIGEST) == digest
    }


def remember_digest(digest: str) -> Callable[[Any], Any]:
    """A map step recording, in the resource's state, the digest of the rows it loads."""

    def remember(item: Any) -> Any:
        dlt.current.resource_state()[CONTENT_DIGEST] = digest
        return item

    return remember


def table_resource(
    engine: sa.Engine,
    metadata: sa.MetaData,
    table: SourceTable,
    key: list[str],
    first_load: bool,
    backend: TableBackend,
    chunk_size: int,
    cursor_cap: datetime | None = None,
    only_keys: Collection[tuple[Any, ...]] | None = None,
) -> DltResource:
    if table.cursor is None:
        incremental, disposition = None, "replace"
    elif only_keys is not None:  # a repair: these rows again, whatever their cursor says
        incremental, disposition = None, "merge"
    else:
        # Open range: the SQL reads only rows changed after the last cursor (strictly greater),
        # so an unchanged source reads 0 rows and dlt needs no boundary deduplication.
        incremental = dlt.sources.incremental(table.cursor, range_start="open")
        disposition = "replace" if first_load else "merge"
    return sql_table(
        credentials=engine,
        table=table.name,
        metadata=metadata,
        excluded_columns=unreadable_columns(metadata.tables[table.qualified_name]),
        incremental=incremental,
        chunk_size=chunk_size,
        backend=backend,
        backend_kwargs={"return_type": "arrow_stream"} if backend == "connectorx" else None,
        query_adapter_callback=query_adapter(
            engine,
            backend,
            key,
            table.cursor,
            None if incremental is None else cursor_cap,
            only_keys,
        ),
        reflection_level="full",
        write_disposition=disposition,
        primary_key=key,
    )


@dlt.source(name=SOURCE_NAME, max_table_nesting=0)
def operations(
    engine: sa.Engine,
    metadata: dict[str | None, sa.MetaData],
    contract: tuple[SourceTable, ...],
    keys: dict[str, list[str]],
    loaded_at: datetime,
    first_loads: set[str],
    backend: TableBackend = DEFAULT_BACKEND,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    cursor_cap: datetime | None = None,
    repair_keys: dict[str, Collection[tuple[Any, ...]]] | None = None,
    digests: dict[str, str] | None = None,
) -> Iterator[DltResource]:
    """Every contract table, read incrementally up to ``cursor_cap``; or, with ``repair_keys``,
    only those tables' rows with those keys (the reconciliation's re-reads). A replace table
    with a digest remembers it in its state when loaded."""
    for table in contract:
        if repair_keys is not None and table.name not in repair_keys:
            continue
        resource = table_resource(
            engine,
            metadata[table.schema],
            table,
            keys[table.name],
            table.name in first_loads,
            backend,
            chunk_size,
            cursor_cap,
            None if repair_keys is None else repair_keys[table.name],
        )
        if digests and table.name in digests:
            resource.add_map(remember_digest(digests[table.name]))
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
        contract = contract_for(settings, engine)
        metadata = reflect_contract_tables(engine, settings.ops_db_url, contract)
        keys = {t.name: primary_key(t, metadata[t.schema], settings.ops_db_url) for t in contract}
        identity = read_identity(engine, settings.ops_db_url, contract)
        reload = identity.differs_from_last_load(settings)
        resources = {} if reload else loaded_resources_state(pipeline)
        digests = {
            t.name: content_digest(engine, table_of(metadata, t), keys[t.name])
            for t in contract
            if t.strategy == "replace"
        }
        # A different database (reload) has no state: every table is a first load.
        first_loads = tables_without_cursor(resources, contract)
        source: DltSource = operations(
            engine,
            metadata,
            contract,
            keys,
            loaded_at,
            first_loads,
            backend,
            chunk_size,
            now(settings),
            digests=digests,
        )
        yield PreparedSource(
            source=source,
            unchanged=unchanged_tables(resources, digests),
            where=describe_db(settings.ops_db_url),
            refresh="drop_sources" if reload else None,
            after_load=lambda: identity.remember(settings),
        )
    finally:
        engine.dispose()
