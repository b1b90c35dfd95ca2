"""The source contract (configurable tables, keys, cursors) and the source's identity: raw never
mixes two companies, whichever order the databases come in."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from ingest_helpers import make_company, raw_counts, raw_query, source_counts
from typer.testing import CliRunner

from velo.cli import app
from velo.errors import VeloError
from velo.ingest import run_ingest
from velo.ingest.contract import ADVENTUREWORKS, source_contract
from velo.settings import ConfigError, Settings
from velo.simulator.adventureworks import default_source_dir, load_adventureworks
from velo.simulator.bulk import open_engine
from velo.simulator.company import init_company
from velo.warehouse.rebuild import requested_rebuild

AW_ORDERS = 31_465  # SalesOrderHeader rows of the shipped AdventureWorks 2014 copy


def ingest_operations(settings: Settings):
    (report,) = run_ingest(settings, ["operations"])
    return report


def execute(url: str, *statements: str) -> None:
    engine = open_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


# --- the contract ----------------------------------------------------------------------------


def test_default_contract_is_adventureworks_own_layout(settings: Settings) -> None:
    by_name = {t.name: t for t in source_contract(settings)}
    orders = by_name["salesorderheader"]
    assert (orders.schema, orders.primary_key, orders.cursor, orders.strategy) == (
        "sales",
        ("salesorderid",),
        "modifieddate",
        "merge",
    )
    assert by_name["salesorderdetail"].primary_key == ("salesorderid", "salesorderdetailid")
    assert by_name["countryregion"].strategy == "replace"
    assert {t.schema for t in by_name.values()} == {"person", "production", "sales"}


def test_config_shows_the_contract_and_its_changes(data_dir, monkeypatch) -> None:
    monkeypatch.setenv("VELO_SOURCE_TABLES_DROP", "production.workorder")
    monkeypatch.setenv("VELO_SOURCE_TABLES_ADD", "sales.currencyrate, sales.currency:-")
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "#   sales.salesorderheader key=salesorderid cursor=modifieddate load=merge" in (
        result.output
    )
    assert "#   sales.currencyrate key=(reflected) cursor=modifieddate load=merge" in result.output
    assert "#   sales.currency key=(reflected) load=replace" in result.output
    assert "workorder" not in result.output.split("# operations source contract")[1]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("VELO_SOURCE_TABLES_DROP", "nosuchtable", "no table 'nosuchtable' in the source contract"),
        ("VELO_SOURCE_TABLES_ADD", "a:b:c:d", "'a:b:c:d' is not schema.table:cursor:key+key"),
    ],
)
def test_bad_contract_configuration_is_one_line(
    data_dir, monkeypatch, variable, value, message
) -> None:
    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_added_and_dropped_tables_change_what_raw_holds(settings: Settings) -> None:
    company = make_company(settings)
    execute(
        company.ops_db_url,
        "create table shipmethod (shipmethodid integer primary key, name varchar(50), "
        "modifieddate timestamp not null)",
        "insert into shipmethod values (1, 'XRQ - TRUCK GROUND', '2024-03-01 00:00:00'), "
        "(2, 'ZY - EXPRESS', '2024-03-02 00:00:00')",
        # a table without a primary key: merged on the key the configuration declares
        "create table currencyrate (currencyrateid integer, rate numeric, "
        "modifieddate timestamp not null)",
        "insert into currencyrate values (7, 1.1, '2024-03-01 00:00:00')",
    )
    configured = company.with_overrides(
        source_tables_add=(
            "purchasing.shipmethod",
            "sales.currencyrate:modifieddate:currencyrateid",
        ),
        source_tables_drop=("workorder",),
    )
    report = ingest_operations(configured)
    assert report.rows_read["shipmethod"] == 2 and report.rows_read["currencyrate"] == 1
    assert "workorder" not in report.rows_read
    assert raw_query(configured, "select name from raw.shipmethod order by 1") == [
        ("XRQ - TRUCK GROUND",),
        ("ZY - EXPRESS",),
    ]
    execute(
        company.ops_db_url,
        "update shipmethod set name = 'CARGO TRANSPORT 5', modifieddate = '2024-04-01 00:00:00' "
        "where shipmethodid = 2",
    )
    again = ingest_operations(configured)
    assert again.rows_read["shipmethod"] == 1  # incremental on modifieddate, merged on the key
    assert raw_query(configured, "select name from raw.shipmethod where shipmethodid = 2") == [
        ("CARGO TRANSPORT 5",)
    ]


def test_merge_table_without_any_key_says_how_to_declare_one(settings: Settings) -> None:
    company = make_company(settings)
    execute(company.ops_db_url, "create table currencyrate (rate numeric, modifieddate timestamp)")
    configured = company.with_overrides(source_tables_add=("sales.currencyrate",))
    with pytest.raises(VeloError, match=r"currencyrate has no primary key; declare one") as caught:
        ingest_operations(configured)
    assert len(str(caught.value).splitlines()) == 1


def test_unknown_drop_is_a_config_error(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="no table 'orders'"):
        source_contract(settings.with_overrides(source_tables_drop=("orders",)))


def test_contract_lists_the_columns_the_platform_reads() -> None:
    for table in ADVENTUREWORKS:
        assert table.columns[-1] == "modifieddate" and set(table.primary_key) <= set(table.columns)


# --- source identity --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adventureworks_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped AdventureWorks 2014 loaded once into SQLite (copied by each test)."""
    directory = tmp_path_factory.mktemp("aw")
    url = f"sqlite:///{directory / 'aw.db'}"
    load_adventureworks(_bare_settings(directory), default_source_dir(), url)
    return directory / "aw.db"


