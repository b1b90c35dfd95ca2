"""The operations pipeline against real databases: SQLite and the suite's PostgreSQL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa
from ingest_helpers import (
    CHANGING_TABLES,
    REFERENCE_TABLES,
    advance,
    changed_since,
    duplicate_keys,
    latest_modified,
    raw_counts,
    raw_query,
    source_counts,
)

from velo.errors import VeloError
from velo.ingest import run_ingest
from velo.ingest.common import pipeline_name, pipelines_dir
from velo.settings import Settings
from velo.simulator import schema
from velo.simulator.bulk import open_engine


def ingest_operations(settings: Settings):
    (report,) = run_ingest(settings, ["operations"])
    return report


def assert_raw_equals_source(settings: Settings) -> None:
    assert raw_counts(settings) == source_counts(settings)
    assert duplicate_keys(settings) == {}


def order_statuses(settings: Settings) -> dict[int, int]:
    engine = open_engine(settings.ops_db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(schema.sales_order_header.c.salesorderid, schema.sales_order_header.c.status)
        ).all()
    engine.dispose()
    return dict(rows)


def check_ticks_arrive(settings: Settings, ticks: int) -> None:
    """Ingest after each tick: only changed rows are read, and raw ends equal to the source."""
    first = ingest_operations(settings)
    assert first.rows_read == {**source_counts(settings)}
    assert_raw_equals_source(settings)
    for _ in range(ticks):
        before = latest_modified(settings)
        advance(settings)
        report = ingest_operations(settings)
        changed = changed_since(settings, before)
        assert any(changed.values())
        assert {t: report.rows_read[t] for t in CHANGING_TABLES} == changed
        # a tick changes no reference table: none is read again
        assert {t: report.rows_read[t] for t in REFERENCE_TABLES} == dict.fromkeys(
            REFERENCE_TABLES, 0
        )
        assert_raw_equals_source(settings)
    statuses = dict(raw_query(settings, "select salesorderid, status from raw.salesorderheader"))
    assert statuses == order_statuses(settings)


def test_ticks_arrive_incrementally_from_sqlite(company: Settings) -> None:
    check_ticks_arrive(company, ticks=3)


@pytest.mark.postgres
def test_ticks_arrive_incrementally_from_postgres(pg_company: Settings) -> None:
    check_ticks_arrive(pg_company, ticks=2)


def test_loaded_packages_keep_their_record_but_not_a_copy_of_the_rows(company: Settings) -> None:
    """raw holds the rows: dlt's loaded packages would otherwise keep every row loaded twice."""
    ingest_operations(company)
    advance(company)
    ingest_operations(company)
    loaded = sorted((pipelines_dir(company) / pipeline_name("operations")).glob("load/loaded/*"))
    assert len(loaded) == 2
    assert all((package / "schema.json").is_file() for package in loaded)
    assert [path for package in loaded for path in package.rglob("*.parquet")] == []
    assert_raw_equals_source(company)


def load_ids(settings: Settings) -> dict[str, list[tuple]]:
    """Each raw table's dlt load ids: which loads wrote the rows it holds."""
    return {
        name: raw_query(settings, f"select distinct _dlt_load_id from raw.{name} order by 1")
        for name in schema.COMPANY_TABLES
    }


def test_unchanged_source_reads_and_adds_nothing(company: Settings) -> None:
    ingest_operations(company)
    before = load_ids(company)
    report = ingest_operations(company)
    assert report.rows_read == dict.fromkeys(schema.COMPANY_TABLES, 0)
    assert report.rows_loaded == 0
    assert load_ids(company) == before  # not a row of raw rewritten, reference tables included
    assert_raw_equals_source(company)


def rename_category(settings: Settings, category_id: int, name: str) -> None:
    """A change in a reference table, without a modifieddate bump (none is needed there)."""
    engine = open_engine(settings.ops_db_url)
    with engine.begin() as conn:
        conn.execute(
            sa.update(schema.TABLES["productcategory"])
            .where(schema.TABLES["productcategory"].c.productcategoryid == category_id)
            .values(name=name)
        )
    engine.dispose()


