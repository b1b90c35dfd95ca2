"""Trust under change, on real dbt builds of one small company (built and published once, shared
by the module's tests; each test leaves it built, published and equal to its source again):

- the publish gate remembers a failed node across later dbt invocations: a green subset build
  (the hourly FX refresh's, `velo transform --select`, `velo dbt -- ...`) after a failed build
  does not open it; a build that runs the node again and passes does;
- a row dated 2099 in the operations DB does not hold back the incremental cursor;
- `velo reconcile` and the Dagster check `reconciles_with_source` report a served figure that
  differs from the source by more than a cent.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import sqlalchemy as sa
from changes import FUTURE, T
from click.testing import Result
from rich.console import Console
from typer.testing import CliRunner
from warehouse_helpers import create_company, settings_in, warehouse_rows

from velo.cli import app
from velo.errors import VeloError
from velo.ingest import run_ingest
from velo.orchestration.alerts import alert_messages, digest_run
from velo.orchestration.resources import SettingsResource
from velo.orchestration.run import run_platform
from velo.orchestration.serving import build_serving_asset, reconciles_with_source
from velo.runtime import resolve_clock
from velo.serving.publish import publish
from velo.settings import Settings
from velo.simulator.bulk import open_engine
from velo.simulator.clock import read_sim_clock
from velo.warehouse.run_results import last_build
from velo.warehouse.runner import TransformError, transform

pytestmark = pytest.mark.slow
CATEGORY_TEST = "unique_stg_operations__product_category_product_category_id"
FX_TEST = (
    "velo_utils_unique_combination_stg_fx__fx_rates_rate_timestamp__base_currency__quote_currency"
)
FX_MODELS = "+fct_fx_rates_hourly"
Velo = Callable[..., Result]


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A small company through the real path: loaded, built and published on its clock."""
    settings = settings_in(tmp_path_factory.mktemp("gate") / "data")
    create_company(settings)
    live = resolve_clock(settings)
    transform(live, echo=False)
    publish(live)
    return live


@pytest.fixture
def velo(company: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Velo]:
    """The `velo` CLI on the company's data directory (as a user would run it there)."""
    import os

    for name in list(os.environ):
        if name.startswith("VELO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VELO_DATA_DIR", str(company.data_dir))
    monkeypatch.chdir(company.data_dir)

    def run(*args: str) -> Result:
        return CliRunner().invoke(app, list(args))

    yield run


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def warehouse_execute(settings: Settings, *statements: str) -> None:
    with duckdb.connect(str(settings.warehouse_path)) as con:
        for statement in statements:
            con.execute(statement)


def assert_refused_in_one_line(result: Result, names: str) -> None:
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error:") and names in line, line
    assert "the serving DB was left as it was" in line


def test_a_green_subset_build_after_a_failed_build_does_not_open_the_gate(
    company: Settings, velo: Velo
) -> None:
    served = digest(company.serving_path)
    # A product category twice in raw: the staging unique test fails, what depends on it skips.
    warehouse_execute(
        company,
        "insert into raw.productcategory select * replace ('Twice' as name) "
        "from raw.productcategory limit 1",
    )
    with pytest.raises(TransformError, match=CATEGORY_TEST):
        transform(company, echo=False)

    # The hourly FX refresh in Dagster: its dbt build of the FX models passes, its publish is
    # refused (the last run_results.json alone would have let it through).
    with pytest.raises(VeloError, match=f"serving_fx_rates: .*{CATEGORY_TEST}"):
        run_platform(company, only="fx", console=Console(file=io.StringIO()), answers=False)
    fx_build = last_build(company)
    assert fx_build is not None and fx_build["results"]
    assert {item["status"] for item in fx_build["results"]} <= {"success", "pass"}
    assert not any("product" in item["unique_id"] for item in fx_build["results"])

    # Green subset builds from the CLI, then `velo publish`.
    assert velo("transform", "--select", FX_MODELS).exit_code == 0
    assert velo("dbt", "--", "test", "--select", "fct_fx_rates_hourly").exit_code == 0
    assert_refused_in_one_line(velo("publish"), f"{CATEGORY_TEST} (fail)")
    assert digest(company.serving_path) == served

    # Fixed at the source of the failure and built again: published.
    warehouse_execute(company, "delete from raw.productcategory where name = 'Twice'")
    assert velo("transform").exit_code == 0
    assert velo("publish").exit_code == 0
    assert digest(company.serving_path) != served


def test_a_failed_fx_test_blocks_the_fx_refresh_until_fx_passes_again(
    company: Settings, velo: Velo
) -> None:
    # With every node passed, the hourly FX refresh publishes (its dbt build is a subset).
    run_platform(company, only="fx", console=Console(file=io.StringIO()), answers=False)
    served = digest(company.serving_path)
    # An FX hour twice in raw: the FX mart's unique test fails.
    warehouse_execute(
        company,
        "insert into raw.fx_rates select * from raw.fx_rates "
        "where rate_at = (select min(rate_at) from raw.fx_rates)",
    )
    assert velo("transform", "--select", FX_MODELS).exit_code == 1
    # A green build of other models does not clear it.
    assert velo("transform", "--select", "stg_operations__product_category").exit_code == 0
    assert_refused_in_one_line(velo("publish"), f"{FX_TEST} (fail)")
    with pytest.raises(VeloError, match=FX_TEST):
        run_platform(company, only="fx", console=Console(file=io.StringIO()), answers=False)
    assert digest(company.serving_path) == served

    warehouse_execute(
        company,
        "create temporary table rates as select distinct * from raw.fx_rates",
        "delete from raw.fx_rates",
        "insert into raw.fx_rates select * from rates",
    )
    assert velo("transform", "--select", FX_MODELS).exit_code == 0
    assert velo("publish").exit_code == 0


