"""The six questions, answered from the serving DB through the semantic-layer metrics.

Definitions (also in the dbt semantic YAML): "last month" is the calendar month before the as-of
date's month, "previous month" the one before; the rankings cover the 12 full months ending with
last month; product margins rank only products with ≥ 0.1 % of the window's revenue; states are
ship-to states in the US. A source with no data gives ``null`` (lists: ``[]``), never a crash.
The dashboard's KPIs call the same functions with its sidebar filters and currency.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from velo.serving import metrics as m

MIN_REVENUE_SHARE = 0.001  # products below 0.1 % of window revenue are not ranked by margin
TREND_THRESHOLD = 0.05  # last 7 days' mean vs the 30-day mean, in VADER compound points
TOP_N = 10
SOURCE_TABLES = {
    "sales": "marts.obt_sales_order_lines",
    "fx": "marts.fct_fx_rates_hourly",
    "sentiment": "marts.fct_sentiment_daily",
}


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(start: date) -> tuple[date, date]:
    end = start - timedelta(days=1)
    return month_start(end), end


def report_months(as_of: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """(last month, previous month) as inclusive (start, end) dates."""
    last = previous_month(month_start(as_of))
    return last, previous_month(last[0])


def ranking_window(as_of: date) -> tuple[date, date]:
    """The 12 full calendar months ending with last month."""
    (start, end), _ = report_months(as_of)
    for _ in range(11):
        start, _ = previous_month(start)
    return start, end


def has_rows(con: duckdb.DuckDBPyConnection, source: str) -> bool:
    try:
        return con.execute(f"SELECT 1 FROM {SOURCE_TABLES[source]} LIMIT 1").fetchone() is not None
    except duckdb.CatalogException:
        return False


def base_filters(filters: m.Filters | None) -> m.Filters:
    return filters or m.Filters(date(1900, 1, 1), date(2999, 12, 31))


def sales_between(
    con: duckdb.DuckDBPyConnection,
    shape: m.Shape,
    start: date,
    end: date,
    filters: m.Filters | None,
    currency: str,
    **narrowing: Any,
) -> pd.DataFrame:
    """The shape's metrics from ``start`` to ``end`` within the filters, ``narrowing`` them."""
    scoped = base_filters(filters).with_changes(date_from=start, date_to=end, **narrowing)
    return m.query(con, shape.metrics, shape.group_by, scoped, currency)


def month_totals(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    filters: m.Filters | None = None,
    currency: str = "USD",
) -> dict[str, Any] | None:
    """Revenue and profit of last month and the month before (None: no sales data)."""
    if not has_rows(con, "sales"):
        return None
    last, previous = report_months(as_of)
    scoped = base_filters(filters).with_changes(date_from=previous[0], date_to=last[1])
    frame = m.query(con, ["revenue", "profit"], ["metric_time__month"], scoped, currency)
    by_month = {pd.Timestamp(row.metric_time__month).date(): row for row in frame.itertuples()}

    def month(bounds: tuple[date, date]) -> dict[str, Any]:
        row = by_month.get(bounds[0])
        return {
            "start": bounds[0].isoformat(),
            "end": bounds[1].isoformat(),
            "revenue": money(row.revenue if row is not None else 0.0),
            "profit": money(row.profit if row is not None else 0.0),
        }

    return {"last_month": month(last), "previous_month": month(previous)}


def eur_usd(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, Any] | None:
    """The latest hourly EUR→USD rate up to the end of ``as_of`` and its change over 24 h."""
    if not has_rows(con, "fx"):
        return None
    window = m.Filters(as_of - timedelta(days=3), as_of)
    frame = m.query(con, ["eur_usd_rate"], ["metric_time__hour"], window).dropna()
    if frame.empty:
        return None
    frame = frame.sort_values("metric_time__hour")
    latest = frame.iloc[-1]
    at = pd.Timestamp(latest.metric_time__hour).to_pydatetime()
    earlier = frame[frame.metric_time__hour <= at - timedelta(hours=24)]
    change = (
        None if earlier.empty else round(latest.eur_usd_rate - earlier.iloc[-1].eur_usd_rate, 6)
    )
    return {
        "rate": round(float(latest.eur_usd_rate), 6),
        "at": at.isoformat(),
        "change_24h": change,
    }