def _bare_settings(directory: Path) -> Settings:
    from velo.settings import load_settings

    return load_settings(env={"VELO_DATA_DIR": str(directory / "data")}, cwd=directory)


def raw_order_range(settings: Settings) -> tuple[int, datetime, datetime]:
    ((count, first, last),) = raw_query(
        settings, "select count(*), min(orderdate), max(orderdate) from raw.salesorderheader"
    )
    return count, first, last


def test_simulated_then_adventureworks_reloads_raw_in_full(
    settings: Settings, adventureworks_db: Path
) -> None:
    simulated = make_company(settings)
    ingest_operations(simulated)
    assert raw_order_range(simulated)[1].year == 2024

    copy = settings.data_dir / "aw.db"
    shutil.copy(adventureworks_db, copy)
    real = simulated.with_overrides(ops_db_url=f"sqlite:///{copy}")
    report = ingest_operations(real)
    assert report.rows_read["salesorderheader"] == AW_ORDERS
    assert raw_order_range(real) == (AW_ORDERS, datetime(2011, 5, 31), datetime(2014, 6, 30))
    assert raw_counts(real) == source_counts(real)  # nothing of the simulated company is left
    # ... nor will be in the warehouse: its next build starts from scratch.
    assert "-> sqlite:" in (requested_rebuild(real) or "")


def test_adventureworks_then_recreated_simulated_company_reloads_raw_in_full(
    settings: Settings, adventureworks_db: Path
) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(adventureworks_db, settings.data_dir / "ops.db")  # the default ops_db_url
    ingest_operations(settings)
    assert raw_order_range(settings)[0] == AW_ORDERS

    # The simulator re-creates the database at the same URL: another company.
    init_company(settings, days=30, scale=0.02, seed=7, as_of=datetime(2024, 3, 31).date())
    report = ingest_operations(settings)
    assert report.rows_read["salesorderheader"] == source_counts(settings)["salesorderheader"]
    count, first, _ = raw_order_range(settings)
    assert first.year == 2024 and count == source_counts(settings)["salesorderheader"]
    assert raw_counts(settings) == source_counts(settings)
    assert (requested_rebuild(settings) or "").endswith("holds a re-created company")


def test_same_source_after_a_restart_stays_incremental(settings: Settings) -> None:
    company = make_company(settings)
    ingest_operations(company)
    # A new process: nothing but state_dir carries the identity over.
    report = ingest_operations(company.with_overrides())
    assert report.rows_read["salesorderheader"] == 0
    assert (company.state_dir / "operations_source.json").is_file()
    assert requested_rebuild(company) is None  # a first load, then the same source: no rebuild
