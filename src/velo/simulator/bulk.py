"""Fast bulk loading of column batches into the operations database.

A batch is a mapping column name -> numpy array (or pyarrow array); datetimes are
``datetime64[s]`` (NaT = NULL). SQLite gets the raw DBAPI ``executemany`` with datetimes written
in SQLAlchemy's own text format (so SQLAlchemy reads them back and compares them correctly);
PostgreSQL gets ``COPY ... FROM STDIN`` fed with CSV written by Arrow. Both run inside the
caller's SQLAlchemy transaction. Loading a fresh database, indexes and (PostgreSQL) foreign keys
are added after the data, which is much faster than maintaining them row by row.

``rebuilt_database`` replaces a whole operations DB all or nothing; ``velo sim init`` and
``velo sim load-adventureworks`` both build through it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable

from velo.errors import UsageError, VeloError
from velo.settings import mask_secret
from velo.simulator.schema import engine_options

# SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' and compares them as text,
# so bulk-loaded values must have exactly that shape. Arrow's cast gives the part before the dot
# (far faster than strftime); the simulator works in whole seconds.
SQLITE_MICROSECONDS = ".000000"
SQLITE_CHUNK_ROWS = 100_000
CSV_CHUNK_ROWS = 500_000


def to_arrow(table: sa.Table, batch: Mapping[str, Any]) -> pa.Table:
    """The batch as an Arrow table with exactly the table's columns, in order."""
    missing = [c.name for c in table.columns if c.name not in batch]
    if missing:
        raise ValueError(f"batch for {table.name} lacks columns {missing}")
    arrays = []
    for column in table.columns:
        values = batch[column.name]
        arrays.append(
            values if isinstance(values, pa.Array) else pa.array(values, from_pandas=True)
        )
    return pa.Table.from_arrays(arrays, names=[c.name for c in table.columns])


def insert_batch(conn: sa.Connection, table: sa.Table, batch: Mapping[str, Any]) -> int:
    """Append the batch to the table through the fastest path of the connection's database."""
    data = to_arrow(table, batch)
    if data.num_rows == 0:
        return 0
    dialect = conn.dialect.name
    if dialect == "sqlite":
        _insert_sqlite(conn, table, data)
    elif dialect == "postgresql":
        _copy_postgres(conn, table, data)
    else:  # any other SQLAlchemy database: correct, if slower
        conn.execute(table.insert(), data.to_pylist())
    return data.num_rows


def _sqlite_values(array: pa.ChunkedArray) -> list[Any]:
    if pa.types.is_timestamp(array.type):
        array = pc.binary_join_element_wise(
            pc.cast(pc.cast(array, pa.timestamp("s")), pa.string()), SQLITE_MICROSECONDS, ""
        )
    elif pa.types.is_boolean(array.type):
        array = pc.cast(array, pa.int8())
    return array.to_pylist()


def _insert_sqlite(conn: sa.Connection, table: sa.Table, data: pa.Table) -> None:
    names = ", ".join(f'"{name}"' for name in data.column_names)
    marks = ", ".join("?" for _ in data.column_names)
    sql = f"INSERT INTO {sql_name(conn, table)} ({names}) VALUES ({marks})"
    cursor = conn.connection.driver_connection.cursor()
    try:
        for offset in range(0, data.num_rows, SQLITE_CHUNK_ROWS):
            chunk = data.slice(offset, SQLITE_CHUNK_ROWS)
            cursor.executemany(
                sql, zip(*(_sqlite_values(col) for col in chunk.columns), strict=True)
            )
    finally:
        cursor.close()


def _copy_postgres(conn: sa.Connection, table: sa.Table, data: pa.Table) -> None:
    names = ", ".join(f'"{name}"' for name in data.column_names)
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(
            f"COPY {sql_name(conn, table)} ({names}) FROM STDIN WITH (FORMAT csv)"
        ) as copy:
            for offset in range(0, data.num_rows, CSV_CHUNK_ROWS):
                buffer = io.BytesIO()
                pa_csv.write_csv(data.slice(offset, CSV_CHUNK_ROWS), buffer, options)
                copy.write(buffer.getvalue())
    finally:
        cursor.close()