def ops_execute(settings: Settings, statement: sa.Executable) -> None:
    engine = open_engine(settings.ops_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(statement)
    finally:
        engine.dispose()


def revenue_order_ids(settings: Settings, count: int) -> list[int]:
    """Orders whose lines the built marts count as revenue."""
    rows = warehouse_rows(
        settings,
        "select distinct sales_order_id from marts.obt_sales_order_lines "
        "where is_revenue_status order by 1 limit ?",
        [count],
    )
    return [order_id for (order_id,) in rows]


def reject(order_id: int, modified: object) -> sa.Executable:
    header = T["salesorderheader"]
    return (
        header.update()
        .where(header.c.salesorderid == order_id)
        .values(status=4, modifieddate=modified)
    )


def raw_status(settings: Settings, order_id: int) -> int:
    ((status,),) = warehouse_rows(
        settings, "select status from raw.salesorderheader where salesorderid = ?", [order_id]
    )
    return status


def test_a_row_dated_2099_does_not_hold_back_the_incremental_cursor(company: Settings) -> None:
    typo, later = revenue_order_ids(company, 2)
    ops_execute(company, reject(typo, FUTURE))

    # The load alone (no reconciliation with the source): the row after the clock is not read.
    (report,) = run_ingest(company, ["operations"], reconcile=False)
    assert report.rows_read["salesorderheader"] == 0
    assert raw_status(company, typo) != 4
    # The reconciliation reads it by key; then the build.
    run_ingest(company, ["operations"])
    assert raw_status(company, typo) == 4
    transform(company, echo=False)

    # An ordinary change a minute before the clock, after the 2099 row: the cursor reads it.
    ops_execute(company, reject(later, read_sim_clock(company.ops_db_url) - timedelta(minutes=1)))
    (report,) = run_ingest(company, ["operations"], reconcile=False)
    assert report.rows_read["salesorderheader"] == 1
    assert raw_status(company, later) == 4
    transform(company, echo=False)
    revenue = warehouse_rows(
        company,
        "select distinct sales_order_id, is_revenue_status from marts.obt_sales_order_lines "
        "where sales_order_id in (?, ?) order by 1",
        [typo, later],
    )
    assert revenue == sorted([(typo, False), (later, False)])
    publish(company)


def tamper_served_revenue(settings: Settings, amount: float) -> str:
    """Add ``amount`` to one served revenue line of a month the figures cover; its month."""
    with duckdb.connect(str(settings.serving_path)) as con:
        line, month = con.execute(
            "select sales_order_line_id, strftime(order_date, '%Y-%m') "
            "from marts.obt_sales_order_lines where is_revenue_status and order_date < ? "
            "order by order_date desc limit 1",
            [settings.clock],
        ).fetchone()
        con.execute(
            "update marts.obt_sales_order_lines set revenue = revenue + ? "
            "where sales_order_line_id = ?",
            [amount, line],
        )
    return month


@pytest.fixture
def tampered_copy(company: Settings) -> Iterator[Path]:
    """The published serving file, put back after the test tampers with it."""
    kept = Path(company.serving_path).with_name("published.duckdb")
    shutil.copyfile(company.serving_path, kept)
    yield kept
    shutil.copyfile(kept, company.serving_path)
    kept.unlink()


def test_velo_reconcile_exits_1_naming_a_figure_off_by_more_than_a_cent(
    company: Settings, velo: Velo, tampered_copy: Path
) -> None:
    equal = velo("reconcile")
    assert equal.exit_code == 0, equal.output
    tamper_served_revenue(company, 0.004)  # within a cent
    assert velo("reconcile").exit_code == 0
    month = tamper_served_revenue(company, 5.0)

    differs = velo("reconcile")

    assert differs.exit_code == 1
    assert "revenue per month" in differs.output and month in differs.output
    assert "Traceback" not in differs.output


def test_the_reconciles_with_source_check_fails_and_is_alerted(
    company: Settings, tampered_copy: Path
) -> None:
    month = tamper_served_revenue(company, 5.0)
    job = dg.Definitions(
        assets=[build_serving_asset([], company.dashboard_url)],
        asset_checks=[reconciles_with_source],
        resources={"velo": SettingsResource.from_settings(company)},
        jobs=[
            dg.define_asset_job(
                "reconcile", selection=dg.AssetSelection.checks(reconciles_with_source)
            )
        ],
    ).resolve_job_def("reconcile")
    instance = dg.DagsterInstance.ephemeral()

    result = job.execute_in_process(instance=instance, raise_on_error=False)

    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert f"revenue per month {month}" in check.metadata["differences"].value
    digest_of_run = digest_run(instance, result.dagster_run)
    assert digest_of_run.checks_failed == ["serving_db:reconciles_with_source"]
    assert "failed checks: serving_db:reconciles_with_source" in alert_messages(digest_of_run)[0]
