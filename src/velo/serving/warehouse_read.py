"""Read the marts out of whichever warehouse is configured, column by column, for publishing.

Publishing copies marts into a new serving DuckDB file. Each warehouse kind has one reader that
yields that file's connection (``serving``, its current database) and reads the warehouse:

- DuckDB: the warehouse file is opened and the serving file attached to it, so the copy is one
  ``CREATE TABLE … AS SELECT`` inside DuckDB (in the process that just ran dbt, DuckDB allows no
  second, read-only handle on the same file).
- PostgreSQL: ConnectorX streams each mart as Arrow record batches into DuckDB (no row-by-row
  fetch, no DuckDB extension to install, which an offline machine could not do).
- Snowflake: the Snowflake connector's own Arrow result batches, column names lower-cased
  (Snowflake stores unquoted identifiers upper-case).

Small queries (catalog listings, data-health aggregates) go through ``rows`` as plain SQL that
DuckDB, PostgreSQL and Snowflake all accept.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import duckdb
import pyarrow as pa

from velo.duckdb_config import connect_duckdb
from velo.errors import VeloError
from velo.settings import Settings, mask_secret

MARTS_SCHEMA = "marts"  # where the marts are, in the warehouse and in the serving DB
ARROW_BATCH_ROWS = 100_000  # rows per record batch streamed from a remote warehouse


class WarehouseReader(Protocol):
    where: str  # the warehouse, for messages (password masked)
    catalog: str | None  # where a catalog listing also shows the serving file: the warehouse's
    serving: duckdb.DuckDBPyConnection  # the new serving file, its current database

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """The result of a small query on the warehouse."""

    def table_ref(self, schema: str, table: str) -> str:
        """How the warehouse's SQL names ``schema.table``."""

    def copy(self, schema: str, table: str, columns: Sequence[str] | None) -> None:
        """Create ``schema.table`` in the serving file from the warehouse's table: ``columns``
        (None: all of them)."""

    def update(self, schema: str, table: str, key: str, columns: Sequence[str] | None) -> bool:
        """Bring the serving file's ``schema.table`` (kept from the last publish, ``columns``
        of the warehouse's) up to the warehouse's by ``key``; False, changing nothing, where it
        cannot (then it is copied)."""


def relations(reader: WarehouseReader, schema: str) -> set[str]:
    """Table and view names in ``schema`` (lower case; Snowflake lists them upper case)."""
    in_catalog = f"table_catalog = '{reader.catalog}' AND " if reader.catalog else ""
    found = reader.rows(
        "SELECT table_name FROM information_schema.tables "
        f"WHERE {in_catalog}lower(table_schema) = '{schema}'"
    )
    return {str(name).lower() for (name,) in found}


def tables_with_column(reader: WarehouseReader, schema: str, column: str) -> set[str]:
    """Tables in ``schema`` that have ``column`` (lower case): one query for the whole schema,
    not one per table — a remote reader opens a connection per query (about 45 ms each)."""
    in_catalog = f"table_catalog = '{reader.catalog}' AND " if reader.catalog else ""
    found = reader.rows(
        "SELECT DISTINCT table_name FROM information_schema.columns "
        f"WHERE {in_catalog}lower(table_schema) = '{schema}' AND lower(column_name) = '{column}'"
    )
    return {str(name).lower() for (name,) in found}


@contextmanager
def open_reader(settings: Settings, serving_file: Path) -> Iterator[WarehouseReader]:
    """The configured warehouse's reader, writing into ``serving_file``; both closed afterwards."""
    if settings.warehouse == "duckdb":
        reader: Any = DuckDBReader(settings, serving_file)
    elif settings.warehouse == "postgres":
        reader = PostgresReader(settings, serving_file)
    else:
        reader = SnowflakeReader(settings, serving_file)
    try:
        yield reader
    finally:
        reader.close()


class DuckDBReader:
    def __init__(self, settings: Settings, serving_file: Path) -> None:
        warehouse = Path(settings.warehouse_path)
        self.where = str(warehouse)
        if not warehouse.exists():
            raise VeloError(
                f"no warehouse at {warehouse}: run `velo ingest` and `velo transform` first"
            )
        try:
            self.serving = connect_duckdb(settings, warehouse)
        except duckdb.Error as exc:
            raise VeloError(
                f"warehouse {warehouse} cannot be opened for publishing ({exc}); "
                "retry when the running build has finished"
            ) from None
        self.catalog = self.serving.execute("SELECT current_database()").fetchone()[0]
        self.serving.execute(f"ATTACH '{sql_text(str(serving_file))}' AS serving")
        self.serving.execute("USE serving")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.serving.execute(sql).fetchall()

    def table_ref(self, schema: str, table: str) -> str:
        return f'"{self.catalog}".{schema}.{table}'

    def copy(self, schema: str, table: str, columns: Sequence[str] | None) -> None:
        self.serving.execute(
            f"CREATE TABLE {schema}.{table} AS "
            f"SELECT {select_list(columns)} FROM {self.table_ref(schema, table)}"
        )

    def update(self, schema: str, table: str, key: str, columns: Sequence[str] | None) -> bool:
        """Delete the served rows whose key is gone or whose values differ, insert the new and
        changed ones: rows are compared by one hash of their columns, as the incremental
        one-big-tables do (a change is missed only if its hash collides, 2^-64 per row). Not
        done when the served table is missing or its columns differ from the warehouse's."""
        types = dict(self.column_types(self.catalog, schema, table))
        served = [(name, types.get(name)) for name in columns or types]
        if not served or served != self.column_types("serving", schema, table):
            return False
        source = self.table_ref(schema, table)
        names = [f'"{name}"' for name, _ in served]
        self.serving.execute(
            f"""CREATE TEMP TABLE changed_rows AS
            SELECT {", ".join(f"source.{name}" for name in names)} FROM {source} AS source
            LEFT JOIN (SELECT {key}, hash({", ".join(names)}) AS row_hash
                       FROM {schema}.{table}) AS served
                ON source.{key} = served.{key}
            WHERE served.{key} IS NULL
                OR served.row_hash <> hash({", ".join(f"source.{name}" for name in names)})"""
        )
        self.serving.execute(
            f"""DELETE FROM {schema}.{table} AS served
            WHERE served.{key} IN (SELECT {key} FROM changed_rows)
                OR NOT EXISTS (
                    SELECT 1 FROM {source} AS source WHERE source.{key} = served.{key}
                )"""
        )
        self.serving.execute(f"INSERT INTO {schema}.{table} SELECT * FROM changed_rows")
        self.serving.execute("DROP TABLE changed_rows")
        return True

    def column_types(self, catalog: str, schema: str, table: str) -> list[tuple[str, str]]:
        return self.serving.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [catalog, schema, table],
        ).fetchall()

    def close(self) -> None:
        # Detaching flushes and closes the new file before publish renames it.
        self.serving.execute(f'USE "{self.catalog}"')
        self.serving.execute("DETACH serving")
        self.serving.close()