def sql_name(conn: sa.Connection, table: sa.Table) -> str:
    """The table's name in SQL text: schema-qualified unless the connection maps schemas away."""
    translate = conn.get_execution_options().get("schema_translate_map") or {}
    schema = translate.get(table.schema, table.schema)
    return f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'


def create_bare_tables(conn: sa.Connection, metadata: sa.MetaData) -> None:
    """Create the tables without secondary indexes (and, on PostgreSQL, without foreign keys)."""
    defer_fks = conn.dialect.name == "postgresql"
    if conn.dialect.name != "sqlite":
        for schema in sorted({t.schema for t in metadata.tables.values() if t.schema}):
            conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
    if conn.dialect.name == "sqlite":  # room to sort the indexes in memory
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
    for table in metadata.sorted_tables:
        conn.execute(CreateTable(table, include_foreign_key_constraints=[] if defer_fks else None))


def finish_tables(conn: sa.Connection, metadata: sa.MetaData) -> None:
    """Add what create_bare_tables left out, now that the data is in."""
    for table in metadata.sorted_tables:
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            conn.execute(CreateIndex(index))
        if conn.dialect.name == "postgresql":
            for fk in table.foreign_key_constraints:
                conn.execute(AddConstraint(fk))
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"ANALYZE {sql_name(conn, table)}"))


def load_tables(
    conn: sa.Connection, metadata: sa.MetaData, batches: Iterable[tuple[str, Mapping[str, Any]]]
) -> None:
    """Fill a fresh schema from (table name, batch) pairs; indexes and foreign keys come last."""
    create_bare_tables(conn, metadata)
    by_name = {table.name: table for table in metadata.tables.values()}
    for name, batch in batches:
        insert_batch(conn, by_name[name], batch)
    finish_tables(conn, metadata)


# --- the database as a whole ---------------------------------------------------------------------


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite database URL; None for other databases, memory or unparsable URLs."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def shown_url(url: str) -> str:
    """The database as people may see it: a SQLite file's path, else the URL without password."""
    path = sqlite_path(url)
    return str(path) if path else mask_secret("ops_db_url", url)


def open_engine(url: str) -> sa.Engine:
    """An engine on the URL, or a usage error (never showing the password) when it is unusable.

    Its connections find the company's tables by their bare names too (SQLite: no schemas;
    PostgreSQL: the schemas are on the search path)."""
    try:
        return sa.create_engine(url, **engine_options(url))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise UsageError(
            f"ops_db_url {shown_url(url)!r} is not a usable database URL: {exc}"
        ) from None


@contextmanager
def rebuilt_database(url: str, metadata: sa.MetaData) -> Iterator[sa.Connection]:
    """A connection on which to build the database at ``url`` anew, all or nothing.

    SQLite: the block writes a fresh file beside the target, swapped in (``os.replace``) when the
    block succeeds, so readers never see a half-built database; on failure it is removed. Other
    databases: the metadata's tables are dropped in the one transaction the block fills, committed
    when it succeeds and rolled back when it fails. Either way a failure leaves the previous
    database as it was; database errors become one VeloError.
    """
    path = sqlite_path(url)
    if path is None:
        with _one_transaction(url, url) as conn:
            metadata.drop_all(conn)
            yield conn
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(path.name + ".building")
    building.unlink(missing_ok=True)
    try:
        with _one_transaction(f"sqlite:///{building}", url) as conn:
            # a fresh file nobody reads until it is swapped in: no journal needed
            conn.exec_driver_sql("PRAGMA journal_mode=OFF")
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            yield conn
    except BaseException:
        building.unlink(missing_ok=True)
        raise
    os.replace(building, path)


@contextmanager
def _one_transaction(url: str, target_url: str) -> Iterator[sa.Connection]:
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    # bulk loads use the driver's cursors directly, so its own errors arrive unwrapped
    except (sa.exc.SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise VeloError(
            f"rebuilding the operations database at {shown_url(target_url)} failed, nothing was "
            f"loaded: {reason}"
        ) from None
    finally:
        engine.dispose()


# --- column helpers ------------------------------------------------------------------------------


def datetimes(seconds: np.ndarray) -> np.ndarray:
    """Unix seconds (int64; negative = NULL) as datetime64[s] with NaT for NULL."""
    values = np.asarray(seconds, dtype=np.int64).astype("datetime64[s]")
    values[np.asarray(seconds) < 0] = np.datetime64("NaT")
    return values
