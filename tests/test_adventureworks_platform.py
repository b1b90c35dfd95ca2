"""End to end on real data: Microsoft's AdventureWorks 2014 through the whole platform.

Load the shipped files into the operations DB, run the platform as `velo run --as-of 2014-06-30`
does, then check the dbt build, the answers against SQL on the operations DB, and the dashboard.
The dataset ships with the project (velo/simulator/datasets): without it this test fails, never
skips. The same data in a native AdventureWorks-for-Postgres database gives the same answers.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from dashboard.conftest import APP
from dashboard.test_pages import assert_clean, charts, kpis
from native_adventureworks import create_native_adventureworks
from rich.console import Console
from source_answers import recorded
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from velo.cli import app
from velo.errors import UsageError
from velo.orchestration.progress import RunOutcome
from velo.orchestration.run import run_platform
from velo.serving.report import show_answers
from velo.settings import Settings, load_settings
from velo.simulator.adventureworks import MAPPING, default_source_dir, load_adventureworks
from velo.simulator.bulk import open_engine
from velo.warehouse.runner import dbt_target_dir

pytestmark = pytest.mark.slow

AS_OF = date(2014, 6, 30)
MAY_2014 = ("2014-05-01", "2014-06-01")  # [start, end)
WINDOW = ("2013-06-01", "2014-06-01")  # the answers' ranking window: 12 months ending with May
REVENUE_LINE = "d.orderqty * d.unitprice * (1 - d.unitpricediscount)"
SOLD = (
    "FROM salesorderdetail d JOIN salesorderheader h ON h.salesorderid = d.salesorderid "
    "WHERE h.status NOT IN (4, 6) AND h.orderdate >= :start AND h.orderdate < :end"
)
BY_CATEGORY = (
    f"SELECT c.name, sum(d.orderqty) AS units, sum({REVENUE_LINE}) AS revenue "
    "FROM salesorderdetail d JOIN salesorderheader h ON h.salesorderid = d.salesorderid "
    "JOIN product p ON p.productid = d.productid "
    "JOIN productsubcategory s ON s.productsubcategoryid = p.productsubcategoryid "
    "JOIN productcategory c ON c.productcategoryid = s.productcategoryid "
    "WHERE h.status NOT IN (4, 6) AND h.orderdate >= :start AND h.orderdate < :end "
    "GROUP BY c.name ORDER BY units DESC, revenue DESC"
)


def real_dataset() -> Path:
    try:
        return default_source_dir()
    except UsageError as exc:
        pytest.fail(f"the AdventureWorks 2014 dataset is required by this test: {exc}")


def ops_rows(settings: Settings, text: str, start: str, end: str) -> list[sa.Row]:
    engine = open_engine(settings.ops_db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(text), {"start": start, "end": end}))
    finally:
        engine.dispose()


def dbt_results(settings: Settings) -> list[dict]:
    path = dbt_target_dir(settings) / "run_results.json"
    return json.loads(path.read_text())["results"]


def assert_dbt_build_green(settings: Settings) -> None:
    """No node failed or errored; warnings are listed in pytest's summary, not failed on."""
    results = dbt_results(settings)
    assert len(results) > 100  # the whole build, not a partial retry
    by_status: dict[str, list[str]] = {}
    for r in results:
        by_status.setdefault(r["status"], []).append(f"{r['unique_id']}: {r.get('message')}")
    assert not by_status.get("fail") and not by_status.get("error"), by_status
    for line in by_status.get("warn", []):
        warnings.warn(f"dbt test warns on AdventureWorks: {line}", stacklevel=1)


