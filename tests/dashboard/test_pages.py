"""Each page under Streamlit's AppTest: renders, shows its charts, its numbers are the marts'."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from velo.dashboard.common import NO_DATA, NO_RATES, NO_SALES
from velo.sentiment.model import read_artifact
from velo.serving.publish import open_serving
from velo.settings import Settings

from .conftest import APP, figure, free_port, values

REVENUE = "sum(CASE WHEN is_revenue_status THEN revenue ELSE 0 END)"
PROFIT = "sum(CASE WHEN is_revenue_status THEN profit ELSE 0 END)"
DEFAULT_RANGE = (date(2013, 6, 1), date(2014, 6, 30))  # ranking window start .. as-of


def marts(settings: Settings, text: str, *params: object) -> pd.DataFrame:
    # DuckDB refuses a second connection to a file with another configuration than the one the
    # page holds open: read with the platform's own reader configuration.
    with open_serving(settings) as con:
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
        f"SELECT {REVENUE} AS r, {PROFIT} AS p FROM marts.obt_sales_order_lines "
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
        "FROM marts.obt_sales_order_lines WHERE ship_country_code = 'US' "
        "AND order_date BETWEEN ? AND ? GROUP BY 1",
        *DEFAULT_RANGE,
    )
    assert by_state == pytest.approx({c.removeprefix("US-"): r for c, r in want.values})
    bars = found["Revenue by product category"]["data"][0]
    by_category = dict(zip(bars["y"], values(bars["x"]), strict=True))
    want = marts(
        served,
        f"SELECT category_name, {REVENUE} FROM marts.obt_sales_order_lines "
        "WHERE order_date BETWEEN ? AND ? GROUP BY 1",
        *DEFAULT_RANGE,
    )
    assert by_category == pytest.approx(dict(want.values))
    fx = found["EUR/USD, hourly, last 7 days"]["data"][0]
    assert len(values(fx["y"])) == 7 * 24
    sentiment = found["Public sentiment, daily, last 30 days"]["data"][0]
    assert len(values(sentiment["y"])) == 30
    assert "customdata" in sentiment  # the day's top headline on hover
    (scorer,) = marts(served, "SELECT DISTINCT scorer || ' ' || scorer_version AS s FROM "
                      "marts.fct_sentiment_daily").s  # fmt: skip
    axis = found["Public sentiment, daily, last 30 days"]["layout"]["yaxis"]["title"]["text"]
    assert axis.endswith(f"scored by {scorer}")


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
        f"SELECT {REVENUE} FROM marts.obt_sales_order_lines WHERE category_name = 'Bikes' "
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
        f"SELECT order_date, {REVENUE} AS r, {PROFIT} AS p FROM marts.obt_sales_order_lines "
        "WHERE order_date BETWEEN ? AND ? GROUP BY 1 ORDER BY 1",
        *DEFAULT_RANGE,
    )
    assert values(lines["Revenue"]["y"]) == pytest.approx(list(daily.r))
    assert values(lines["Profit"]["y"]) == pytest.approx(list(daily.p))
    donut = found["Profit by category"]["data"][0]
    want = marts(
        served,
        f"SELECT category_name, {PROFIT} FROM marts.obt_sales_order_lines "
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


def test_data_health_page(app: AppTest, served: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELO_DAGSTER_URL", f"http://127.0.0.1:{free_port()}")  # nothing there
    app.switch_page("pages/data_health.py").run()
    assert_clean(app)
    assert kpis(app)["Serving DB published"] == "2014-06-30 23:00"
    sources = app.dataframe[0].value
    assert list(sources.source) == ["fx", "operations", "sentiment"]
    assert set(sources.status) == {"fresh"}
    assert (sources.rows_last_load > 0).all()
    formats = column_formats(app.dataframe[0])
    assert formats["rows_last_load"] == formats["total_rows"] == "%,d"
    history = charts(app)
    assert set(history) == {
        "Rows loaded per run, last 30 days",
        "Age of the newest data at each publish, last 30 days",
    }
    ages = history["Age of the newest data at each publish, last 30 days"]
    assert {trace["name"] for trace in ages["data"]} == {"fx", "operations", "sentiment"}
    assert sorted(shape["y0"] for shape in ages["layout"]["shapes"]) == [2, 26, 36]
    assert any("not running" in caption.value for caption in app.caption)
    assert not app.get("link_button")
    assert "No dbt build recorded" in [info.value for info in app.info][-1]
    # the scorer behind the served scores, and the packaged model's held-out figures
    artifact = read_artifact()
    shown = " ".join(element.value for element in [*app.markdown, *app.caption])
    days = marts(
        served,
        "SELECT count(*) AS n, min(sentiment_date) AS first, max(sentiment_date) AS last "
        "FROM marts.fct_sentiment_daily",
    ).iloc[0]
    assert (
        f"Served scores by **velo-finance 1.sample**: {days.n:,} days, "
        f"{days['first']:%Y-%m-%d} to {days['last']:%Y-%m-%d} (fixed clock)."
    ) in shown
    assert artifact["version"] in shown
    (table,) = [frame for frame in app.dataframe if "model_macro_f1" in frame.value.columns]
    evaluation = table.value.set_index("source")
    assert evaluation.loc["all", "model_macro_f1"] == artifact["evaluation"]["model"]["macro_f1"]
    assert (
        evaluation.loc["finentity", "vader_accuracy"]
        == (artifact["evaluation"]["sources"]["finentity"]["vader"]["accuracy"])
    )
    assert column_formats(table)["test_rows"] == "%,d"
    assert unformatted_numbers(app) == []


def test_sources_that_are_not_fresh_say_when_they_last_loaded_on_which_clock(
    served: Settings,
) -> None:
    with duckdb.connect(str(served.serving_path)) as con:
        con.execute(
            "UPDATE marts.data_health SET status = 'stale', "
            "last_loaded_at = TIMESTAMP '2014-06-28 10:15:30' WHERE source = 'fx'"
        )
        con.execute(
            "UPDATE marts.data_health SET status = 'never loaded', last_loaded_at = NULL "
            "WHERE source = 'sentiment'"
        )
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.switch_page("pages/data_health.py").run()
    assert_clean(at)
    assert [warning.value for warning in at.warning] == [
        "fx: stale, last load 2014-06-28 10:15 (wall-clock time (UTC))",
        "sentiment: never loaded",
    ]


def test_data_health_links_the_running_dagster_ui(
    served: Settings, dagster_webserver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELO_DAGSTER_URL", dagster_webserver)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.switch_page("pages/data_health.py").run()
    assert_clean(at)
    (link,) = at.get("link_button")
    assert link.proto.url == dagster_webserver


def test_data_health_lists_the_failing_and_warning_tests(failing_build: dict) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.switch_page("pages/data_health.py").run()
    assert_clean(at)
    assert kpis(at)["Last dbt build"] == "failed"
    built = next(m for m in at.metric if m.label == "Last dbt build")
    generated = failing_build["metadata"]["generated_at"]  # 2026-12-01T10:15:07.000000Z
    assert built.proto.delta == f"{generated[:10]} {generated[11:16]} (wall-clock time (UTC))"
    assert kpis(at)["dbt tests passed"] == "1"
    assert not at.success  # not "every test passed"
    issues = at.dataframe[1].value
    assert list(issues.test) == ["assert_revenue_reconciles", "accepted_range_qty"]
    assert list(issues.failures) == [1234, 3]
    assert column_formats(at.dataframe[1])["failures"] == "%,d"
    assert unformatted_numbers(at) == []


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


def column_formats(element: object) -> dict[str, str | None]:
    """The display format st.dataframe was given per column (its column_config)."""
    config = json.loads(element.proto.columns)  # type: ignore[attr-defined]
    return {name: column.get("type_config", {}).get("format") for name, column in config.items()}


def unformatted_numbers(at: AppTest) -> list[str]:
    """table.column of every numeric column shown without a display format (raw 2934, 0.8248):
    every number in a table is written like the KPIs (velo.dashboard.formatting)."""
    return [
        f"table {index}: {name}"
        for index, table in enumerate(at.dataframe)
        for name, dtype in table.value.dtypes.items()
        if pd.api.types.is_numeric_dtype(dtype) and not column_formats(table).get(str(name))
    ]


@pytest.mark.parametrize(("currency", "symbol"), [("USD", "$"), ("EUR", "€")])
def test_top_products_table_is_formatted_like_the_kpis(
    app: AppTest, currency: str, symbol: str
) -> None:
    app.radio(key="_currency").set_value(currency)
    app.switch_page("pages/profitability.py").run()
    assert_clean(app)
    table = app.dataframe[0]
    formats = column_formats(table)
    assert formats["revenue"] == formats["profit"] == f"{symbol}%,.0f"
    assert formats["units"] == "%,d" and formats["margin"] == "percent"
    labels = json.loads(table.proto.columns)
    assert labels["revenue"]["label"] == f"revenue ({currency})"


def test_one_state_map_scale_starts_at_zero(app: AppTest, served: Settings) -> None:
    app.multiselect(key="_states").set_value(["US-TX"]).run()
    assert_clean(app)
    state_map = charts(app)["Revenue by US state"]
    assert state_map["data"][0]["locations"] == ["TX"]
    revenue = values(state_map["data"][0]["z"])[0]
    axis = state_map["layout"]["coloraxis"]
    assert (axis["cmin"], axis["cmax"]) == (0, pytest.approx(revenue))


def test_one_day_draws_every_chart(app: AppTest) -> None:
    app.date_input(key="_date_range").set_value((date(2014, 6, 15), date(2014, 6, 15))).run()
    assert_clean(app)
    assert len(charts(app)) == 4
    app.switch_page("pages/profitability.py").run()
    assert_clean(app)
    daily = charts(app)["Daily revenue vs profit"]
    assert all(
        len(values(trace["y"])) == 1 and "markers" in trace["mode"] for trace in daily["data"]
    )


def test_a_selection_without_sales_says_so_once_clearly(app: AppTest) -> None:
    app.multiselect(key="_countries").set_value(["DE"])
    app.multiselect(key="_states").set_value(["US-TX"]).run()  # Texas is not in Germany
    assert_clean(app)
    assert [w.value for w in app.warning] == [NO_SALES]
    assert set(charts(app)) == {
        "EUR/USD, hourly, last 7 days",
        "Public sentiment, daily, last 30 days",
    }
    app.switch_page("pages/profitability.py").run()
    assert [w.value for w in app.warning] == [NO_SALES]
    assert charts(app) == {} and not app.dataframe


def test_a_range_before_the_fx_and_news_data_says_what_is_missing(app: AppTest) -> None:
    # the sample has 30 days of FX rates and 60 of news before 2014-06-30
    app.date_input(key="_date_range").set_value((date(2013, 6, 1), date(2013, 6, 30)))
    app.radio(key="_currency").set_value("EUR").run()
    assert_clean(app)
    messages = [info.value for info in app.info]
    assert f"{NO_DATA} No EUR/USD rates from 2013-06-24 to 2013-06-30." in messages
    assert f"{NO_DATA} No scored news from 2013-06-01 to 2013-06-30." in messages
    assert {"Revenue by US state", "Revenue by product category"} <= set(charts(app))


def test_euros_without_any_fx_rates_fall_back_to_dollars(served: Settings) -> None:
    with duckdb.connect(str(served.serving_path)) as con:
        con.execute("DELETE FROM marts.fct_fx_rates_hourly")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.radio(key="_currency").set_value("EUR").run()
    assert_clean(at)
    assert NO_RATES in [warning.value for warning in at.sidebar.warning]
    assert kpis(at)["Revenue, May 2014"].startswith("$")
    assert kpis(at)["EUR/USD"] == "n/a"
    assert f"{NO_DATA} No EUR/USD rates from 2014-06-24 to 2014-06-30." in [
        info.value for info in at.info
    ]


@pytest.mark.parametrize(
    ("kind", "label"),
    [("simulated", "simulated time"), ("wall", "wall-clock time (UTC)"), (None, "platform clock")],
)
def test_the_clock_of_the_published_time_is_named(
    served: Settings, kind: str | None, label: str
) -> None:
    """publish_log.clock_kind names the clock; a serving DB from before it says less, no error."""
    with duckdb.connect(str(served.serving_path)) as con:
        con.execute("ALTER TABLE marts.publish_log DROP COLUMN IF EXISTS clock_kind")
        if kind:
            con.execute("ALTER TABLE marts.publish_log ADD COLUMN clock_kind VARCHAR")
            con.execute("UPDATE marts.publish_log SET clock_kind = ?", [kind])
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert_clean(at)
    assert f"serving DB published 2014-06-30 23:00 ({label})" in sidebar_text(at)
    fx = charts(at)["EUR/USD, hourly, last 7 days"]
    assert fx["layout"]["xaxis"]["title"]["text"] == f"Hour, {label}"
    at.switch_page("pages/data_health.py").run()
    assert_clean(at)
    published = next(m for m in at.metric if m.label == "Serving DB published")
    assert published.value == "2014-06-30 23:00"
    assert published.proto.delta == label
    served_days = next(m.value for m in at.markdown if m.value.startswith("Served scores"))
    assert served_days.endswith(f" to 2014-06-30 ({label}).")


def sidebar_text(at: AppTest) -> str:
    return " ".join(caption.value for caption in at.sidebar.caption)
