"""Each page under Streamlit's AppTest: renders, shows its charts, its numbers are the marts'."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from velo.dashboard.common import NO_DATA
from velo.settings import Settings

from .conftest import APP, figure, values

REVENUE = "sum(CASE WHEN is_revenue_status THEN revenue ELSE 0 END)"
PROFIT = "sum(CASE WHEN is_revenue_status THEN profit ELSE 0 END)"
DEFAULT_RANGE = (date(2013, 6, 1), date(2014, 6, 30))  # ranking window start .. as-of


def marts(settings: Settings, text: str, *params: object) -> pd.DataFrame:
    with duckdb.connect(str(settings.serving_path), read_only=True) as con:
        return con.execute(text, list(params)).df()


def charts(at: AppTest) -> dict[str, dict]:
    """The page's plotly figures by title."""
    found = {}
    for element in at.get("plotly_chart"):
        spec = figure(element)
        found[spec["layout"]["title"]["text"]] = spec
    return found


def kpis(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def revenue_in_may(settings: Settings, where: str = "") -> tuple[float, float]:
    row = marts(
        settings,
        f"SELECT {REVENUE} AS r, {PROFIT} AS p FROM marts.obt_sales "
        f"WHERE order_date BETWEEN '2014-05-01' AND '2014-05-31' {where}",
    ).iloc[0]
    return row.r, row.p


def assert_clean(at: AppTest) -> None:
    assert not at.exception
    assert not at.error, [e.value for e in at.error]


def test_overview_kpis_equal_the_marts(app: AppTest, served: Settings) -> None:
    assert_clean(app)
    revenue, profit = revenue_in_may(served)
    shown = kpis(app)
    assert shown["Revenue, May 2014"] == f"${revenue:,.0f}"
    assert shown["Profit, May 2014"] == f"${profit:,.0f}"
    rate = marts(
        served,
        "SELECT rate FROM marts.fct_fx_rates_hourly WHERE quote_currency = 'USD' "
        "ORDER BY rate_hour DESC LIMIT 1",
    ).rate[0]
    assert shown["EUR/USD"] == f"{rate:.4f}"
    label = marts(
        served, "SELECT label FROM marts.fct_sentiment_daily ORDER BY sentiment_date DESC LIMIT 1"
    ).label[0]
    assert shown["Sentiment today"] == label


def test_overview_charts_equal_the_marts(app: AppTest, served: Settings) -> None:
    found = charts(app)
    assert set(found) == {
        "Revenue by US state",
        "Revenue by product category",
        "EUR/USD, hourly, last 7 days",
        "Public sentiment, daily, last 30 days",
    }
    state_map = found["Revenue by US state"]["data"][0]
    assert found["Revenue by US state"]["data"][0]["locationmode"] == "USA-states"
    by_state = dict(zip(state_map["locations"], values(state_map["z"]), strict=True))
    want = marts(
        served,
        f"SELECT ship_state_code AS code, {REVENUE} AS revenue "
        "FROM marts.obt_sales WHERE ship_country_code = 'US' "
        "AND order_date BETWEEN ? AND ? GROUP BY 1",
        *DEFAULT_RANGE,
    )
    assert by_state == pytest.approx({c.removeprefix("US-"): r for c, r in want.values})
    bars = found["Revenue by product category"]["data"][0]
    by_category = dict(zip(bars["y"], values(bars["x"]), strict=True))
    want = marts(
        served,
        f"SELECT category_name, {REVENUE} FROM marts.obt_sales "
        "WHERE order_date BETWEEN ? AND ? GROUP BY 1",
        *DEFAULT_RANGE,
    )
    assert by_category == pytest.approx(dict(want.values))
    fx = found["EUR/USD, hourly, last 7 days"]["data"][0]
    assert len(values(fx["y"])) == 7 * 24
    sentiment = found["Public sentiment, daily, last 30 days"]["data"][0]
    assert len(values(sentiment["y"])) == 30
    assert "customdata" in sentiment  # the day's top headline on hover


def test_filters_change_every_number(app: AppTest, served: Settings) -> None:
    before = charts(app)
    app.multiselect(key="_categories").set_value(["Bikes"])
    app.multiselect(key="_countries").set_value(["US"])
    app.multiselect(key="_states").set_value(["US-CA"])
    app.run()
    assert_clean(app)
    revenue, _ = revenue_in_may(served, "AND category_name = 'Bikes' AND ship_state_code = 'US-CA'")
    assert kpis(app)["Revenue, May 2014"] == f"${revenue:,.0f}"
    after = charts(app)
    assert after["Revenue by product category"]["data"][0]["y"] == ["Bikes"]
    assert after["Revenue by US state"]["data"][0]["locations"] == ["CA"]
    assert before["Revenue by US state"] != after["Revenue by US state"]

    app.date_input(key="_date_range").set_value((date(2014, 6, 1), date(2014, 6, 15))).run()
    bars = charts(app)["Revenue by product category"]["data"][0]
    want = marts(
        served,
        f"SELECT {REVENUE} FROM marts.obt_sales WHERE category_name = 'Bikes' "
        "AND ship_state_code = 'US-CA' "
        "AND order_date BETWEEN '2014-06-01' AND '2014-06-15'",
    ).iloc[0, 0]
    assert values(bars["x"]) == pytest.approx([want])


def test_currency_toggle_shows_euros(app: AppTest, served: Settings) -> None:
    dollars = kpis(app)["Revenue, May 2014"]
    app.radio(key="_currency").set_value("EUR").run()
    assert_clean(app)
    euros = kpis(app)["Revenue, May 2014"]
    assert euros.startswith("€") and dollars.startswith("$")
    rate = 1.0 * float(dollars[1:].replace(",", "")) / float(euros[1:].replace(",", ""))
    assert 1.0 < rate < 1.3  # converted with the EUR/USD rates of the sample (~1.10)


def test_empty_selection_says_no_data(app: AppTest) -> None:
    app.multiselect(key="_countries").set_value(["DE"]).run()
    assert_clean(app)
    assert NO_DATA in [info.value for info in app.info]  # no US state in Germany
    assert "Revenue by US state" not in charts(app)


def test_profitability_page(app: AppTest, served: Settings) -> None:
    app.switch_page("pages/profitability.py").run()
    assert_clean(app)
    found = charts(app)
    assert set(found) == {
        "Daily revenue vs profit",
        "Profit margin by subcategory (size = revenue)",
        "Profit by category",
    }
    lines = {trace["name"]: trace for trace in found["Daily revenue vs profit"]["data"]}
    daily = marts(
        served,
        f"SELECT order_date, {REVENUE} AS r, {PROFIT} AS p FROM marts.obt_sales "
        "WHERE order_date BETWEEN ? AND ? GROUP BY 1 ORDER BY 1",
        *DEFAULT_RANGE,
    )
    assert values(lines["Revenue"]["y"]) == pytest.approx(list(daily.r))
    assert values(lines["Profit"]["y"]) == pytest.approx(list(daily.p))
    donut = found["Profit by category"]["data"][0]
    want = marts(
        served,
        f"SELECT category_name, {PROFIT} FROM marts.obt_sales "
        "WHERE order_date BETWEEN ? AND ? GROUP BY 1",
        *DEFAULT_RANGE,
    )
    assert dict(zip(donut["labels"], values(donut["values"]), strict=True)) == pytest.approx(
        dict(want.values)
    )
    assert donut["hole"] == 0.5
    table = app.dataframe[0].value
    assert list(table.columns) == ["product", "category", "revenue", "units", "margin", "profit"]
    assert table.margin.is_monotonic_decreasing
    best = table.iloc[0]
    assert best.margin == pytest.approx(best.profit / best.revenue)


def test_data_health_page(app: AppTest) -> None:
    app.switch_page("pages/data_health.py").run()
    assert_clean(app)
    assert kpis(app)["Serving DB published"] == "2014-06-30 23:00"
    sources = app.dataframe[0].value
    assert list(sources.source) == ["fx", "operations", "sentiment"]
    assert set(sources.status) == {"fresh"}
    assert (sources.rows_last_load > 0).all()


def test_no_serving_db_says_run_make_run(settings: Settings) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert any("run `make run` first" in info.value for info in at.info)


def test_filters_follow_to_the_next_page(app: AppTest) -> None:
    app.multiselect(key="_categories").set_value(["Clothing"]).run()
    app.switch_page("pages/profitability.py").run()
    assert_clean(app)
    assert app.multiselect(key="_categories").value == ["Clothing"]
    donut = charts(app)["Profit by category"]["data"][0]
    assert donut["labels"] == ["Clothing"]


def test_velo_dashboard_serves_on_loopback_port_8501_by_default() -> None:
    from typer.testing import CliRunner

    from velo.cli import app as cli
    from velo.dashboard.server import streamlit_command

    command = streamlit_command(8501)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8501"
    assert "--server.enableStaticServing" in command  # the US map shape is served locally
    assert "8501" in CliRunner().invoke(cli, ["dashboard", "--help"]).output