def velo_answers() -> dict:
    result = CliRunner().invoke(app, ["answers", "--as-of", AS_OF.isoformat(), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_answers_match_the_operations_db(settings: Settings, answers: dict) -> None:
    assert answers["last_month"]["start"] == "2014-05-01"
    assert answers["last_month"]["end"] == "2014-05-31"
    ((may_revenue,),) = ops_rows(settings, f"SELECT sum({REVENUE_LINE}) {SOLD}", *MAY_2014)
    assert answers["last_month"]["revenue"] == pytest.approx(may_revenue, abs=0.01)

    # "sold most" is by units: on AdventureWorks, Accessories outsell Bikes in units.
    categories = ops_rows(settings, BY_CATEGORY, *WINDOW)
    assert [(c["category"], c["units"]) for c in answers["top_categories"]] == [
        (row.name, row.units) for row in categories
    ]
    by_revenue = max(answers["top_categories"], key=lambda c: c["revenue"])
    assert by_revenue["category"] == "Bikes"

    states = answers["top_states"]
    assert len(states) == 10
    assert all(s["code"].startswith("US-") for s in states), states
    assert states[0]["code"] == "US-CA"


def assert_dashboard_renders(may_revenue: float) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert_clean(at)
    assert kpis(at)["Revenue, May 2014"] == f"${may_revenue:,.0f}"
    assert len(charts(at)) == 4
    for page in ("pages/profitability.py", "pages/data_health.py"):
        at.switch_page(page).run()
        assert_clean(at)


@dataclass(frozen=True)
class LoaderRun:
    settings: Settings
    loaded: dict[str, int]  # rows per table, as `load_adventureworks` reports them
    outcome: RunOutcome
    answers: dict


def answers_of(settings: Settings) -> dict:
    answers = show_answers(settings, AS_OF, console=Console(file=io.StringIO()))
    answers.pop("clock")  # which clock labelled them (it includes the wall clock's reading)
    return answers


def run_quietly(settings: Settings) -> RunOutcome:
    """`velo run --as-of 2014-06-30` on the settings' operations DB."""
    return run_platform(settings, as_of=AS_OF, console=Console(file=io.StringIO()), answers=False)


@pytest.fixture(scope="module")
def loader_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoaderRun]:
    """AdventureWorks loaded into SQLite by `velo sim load-adventureworks`, then run once: the
    tests below share the run (a minute), in their own data directory."""
    root = tmp_path_factory.mktemp("adventureworks")
    with pytest.MonkeyPatch.context() as env:
        for name in [name for name in os.environ if name.startswith("VELO_")]:
            env.delenv(name)
        env.chdir(root)
        env.setenv("VELO_DATA_DIR", str(root / "data"))
        settings = load_settings()
        loaded = load_adventureworks(settings, real_dataset())
        outcome = run_quietly(settings)
        yield LoaderRun(settings, loaded, outcome, answers_of(settings))


def test_adventureworks_runs_through_the_whole_platform(loader_run: LoaderRun) -> None:
    settings, outcome = loader_run.settings, loader_run.outcome

    assert [run.succeeded for run in outcome.runs] == [True, True]  # the loads, the build
    assert [run.checks_failed for run in outcome.runs] == [[], []]
    assert outcome.rows_read[0]["salesorderdetail"] == 121_317
    assert_dbt_build_green(settings)
    answers = velo_answers()
    assert_answers_match_the_operations_db(settings, answers)
    assert_dashboard_renders(answers["last_month"]["revenue"])


def test_adventureworks_answers_equal_those_recorded_from_the_source(loader_run: LoaderRun) -> None:
    """Every number of the six answers equals the one computed from the sources alone (plain SQL
    on AdventureWorks' tables, the FX API, the landing files; tests/source_answers.py) and
    recorded in tests/recorded; the native PostgreSQL run below must equal these answers too."""
    assert loader_run.answers == recorded("adventureworks-2014-06-30")


@pytest.mark.postgres
def test_native_adventureworks_postgres_gives_the_same_answers_as_the_loader(
    loader_run: LoaderRun, settings: Settings, pg_url: str
) -> None:
    """A real AdventureWorks database, made by AdventureWorks-for-Postgres' own DDL, is read with
    configuration only (ops_db_url): the answers equal those of the same data loaded into SQLite
    by `velo sim load-adventureworks`, to the cent."""
    native_rows = create_native_adventureworks(pg_url, real_dataset())
    native = settings.with_overrides(
        ops_db_url=pg_url,
        clock=datetime(2014, 6, 30, 23, 59, 59),  # a real database has no simulated clock
    )

    outcome = run_quietly(native)

    assert [run.succeeded for run in outcome.runs] == [True, True]  # the loads, the build
    # reconciles_with_source recomputed the figures from the PostgreSQL tables: they match
    assert [run.checks_failed for run in outcome.runs] == [[], []]
    assert {MAPPING[t].source: loader_run.loaded[t] for t in MAPPING} == native_rows
    assert answers_of(native) == loader_run.answers