def test_a_changed_reference_table_alone_is_read_again(company: Settings) -> None:
    ingest_operations(company)
    before = load_ids(company)
    rename_category(company, 1, "Bicycles")

    report = ingest_operations(company)

    assert report.rows_read == {
        **dict.fromkeys(schema.COMPANY_TABLES, 0),
        "productcategory": source_counts(company)["productcategory"],
    }
    after = load_ids(company)
    assert after["productcategory"] != before["productcategory"]
    assert {t: ids for t, ids in after.items() if t != "productcategory"} == {
        t: ids for t, ids in before.items() if t != "productcategory"
    }
    names = dict(raw_query(company, "select productcategoryid, name from raw.productcategory"))
    assert names[1] == "Bicycles"
    assert_raw_equals_source(company)


def test_full_refresh_reloads_unchanged_reference_tables(company: Settings) -> None:
    """A full refresh drops the source's raw tables first: the unchanged ones are read again
    rather than lost."""
    ingest_operations(company)
    (report,) = run_ingest(company, ["operations"], full_refresh=True)
    assert report.rows_read == source_counts(company)
    assert_raw_equals_source(company)


def test_changed_rows_are_selected_in_sql(
    company: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cursor filter is pushed down: the database itself returns only changed rows."""
    import connectorx

    ingest_operations(company)
    advance(company)
    statements: list[str] = []
    read_sql = connectorx.read_sql

    def recording_read_sql(conn, query, *args, **kwargs):
        statements.append(" ".join(query.split()))
        return read_sql(conn, query, *args, **kwargs)

    monkeypatch.setattr(connectorx, "read_sql", recording_read_sql)
    # the load alone: the reconciliation after it reads whole tables on purpose
    run_ingest(company, ["operations"], reconcile=False)
    selects = {
        name: [s for s in statements if f"FROM {name} " in s + " "]
        for name in schema.COMPANY_TABLES
    }
    for name in CHANGING_TABLES:
        assert selects[name] and all(
            f"WHERE {name}.modifieddate > '" in s for s in selects[name]
        ), name
    for name in REFERENCE_TABLES:  # unchanged since the first load: not read again
        assert not selects[name], name
    assert not any("sim_state" in s for s in statements)


def test_rows_carry_their_load_time(company: Settings) -> None:
    ingest_operations(company)
    for name in schema.COMPANY_TABLES:
        nulls = raw_query(company, f"select count(*) from raw.{name} where _loaded_at is null")
        assert nulls == [(0,)], name
    types = dict(
        raw_query(
            company,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'salesorderheader'",
        )
    )
    assert types["totaldue"] == "DECIMAL(38,9)"  # unbounded numeric, as in AdventureWorks
    assert types["orderdate"] == "TIMESTAMP"
    assert {"_loaded_at", "_dlt_load_id"} <= types.keys()
    assert raw_query(
        company,
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'sim_state'",
    ) == [(0,)]


# Runs the operations ingest in a child process that SIGKILLs itself part way through.
KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from velo.ingest import run_ingest
    from velo.settings import load_settings

    where = sys.argv[1]
    if where == "extract":
        from dlt.sources.sql_database.helpers import get_table_loader_class
        from velo.ingest.operations import DEFAULT_BACKEND
        TableLoader = get_table_loader_class(DEFAULT_BACKEND)
        original, calls = TableLoader.load_rows, []

        def load_rows(self, *args, **kwargs):
            calls.append(1)
            if len(calls) == 8:  # some tables extracted, others not
                os.kill(os.getpid(), signal.SIGKILL)
            yield from original(self, *args, **kwargs)

        TableLoader.load_rows = load_rows
    elif where == "normalize":
        # After normalize's commit (the rename into `normalized`), before the extracted copy
        # is deleted: the only window where a package exists twice.
        from dlt.common.storages import LoadStorage
        original = LoadStorage.commit_new_load_package

        def commit_new_load_package(self, load_id):
            original(self, load_id)
            os.kill(os.getpid(), signal.SIGKILL)

        LoadStorage.commit_new_load_package = commit_new_load_package
    else:
        from dlt.load.load import Load
        original = Load.complete_jobs

        def complete_jobs(self, *args, **kwargs):
            remaining, finished, error = original(self, *args, **kwargs)
            if finished:  # some tables loaded, others not yet
                os.kill(os.getpid(), signal.SIGKILL)
            return remaining, finished, error

        Load.complete_jobs = complete_jobs
    run_ingest(load_settings(), ["operations"])
    """
)