class ArrowReader:
    """What the remote readers share: the serving file opened by itself, Arrow into DuckDB."""

    where: str
    catalog = None  # the connection sees only the warehouse's own catalog

    def __init__(self, settings: Settings, serving_file: Path) -> None:
        self.serving = connect_duckdb(settings, serving_file)

    def arrow(self, sql: str) -> pa.RecordBatchReader:
        raise NotImplementedError

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        table = self.arrow(sql).read_all()
        # By position: result columns may share a name (two count(*) are both "count").
        return list(zip(*(column.to_pylist() for column in table.columns), strict=True))

    def table_ref(self, schema: str, table: str) -> str:
        return f"{schema}.{table}"

    def copy(self, schema: str, table: str, columns: Sequence[str] | None) -> None:
        batches = self.arrow(f"SELECT {select_list(columns)} FROM {self.table_ref(schema, table)}")
        # A cursor of its own: DuckDB refuses to register a view on a connection whose last
        # result (the caller's row count) was not fetched to the end.
        with self.serving.cursor() as cursor:
            cursor.register("incoming_batches", batches)
            cursor.execute(f"CREATE TABLE {schema}.{table} AS SELECT * FROM incoming_batches")

    def update(self, schema: str, table: str, key: str, columns: Sequence[str] | None) -> bool:
        return False  # comparing would stream the whole table anyway: it is copied instead

    def failed(self, exc: BaseException) -> VeloError:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return VeloError(f"warehouse {self.where} cannot be read for publishing: {detail}")

    def close(self) -> None:
        self.serving.close()


class PostgresReader(ArrowReader):
    def __init__(self, settings: Settings, serving_file: Path) -> None:
        url = settings.warehouse_url
        parts = urlsplit(url)
        # ConnectorX wants the plain scheme (postgresql://), not SQLAlchemy's +driver suffix.
        self.uri = parts._replace(scheme="postgresql").geturl()
        self.where = mask_secret("warehouse_url", url)
        super().__init__(settings, serving_file)

    def arrow(self, sql: str) -> pa.RecordBatchReader:
        import connectorx

        try:
            return connectorx.read_sql(
                self.uri, sql, return_type="arrow_stream", batch_size=ARROW_BATCH_ROWS
            )
        except RuntimeError as exc:  # ConnectorX reports connection and SQL errors this way
            raise self.failed(exc) from None


class SnowflakeReader(ArrowReader):
    def __init__(self, settings: Settings, serving_file: Path) -> None:
        url = settings.warehouse_url
        try:
            import snowflake.connector
        except ImportError:
            raise VeloError(
                "warehouse = snowflake: publishing needs the Snowflake connector: "
                "pip install snowflake-connector-python"
            ) from None
        self.where = mask_secret("warehouse_url", url)
        try:
            self.connection = snowflake.connector.connect(**snowflake_connect_args(url))
        except snowflake.connector.Error as exc:
            raise self.failed(exc) from None
        super().__init__(settings, serving_file)

    def arrow(self, sql: str) -> pa.RecordBatchReader:
        import snowflake.connector

        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            table = cursor.fetch_arrow_all(force_return_table=True)
        except snowflake.connector.Error as exc:
            raise self.failed(exc) from None
        finally:
            cursor.close()
        table = table.rename_columns([name.lower() for name in table.column_names])
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(ARROW_BATCH_ROWS))

    def close(self) -> None:
        super().close()
        self.connection.close()


def snowflake_connect_args(url: str) -> dict[str, Any]:
    """``snowflake://user:password@account/database/schema?warehouse=…&role=…`` (the URL dlt
    accepts for its Snowflake destination) -> ``snowflake.connector.connect`` arguments."""
    parts = urlsplit(url)
    if parts.scheme != "snowflake" or not parts.hostname:
        raise VeloError(
            "warehouse = snowflake needs warehouse_url = "
            "snowflake://user:password@account/database?warehouse=…&role=… "
            f"(got '{parts.scheme}://…')"
        )
    database, _, schema = unquote(parts.path.strip("/")).partition("/")
    args: dict[str, Any] = {
        "account": parts.hostname,
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "database": database or None,
        "schema": schema or None,
    }
    if parts.port:
        args["port"] = parts.port
    for key, values in parse_qs(parts.query).items():
        args[key] = values[-1]
    return {key: value for key, value in args.items() if value not in (None, "")}


def select_list(columns: Sequence[str] | None) -> str:
    return ", ".join(columns) if columns else "*"


def sql_text(text: str) -> str:
    return text.replace("'", "''")
