"""Every path that opens DuckDB carries the configured memory limit, threads and spill directory.

dbt's path: tests/warehouse/test_warehouse_build.py (it shares that module's built project)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from velo.duckdb_config import SPILL_DIR, connect_duckdb
from velo.ingest.runner import make_pipeline
from velo.serving.publish import open_serving
from velo.serving.warehouse_read import open_reader
from velo.settings import Settings

MEMORY_LIMIT = "321MB"
THREADS = 1
PROBE = (
    "select current_setting('memory_limit'), current_setting('threads'), "
    "current_setting('temp_directory')"
)


@pytest.fixture
def limited(settings: Settings) -> Settings:
    return settings.with_overrides(duckdb_memory_limit=MEMORY_LIMIT, duckdb_threads=THREADS)


def shown(memory_limit: str) -> str:
    """How DuckDB itself reports a memory limit (it shows sizes in its own units)."""
    with duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        (limit,) = con.execute("select current_setting('memory_limit')").fetchone()
    return limit


def expected(settings: Settings) -> tuple[str, int, str]:
    return shown(MEMORY_LIMIT), THREADS, str(Path(settings.state_dir) / SPILL_DIR)


def probe(con: duckdb.DuckDBPyConnection) -> tuple[str, int, str]:
    limit, threads, temp = con.execute(PROBE).fetchone()
    return limit, int(threads), temp


def test_default_limit_is_2gb_not_duckdbs_share_of_ram(settings: Settings):
    with connect_duckdb(settings, ":memory:") as con, duckdb.connect() as duckdbs_default:
        limit = probe(con)[0]
        assert limit == shown("2GB")
        assert limit != probe(duckdbs_default)[0]


def test_benches_publish_and_readers_carry_the_limit(limited: Settings, served: Settings):
    warehouse = Path(limited.warehouse_path)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with connect_duckdb(limited, warehouse) as con:  # the benches' path
        assert probe(con) == expected(limited)
    with open_reader(limited, warehouse.with_name("serving-a.duckdb")) as reader:  # publish
        assert probe(reader.serving) == expected(limited)
    remote = limited.with_overrides(warehouse="postgres", warehouse_url="postgresql://u@h/db")
    # A remote warehouse's reader opens only the serving file until it first reads.
    with open_reader(remote, warehouse.with_name("serving-b.duckdb")) as reader:
        assert probe(reader.serving) == expected(limited)
    readers = served.with_overrides(duckdb_memory_limit=MEMORY_LIMIT, duckdb_threads=THREADS)
    with open_serving(readers) as con:  # dashboard and answers
        assert probe(con) == expected(readers)


def test_dlt_destination_carries_the_limit(limited: Settings):
    pipeline = make_pipeline(limited, "fx")
    with pipeline.sql_client() as client:
        limit, threads, temp = client.execute_sql(PROBE)[0]
    assert (limit, int(threads), temp) == expected(limited)