@pytest.mark.parametrize("where", ["extract", "normalize", "load"])
def test_killed_run_then_rerun_leaves_no_loss_and_no_duplicates(
    company: Settings, where: str
) -> None:
    ingest_operations(company)
    advance(company)
    env = {**os.environ, "VELO_OPS_DB_URL": company.ops_db_url}
    child = subprocess.run([sys.executable, "-c", KILLER, where], env=env, capture_output=True)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    advance(company)
    ingest_operations(company)
    assert_raw_equals_source(company)
    statuses = dict(raw_query(company, "select salesorderid, status from raw.salesorderheader"))
    assert statuses == order_statuses(company)


def test_new_source_column_loads_and_is_reported(company: Settings) -> None:
    ingest_operations(company)
    engine = open_engine(company.ops_db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("alter table product add column weight_kg numeric(8, 2)"))
        conn.execute(
            sa.text(
                "update product set weight_kg = 8.5, modifieddate = "
                "datetime((select value from sim_state where key = 'now')) "
                "where productid = (select min(productid) from product)"
            )
        )
    engine.dispose()
    report = ingest_operations(company)
    assert report.new_columns == {"product": ["weight_kg"]}
    assert report.rows_read["product"] == 1
    assert raw_query(company, "select count(*) from raw.product where weight_kg = 8.5") == [(1,)]
    assert_raw_equals_source(company)


def test_missing_table_is_named(company: Settings) -> None:
    engine = open_engine(company.ops_db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("drop table workorder"))
    engine.dispose()
    with pytest.raises(
        VeloError, match=r"operations DB sqlite:///.*ops\.db has no table workorder"
    ):
        run_ingest(company, ["operations"])


def test_missing_sqlite_file_is_named(settings: Settings) -> None:
    with pytest.raises(VeloError, match=r"operations DB sqlite:///.*ops\.db does not exist"):
        run_ingest(settings, ["operations"])


@pytest.mark.postgres
def test_unreachable_postgres_is_named_without_password(settings: Settings, pg_url: str) -> None:
    url = sa.make_url(pg_url).set(password="s3cret-pw", port=1)
    broken = settings.with_overrides(ops_db_url=url.render_as_string(hide_password=False))
    with pytest.raises(VeloError, match="unreachable") as caught:
        run_ingest(broken, ["operations"])
    assert "s3cret-pw" not in str(caught.value)
    assert ":****@" in str(caught.value)


@pytest.mark.postgres
def test_postgres_warehouse(company: Settings, pg_url: str) -> None:
    """The same pipeline into dlt's PostgreSQL destination (warehouse = "postgres")."""
    settings = company.with_overrides(warehouse="postgres", warehouse_url=pg_url)
    ingest_operations(settings)
    advance(settings)
    report = ingest_operations(settings)
    assert report.rows_read["salesorderheader"] > 0
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        counts = {
            name: conn.execute(sa.text(f"select count(*) from raw.{name}")).scalar_one()
            for name in schema.COMPANY_TABLES
        }
        money = conn.execute(
            sa.text(
                "select data_type, numeric_precision, numeric_scale from information_schema.columns"
                " where table_schema = 'raw' and table_name = 'salesorderheader'"
                " and column_name = 'totaldue'"
            )
        ).one()
    engine.dispose()
    assert counts == source_counts(settings)
    # AdventureWorks money is unbounded numeric: dlt's default decimal(38, 9) keeps it exactly
    assert tuple(money) == ("numeric", 38, 9)


def test_cli_prints_rows_read_per_table_and_fails_clearly(
    company: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from velo.cli import app

    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["ingest", "operations"])
    assert result.exit_code == 0, result.output
    assert "ingest operations" in result.output
    lines = source_counts(company)["salesorderdetail"]
    assert re.search(rf"│ salesorderdetail\s+│\s+{lines} │", result.output)

    monkeypatch.setenv("VELO_OPS_DB_URL", "sqlite:///nowhere/ops.db")
    result = CliRunner().invoke(app, ["ingest", "operations"])
    assert result.exit_code == 1
    assert re.search(
        r"operations: operations DB sqlite:///\S*/nowhere/ops\.db does not exist", result.output
    )
    assert "Traceback" not in result.output