def sentiment(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, Any] | None:
    """The latest day's label and score, the 30-day score, and the trend of the last 7 days.

    Period scores weigh every article by its relevance (the semantic layer's ratio metric), so
    a one-article day does not weigh as much as an eight-article day.
    """
    frame = sentiment_days(con, as_of, days=30)
    if frame is None or frame.empty:
        return None
    latest = frame.iloc[-1]
    mean_30d = period_sentiment(con, as_of, days=30)
    recent = period_sentiment(con, as_of, days=7)
    delta = recent - mean_30d if recent is not None and mean_30d is not None else 0.0
    trend = "up" if delta > TREND_THRESHOLD else "down" if delta < -TREND_THRESHOLD else "flat"
    return {
        "label": latest.sentiment_day__label,
        "score": round(float(latest.sentiment_score), 4),
        "mean_30d": None if mean_30d is None else round(mean_30d, 4),
        "trend": trend,
        "scorer": latest.sentiment_day__scorer,
    }


def period_sentiment(con: duckdb.DuckDBPyConnection, as_of: date, days: int) -> float | None:
    window = m.Filters(as_of - timedelta(days=days - 1), as_of)
    frame = m.query(con, m.saved_query("sentiment_period").metrics, (), window)
    value = frame.sentiment_score.iloc[0] if not frame.empty else None
    return None if value is None or pd.isna(value) else float(value)


def sentiment_days(con: duckdb.DuckDBPyConnection, as_of: date, days: int) -> pd.DataFrame | None:
    if not has_rows(con, "sentiment"):
        return None
    window = m.Filters(as_of - timedelta(days=days - 1), as_of)
    shape = m.saved_query("sentiment_daily")
    frame = m.query(con, shape.metrics, shape.group_by, window).dropna(subset=["sentiment_score"])
    return frame.sort_values("metric_time__day").reset_index(drop=True)


def product_margins(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    filters: m.Filters | None = None,
    currency: str = "USD",
    window: tuple[date, date] | None = None,
) -> pd.DataFrame:
    """Products with ≥ 0.1 % of the window's revenue, best margin first."""
    start, end = window or ranking_window(as_of)
    frame = sales_between(con, m.saved_query("sales_by_product"), start, end, filters, currency)
    total = frame.revenue.sum()
    ranked = frame[(frame.revenue > 0) & (frame.revenue >= MIN_REVENUE_SHARE * total)]
    return ranked.sort_values(["margin", "revenue"], ascending=False).reset_index(drop=True)


def categories(
    con: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    filters: m.Filters | None = None,
    currency: str = "USD",
) -> pd.DataFrame:
    """Categories by units sold (then revenue), most first."""
    frame = sales_between(con, m.saved_query("sales_by_category"), start, end, filters, currency)
    frame = frame[frame.units_sold.fillna(0) > 0]
    return frame.sort_values(["units_sold", "revenue"], ascending=False).reset_index(drop=True)


def us_states(
    con: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    filters: m.Filters | None = None,
    currency: str = "USD",
) -> pd.DataFrame:
    """US ship-to states by revenue, most first (the country filter narrows, never widens)."""
    countries = base_filters(filters).countries
    if countries and "US" not in countries:
        return pd.DataFrame(columns=[*m.saved_query("sales_by_state").group_by, "revenue"])
    frame = sales_between(
        con, m.saved_query("sales_by_state"), start, end, filters, currency, countries=("US",)
    )
    frame = frame[frame.sales_order_line__state.notna() & (frame.revenue > 0)]
    return frame.sort_values("revenue", ascending=False).reset_index(drop=True)


def compute_answers(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, Any]:
    """The answers as one JSON-able object (the shape `velo answers --format json` prints)."""
    totals = month_totals(con, as_of)
    sales = has_rows(con, "sales")
    start, end = ranking_window(as_of)
    return {
        "as_of": as_of.isoformat(),
        "last_month": totals["last_month"] if totals else None,
        "previous_month": totals["previous_month"] if totals else None,
        "eur_usd": eur_usd(con, as_of),
        "sentiment": sentiment(con, as_of),
        "top_margin_products": [
            {
                "product": r.sales_order_line__product,
                "margin": round(float(r.margin), 4),
                "revenue": money(r.revenue),
            }
            for r in product_margins(con, as_of).head(TOP_N).itertuples()
        ]
        if sales
        else None,
        "top_categories": [
            {
                "category": r.sales_order_line__category,
                "units": int(r.units_sold),
                "revenue": money(r.revenue),
            }
            for r in categories(con, start, end).head(TOP_N).itertuples()
        ]
        if sales
        else None,
        "top_states": [
            {
                "state": r.sales_order_line__state_name,
                "code": r.sales_order_line__state,
                "revenue": money(r.revenue),
            }
            for r in us_states(con, start, end).head(TOP_N).itertuples()
        ]
        if sales
        else None,
    }


def money(value: Any) -> float:
    return round(float(value), 2) if value is not None and not pd.isna(value) else 0.0
