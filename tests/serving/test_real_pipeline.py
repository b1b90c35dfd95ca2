"""End to end on the real stages: simulated company -> ingest -> dbt build -> publish -> metrics.

The serving layer's numbers on the real marts equal independent SQL on those marts, and the
answers are complete (no nulls) once every source has data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import duckdb
import pytest
from source_answers import recorded

from velo.serving import metrics as m
from velo.serving import open_serving, publish
from velo.serving.answers import compute_answers, report_months
from velo.settings import Settings

AS_OF = date(2014, 6, 30)
REVENUE = "sum(CASE WHEN is_revenue_status THEN revenue ELSE 0 END)"
PROFIT = "sum(CASE WHEN is_revenue_status THEN profit ELSE 0 END)"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from velo.functions.sentiment import run as score_news
    from velo.ingest import run_ingest
    from velo.simulator.apis import running_apis
    from velo.simulator.company import init_company
    from velo.warehouse.runner import transform

    root = tmp_path_factory.mktemp("real")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("VELO_DATA_DIR", str(root / "data"))
        from velo.settings import load_settings

        settings = load_settings().with_overrides(clock=datetime(2014, 6, 30, 23, 59, 59))
        init_company(settings, days=90, scale=0.02, seed=7, as_of=AS_OF)
        with running_apis(settings) as live:
            score_news({"source": "test"}, live)
            run_ingest(live, ["operations", "fx", "sentiment"])
        transform(settings)
        report = publish(settings)
        assert report.tables["obt_sales_order_lines"] > 0
        yield settings


@pytest.fixture
def con(real_serving: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_serving(real_serving)
    yield connection
    connection.close()


def test_metrics_on_real_marts_equal_independent_sql(con: duckdb.DuckDBPyConnection) -> None:
    window = m.Filters(date(2014, 4, 1), AS_OF)
    for (
        shape
    ) in m.load_catalog().saved_queries.values():  # every compiled shape runs on the real marts
        m.query(con, shape.metrics, shape.group_by, window)
    categories = m.saved_query("sales_by_category")
    got = m.query(con, categories.metrics, categories.group_by, window)
    want = con.execute(
        f"SELECT category_name, {REVENUE}, {PROFIT} FROM marts.obt_sales_order_lines "
        "WHERE order_date BETWEEN ? AND ? GROUP BY 1",
        [window.date_from, window.date_to],
    ).fetchall()
    got_by = {r.sales_order_line__category: (r.revenue, r.profit) for r in got.itertuples()}
    assert want and set(got_by) == {row[0] for row in want}
    for category, revenue, profit in want:
        assert got_by[category] == pytest.approx((float(revenue), float(profit)))


def test_answers_on_real_marts(con: duckdb.DuckDBPyConnection) -> None:
    result = compute_answers(con, AS_OF)
    assert all(value is not None for value in result.values()), result
    (start, end), _ = report_months(AS_OF)
    revenue = con.execute(
        f"SELECT {REVENUE} FROM marts.obt_sales_order_lines WHERE order_date BETWEEN ? AND ?",
        [start, end],
    ).fetchone()[0]
    assert result["last_month"]["revenue"] == round(float(revenue), 2)
    assert result["top_states"] and all(s["code"].startswith("US-") for s in result["top_states"])
    assert result["eur_usd"]["rate"] > 0
    assert result["sentiment"]["label"] in ("positive", "neutral", "negative")


def test_answers_equal_those_recorded_from_the_source(con: duckdb.DuckDBPyConnection) -> None:
    """Every number of the six answers equals the one computed from the sources alone (plain SQL
    on the operations DB, the FX API, the landing files; tests/source_answers.py) and recorded in
    tests/recorded: renames and refactors leave behaviour unchanged."""
    assert compute_answers(con, AS_OF) == recorded("simulated-seed7-2014-06-30")


def test_dashboard_pages_render_real_marts(real_serving: Settings) -> None:
    from streamlit.testing.v1 import AppTest

    from velo.dashboard.server import APP

    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 4
    for page in ("pages/profitability.py", "pages/data_health.py"):
        at.switch_page(page).run()
        assert not at.exception and not at.error, page
    health = at.dataframe[0].value
    assert set(health.source) == {"operations", "fx", "sentiment"}
    assert (health.rows_last_load > 0).all()


def served_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Per serving table, its columns and types in order."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'marts' ORDER BY table_name, ordinal_position"
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def test_sample_serving_db_has_the_real_marts_shape(
    con: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The sample that dashboard, publish and metrics tests run on is shaped by the marts' dbt
    contracts: its marts have exactly a real build's columns, in order, with the same types, and
    its other tables exist in a real build's serving DB with only columns the real ones have."""
    from velo.serving.publish import SERVED_MARTS
    from velo.serving.sample import publish_sample
    from velo.settings import load_settings

    root = tmp_path_factory.mktemp("sample")
    sample = load_settings(env={"VELO_DATA_DIR": str(root / "data")})
    publish_sample(sample.with_overrides(clock=datetime(2014, 6, 30, 23)), AS_OF, scale=0.01)
    with open_serving(sample) as sample_con:
        sample_tables = served_columns(sample_con)

    real_tables = served_columns(con)
    assert {*SERVED_MARTS, "data_health"} <= set(sample_tables)
    assert set(sample_tables) <= set(real_tables)
    for mart in SERVED_MARTS:
        assert sample_tables[mart] == real_tables[mart], f"marts.{mart} differs from a real build"
    for table, columns in sample_tables.items():
        invented = {name for name, _ in columns} - {name for name, _ in real_tables[table]}
        assert not invented, f"marts.{table}: the sample has columns no build makes: {invented}"
