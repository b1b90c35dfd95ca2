"""AdventureWorks 2014 in PostgreSQL exactly as AdventureWorks-for-Postgres creates it.

That project's own DDL (``fixtures/adventureworks-for-postgres/install.sql``: its domains, column
types, computed columns dropped after the load, primary keys) for the tables the platform reads,
in its schemas person/production/sales, filled from the shipped CSVs in Microsoft's column order as
its ``\\copy`` does. What the CSV copies need before COPY (their quirks) is undone here: the same
readers as `velo sim load-adventureworks`, XML survey columns left NULL, hex WKB as bytea, and
SalesOrderDetail's US Central times written as UTC converted back.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from velo.ingest.contract import ADVENTUREWORKS
from velo.simulator.adventureworks import MAPPING, MICROSOFT_TABLES, QUIRKS
from velo.simulator.aw_readers import find_table_file, read_table

INSTALL_SQL = Path(__file__).parent / "fixtures" / "adventureworks-for-postgres" / "install.sql"
XML_COLUMNS = {"AdditionalContactInfo", "Demographics"}  # surveys: not read by the platform


def install_text() -> str:
    return INSTALL_SQL.read_text(encoding="latin-1")


def _native_names() -> list[tuple[str, str]]:
    """(schema, Microsoft table name) of every table the platform reads."""
    return [(t.schema or "", MAPPING[t.name].source) for t in ADVENTUREWORKS]


def create_table_statements(text: str) -> list[str]:
    """install.sql's domains, schemas and CREATE TABLEs for the tables the platform reads."""
    statements = ['CREATE EXTENSION IF NOT EXISTS "uuid-ossp"']
    statements += [m.group(0).rstrip(";") for m in re.finditer(r"CREATE DOMAIN [^;]+;", text)]
    statements += [f"CREATE SCHEMA {schema}" for schema in sorted({s for s, _ in _native_names()})]
    for schema, name in _native_names():
        match = re.search(rf"\n  CREATE TABLE {name}\((.*?)\n  \)", text, re.S)
        assert match, f"install.sql defines no table {name}"
        statements.append(f"CREATE TABLE {schema}.{name}({match.group(1)}\n)")
    return statements


def finishing_statements(text: str) -> list[str]:
    """install.sql's drops of the computed columns and primary keys, for those tables."""
    statements = []
    for schema, name in _native_names():
        qualified = rf"{schema}\.{name}\b"
        statements += [
            m.group(0).rstrip(";")
            for m in re.finditer(rf"ALTER TABLE {qualified} DROP COLUMN \w+;", text, re.I)
        ]
        key = re.search(
            rf"ALTER TABLE {qualified} ADD\s+CONSTRAINT \"PK_\w+\" PRIMARY KEY\s+\([^)]*\);",
            text,
            re.I,
        )
        assert key, f"install.sql declares no primary key for {name}"
        statements.append(key.group(0).rstrip(";"))
    return statements


def _copy_value(source: str, column: str, value: str) -> str | None:
    if value == "" or column in XML_COLUMNS:
        return None
    if column == "SpatialLocation":
        return "\\x" + value
    table = source.lower()
    quirk = QUIRKS.get((table, column.lower()))
    return quirk.parse(value).isoformat(sep=" ") if quirk else value


def copy_rows(conn: psycopg.Connection, source_dir: Path, schema: str, name: str) -> int:
    source = MICROSOFT_TABLES[name]
    path = find_table_file(source_dir, name)
    assert path, f"no export of {name} in {source_dir}"
    raw = read_table(path, source.columns, allow_cut=source.truncated_copy)
    if source.truncated_copy and not raw.terminated:
        raw = raw.without_last_row()  # a truncated copy's cut-off last record
    with conn.cursor().copy(f"COPY {schema}.{name} ({', '.join(source.columns)}) FROM STDIN") as c:
        for fields in raw.rows:
            c.write_row(
                [_copy_value(name, col, v) for col, v in zip(source.columns, fields, strict=True)]
            )
    return len(raw.rows)


def create_native_adventureworks(url: str, source_dir: Path) -> dict[str, int]:
    """Create and fill the AdventureWorks-for-Postgres tables the platform reads; rows per table."""
    text = install_text()
    counts = {}
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("SET datestyle = 'ISO, DMY'")  # WorkOrder's dates are dd-mm-yyyy
        for statement in create_table_statements(text):
            conn.execute(statement)
        for schema, name in _native_names():
            counts[name] = copy_rows(conn, source_dir, schema, name)
        for statement in finishing_statements(text):
            conn.execute(statement)
    return counts
