"""Every metric shape and answer equals the same number computed by independent SQL on the marts."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from velo.cli import app
from velo.errors import VeloError
from velo.serving import metrics as m
from velo.serving.answers import compute_answers, ranking_window, report_months
from velo.settings import Settings

REVENUE = "sum(CASE WHEN is_revenue_status THEN revenue ELSE 0 END)"
PROFIT = "sum(CASE WHEN is_revenue_status THEN profit ELSE 0 END)"
UNITS = "sum(CASE WHEN is_revenue_status THEN order_quantity ELSE 0 END)"
ORDERS = "count(DISTINCT CASE WHEN is_revenue_status THEN sales_order_id END)"
H1 = m.Filters(date(2014, 1, 1), date(2014, 6, 30))


def sql(con: duckdb.DuckDBPyConnection, text: str, *params: object) -> pd.DataFrame:
    return con.execute(text, list(params)).df()


def by_key(frame: pd.DataFrame, key: str) -> dict:
    return {row[key]: row for row in frame.to_dict("records")}


def test_every_shape_is_compiled_and_runs(con: duckdb.DuckDBPyConnection) -> None:
    for shape in m.load_catalog().saved_queries.values():
        for currency in m.CURRENCIES:
            frame = m.query(con, shape.metrics, shape.group_by, H1, currency)
            assert list(frame.columns) == [*shape.group_by, *shape.metrics]
            assert not frame.empty, shape.key


def test_totals_equal_independent_sql(con: duckdb.DuckDBPyConnection) -> None:
    got = m.query(con, m.saved_query("sales_totals").metrics, filters=H1).iloc[0]
    want = sql(
        con,
        f"""
        SELECT {REVENUE} AS revenue, {PROFIT} AS profit, {UNITS} AS units, {ORDERS} AS orders
        FROM marts.obt_sales_order_lines WHERE order_date BETWEEN ? AND ?""",
        H1.date_from,
        H1.date_to,
    ).iloc[0]
    assert got.revenue == pytest.approx(want.revenue)
    assert got.profit == pytest.approx(want.profit)
    assert got.margin == pytest.approx(want.profit / want.revenue)
    assert got.units_sold == want.units
    assert got.orders == want.orders
    assert got.average_order_value == pytest.approx(want.revenue / want.orders)
    # rejected/cancelled lines exist and are excluded
    assert sql(
        con, "SELECT count(*) AS n FROM marts.obt_sales_order_lines WHERE status_code IN (4, 6)"
    ).n[0]


def test_grouped_metrics_equal_independent_sql(con: duckdb.DuckDBPyConnection) -> None:
    subcategories = m.saved_query("sales_by_subcategory")
    got = by_key(
        m.query(con, subcategories.metrics, subcategories.group_by, H1),
        "sales_order_line__subcategory",
    )
    want = sql(
        con,
        f"""
        SELECT subcategory_name, {REVENUE} AS revenue, {PROFIT} AS profit
        FROM marts.obt_sales_order_lines WHERE order_date BETWEEN ? AND ? GROUP BY 1""",
        H1.date_from,
        H1.date_to,
    )
    assert set(got) == set(want.subcategory_name)
    for row in want.itertuples():
        assert got[row.subcategory_name]["revenue"] == pytest.approx(row.revenue)
        assert got[row.subcategory_name]["margin"] == pytest.approx(row.profit / row.revenue)


def test_filters_narrow_the_numbers(con: duckdb.DuckDBPyConnection) -> None:
    everything = m.query(con, ["revenue"], filters=H1).revenue[0]
    narrowed = H1.with_changes(countries=("US",), states=("US-CA", "US-WA"), categories=("Bikes",))
    got = m.query(con, ["revenue"], filters=narrowed).revenue[0]
    want = sql(
        con,
        f"""
        SELECT {REVENUE} AS revenue FROM marts.obt_sales_order_lines
        WHERE order_date BETWEEN ? AND ?
        AND ship_country_code = 'US' AND ship_state_code IN ('US-CA', 'US-WA')
        AND category_name = 'Bikes'""",
        H1.date_from,
        H1.date_to,
    ).revenue[0]
    assert got == pytest.approx(want)
    assert 0 < got < everything


def test_euros_use_the_rate_of_the_day(con: duckdb.DuckDBPyConnection) -> None:
    june = m.Filters(date(2014, 6, 1), date(2014, 6, 30))
    got = m.query(
        con, ["revenue", "margin"], m.saved_query("sales_by_subcategory").group_by, june, "EUR"
    )
    want = sql(
        con,
        f"""
        WITH fx AS (SELECT CAST(rate_hour AS DATE) AS day, avg(rate) AS rate
                    FROM marts.fct_fx_rates_hourly
                    WHERE base_currency = 'EUR' AND quote_currency = 'USD' GROUP BY 1),
             daily AS (SELECT subcategory_name, order_date, {REVENUE} AS revenue,
                              {PROFIT} AS profit
                       FROM marts.obt_sales_order_lines
                       WHERE order_date BETWEEN ? AND ? GROUP BY 1, 2)
        SELECT subcategory_name, sum(revenue / rate) AS revenue,
               sum(profit / rate) / sum(revenue / rate) AS margin
        FROM daily JOIN fx ON fx.day = daily.order_date GROUP BY 1""",
        june.date_from,
        june.date_to,
    )
    got = by_key(got, "sales_order_line__subcategory")
    assert set(got) == set(want.subcategory_name)
    for row in want.itertuples():
        assert got[row.subcategory_name]["revenue"] == pytest.approx(row.revenue)
        assert got[row.subcategory_name]["margin"] == pytest.approx(row.margin)


def test_euros_before_the_first_rate_use_the_earliest_rate(
    con: duckdb.DuckDBPyConnection,
) -> None:
    january = m.Filters(date(2014, 1, 1), date(2014, 1, 31))
    usd = m.query(con, ["revenue"], filters=january).revenue[0]
    eur = m.query(con, ["revenue"], filters=january, currency="EUR").revenue[0]
    first = sql(
        con,
        "SELECT avg(rate) AS r FROM marts.fct_fx_rates_hourly WHERE quote_currency "
        "= 'USD' GROUP BY CAST(rate_hour AS DATE) ORDER BY CAST(rate_hour AS DATE) "
        "LIMIT 1",
    ).r[0]
    assert eur == pytest.approx(usd / first)


def test_unknown_shape_or_metric_is_one_clear_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(VeloError, match="no compiled SQL"):
        m.query(con, ["revenue"], ["sales_order_line__product"], H1)
    with pytest.raises(VeloError, match="unknown currency"):
        m.query(con, ["revenue"], currency="CHF")


def test_answers_equal_independent_sql(con: duckdb.DuckDBPyConnection, served_as_of: date) -> None:
    result = compute_answers(con, served_as_of)
    assert json.loads(json.dumps(result)) == result  # JSON-able, stable keys
    assert list(result) == [
        "as_of",
        "last_month",
        "previous_month",
        "eur_usd",
        "sentiment",
        "top_margin_products",
        "top_categories",
        "top_states",
    ]
    last, previous = report_months(served_as_of)
    assert (last, previous) == (
        (date(2014, 5, 1), date(2014, 5, 31)),
        (date(2014, 4, 1), date(2014, 4, 30)),
    )
    for key, (start, end) in (("last_month", last), ("previous_month", previous)):
        want = sql(
            con,
            f"SELECT {REVENUE} AS r, {PROFIT} AS p FROM marts.obt_sales_order_lines "
            "WHERE order_date BETWEEN ? AND ?",
            start,
            end,
        ).iloc[0]
        assert result[key] == {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "revenue": round(want.r, 2),
            "profit": round(want.p, 2),
        }

    start, end = ranking_window(served_as_of)
    assert (start, end) == (date(2013, 6, 1), date(2014, 5, 31))
    states = sql(
        con,
        f"""SELECT ship_state_name AS state, ship_state_code AS code,
        round({REVENUE}, 2) AS revenue FROM marts.obt_sales_order_lines
        WHERE ship_country_code = 'US'
        AND order_date BETWEEN ? AND ? GROUP BY 1, 2 ORDER BY revenue DESC""",
        start,
        end,
    )
    assert result["top_states"] == states.head(10).to_dict("records")
    assert all(row["code"].startswith("US-") for row in result["top_states"])
    categories = sql(
        con,
        f"""SELECT category_name AS category, {UNITS} AS units,
        round({REVENUE}, 2) AS revenue FROM marts.obt_sales_order_lines
        WHERE order_date BETWEEN ? AND ?
        GROUP BY 1 ORDER BY units DESC""",
        start,
        end,
    )
    assert [c["category"] for c in result["top_categories"]] == list(categories.category)
    assert [c["units"] for c in result["top_categories"]] == list(categories.units)
    products = sql(
        con,
        f"""WITH p AS (SELECT product_name, {REVENUE} AS revenue,
        {PROFIT} AS profit FROM marts.obt_sales_order_lines
        WHERE order_date BETWEEN ? AND ? GROUP BY 1)
        SELECT product_name, profit / revenue AS margin, revenue FROM p
        WHERE revenue >= 0.001 * (SELECT sum(revenue) FROM p) ORDER BY margin DESC, revenue DESC
        """,
        start,
        end,
    )
    assert [p["product"] for p in result["top_margin_products"]] == list(
        products.product_name.head(10)
    )
    assert result["top_margin_products"][0]["margin"] == round(products.margin[0], 4)


def test_fx_and_sentiment_answers(con: duckdb.DuckDBPyConnection, served_as_of: date) -> None:
    result = compute_answers(con, served_as_of)
    latest = sql(
        con,
        "SELECT rate_hour, rate FROM marts.fct_fx_rates_hourly WHERE quote_currency"
        " = 'USD' ORDER BY rate_hour DESC LIMIT 25",
    )
    assert result["eur_usd"] == {
        "rate": round(latest.rate[0], 6),
        "at": latest.rate_hour[0].isoformat(),
        "change_24h": round(latest.rate[0] - latest.rate[24], 6),
    }
    days = sql(
        con,
        "SELECT sentiment_date, mean_score, label FROM marts.fct_sentiment_daily "
        "WHERE sentiment_date BETWEEN ? AND ? ORDER BY 1",
        date(2014, 6, 1),
        served_as_of,
    )
    mood = result["sentiment"]
    assert mood["label"] == days.label.iloc[-1]
    assert mood["score"] == round(days.mean_score.iloc[-1], 4)
    weighted = sql(
        con,
        "SELECT sum(score_weighted_sum) / sum(weight_sum) AS score FROM marts.fct_sentiment_daily "
        "WHERE sentiment_date BETWEEN ? AND ?",
        served_as_of - timedelta(days=29),
        served_as_of,
    ).score[0]
    # every article weighs the same, not every day: not the mean of the daily means
    assert mood["mean_30d"] == round(weighted, 4) != round(days.mean_score.mean(), 4)
    assert mood["scorer"].startswith("velo-finance ")
    assert mood["trend"] in ("up", "down", "flat")


def test_answers_are_null_when_sources_have_no_data(served: Settings, served_as_of: date) -> None:
    with duckdb.connect(str(served.serving_path)) as writable:
        for table in ("obt_sales_order_lines", "fct_fx_rates_hourly", "fct_sentiment_daily"):
            writable.execute(f"DELETE FROM marts.{table}")
    with duckdb.connect(str(served.serving_path), read_only=True) as con:
        result = compute_answers(con, served_as_of)
    assert result == {
        "as_of": "2014-06-30",
        "last_month": None,
        "previous_month": None,
        "eur_usd": None,
        "sentiment": None,
        "top_margin_products": None,
        "top_categories": None,
        "top_states": None,
    }


def test_cli_answers_json_and_table(served: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["answers", "--as-of", "2014-06-30", "--format", "json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["last_month"]["start"] == "2014-05-01"
    monkeypatch.setenv("VELO_CLOCK", "2014-06-30T23:00:00")  # default as-of = the clock's date
    table = runner.invoke(app, ["answers"])
    assert table.exit_code == 0, table.output
    assert "Top US states by revenue" in table.output and "California" in table.output
    bad = runner.invoke(app, ["answers", "--format", "xml"])
    assert bad.exit_code == 2


def test_cli_answers_without_serving_db(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["answers"])
    assert result.exit_code == 1
    assert "run `make run` first" in result.output
