"""End to end on real data: Microsoft's AdventureWorks 2014 through the whole platform.

Load the shipped files into the operations DB, run the platform as `velo run --as-of 2014-06-30`
does, then check the dbt build, the answers against SQL on the operations DB, and the dashboard.
The dataset is part of the project (../shared/datasets): without it this test fails, never skips.
"""

from __future__ import annotations

import io
import json
import warnings
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from dashboard.conftest import APP
from dashboard.test_pages import assert_clean, charts, kpis
from rich.console import Console
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from velo.cli import app
from velo.errors import UsageError
from velo.orchestration.run import run_platform
from velo.settings import Settings
from velo.simulator.adventureworks import default_source_dir, load_adventureworks
from velo.warehouse.runner import dbt_target_dir

pytestmark = pytest.mark.slow

AS_OF = date(2014, 6, 30)
MAY_2014 = ("2014-05-01", "2014-06-01")  # [start, end)
WINDOW = ("2013-06-01", "2014-06-01")  # the answers' ranking window: 12 months ending with May
REVENUE_LINE = "d.order_qty * d.unit_price * (1 - d.unit_price_discount)"
SOLD = (
    "FROM sales_order_detail d JOIN sales_order_header h ON h.sales_order_id = d.sales_order_id "
    "WHERE h.status NOT IN (4, 6) AND h.order_date >= :start AND h.order_date < :end"
)
BY_CATEGORY = (
    f"SELECT c.name, sum(d.order_qty) AS units, sum({REVENUE_LINE}) AS revenue "
    "FROM sales_order_detail d JOIN sales_order_header h ON h.sales_order_id = d.sales_order_id "
    "JOIN product p ON p.product_id = d.product_id "
    "JOIN product_subcategory s ON s.product_subcategory_id = p.product_subcategory_id "
    "JOIN product_category c ON c.product_category_id = s.product_category_id "
    "WHERE h.status NOT IN (4, 6) AND h.order_date >= :start AND h.order_date < :end "
    "GROUP BY c.name ORDER BY units DESC, revenue DESC"
)


def real_dataset() -> Path:
    try:
        return default_source_dir()
    except UsageError as exc:
        pytest.fail(f"the AdventureWorks 2014 dataset is required by this test: {exc}")


def ops_rows(settings: Settings, text: str, start: str, end: str) -> list[sa.Row]:
    engine = sa.create_engine(settings.ops_db_url)
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


def test_adventureworks_runs_through_the_whole_platform(settings: Settings) -> None:
    load_adventureworks(settings, real_dataset())

    outcome = run_platform(
        settings, as_of=AS_OF, console=Console(file=io.StringIO()), answers=False
    )

    assert [run.succeeded for run in outcome.runs] == [True]
    assert outcome.runs[0].checks_failed == []
    assert outcome.rows_read[0]["sales_order_detail"] == 121_317
    assert_dbt_build_green(settings)
    answers = velo_answers()
    assert_answers_match_the_operations_db(settings, answers)
    assert_dashboard_renders(answers["last_month"]["revenue"])
