"""Overview: the KPI row and the four charts of the six questions."""

from __future__ import annotations

import streamlit as st

from velo.dashboard import charts, common, data
from velo.dashboard import formatting as fmt
from velo.serving import metrics as m
from velo.serving.answers import report_months

ctx = common.page_context()
st.title("Velo Cycles — overview")

# KPI row: last full month (as of the published data) with the sidebar's place/category filters.
last, previous = report_months(ctx.as_of)
totals = data.month_totals(ctx.version, ctx.as_of, ctx.filters, ctx.currency)
fx = data.eur_usd(ctx.version, ctx.as_of)
mood = data.sentiment(ctx.version, ctx.as_of)
revenue_col, profit_col, fx_col, mood_col = st.columns(4)
if totals is None:
    revenue_col.metric("Revenue, last month", "n/a")
    profit_col.metric("Profit, last month", "n/a")
else:
    now, before = totals["last_month"], totals["previous_month"]
    revenue_col.metric(
        f"Revenue, {last[0]:%b %Y}",
        fmt.money(now["revenue"], ctx.symbol),
        fmt.percent_change(now["revenue"], before["revenue"]),
        help=f"vs {previous[0]:%b %Y}; excludes rejected and cancelled orders",
    )
    profit_col.metric(
        f"Profit, {last[0]:%b %Y}",
        fmt.money(now["profit"], ctx.symbol),
        fmt.percent_change(now["profit"], before["profit"]),
        help=f"vs {previous[0]:%b %Y}",
    )
fx_col.metric(
    "EUR/USD",
    "n/a" if fx is None else f"{fx['rate']:.4f}",
    None if fx is None or fx["change_24h"] is None else f"{fx['change_24h']:+.4f}",
    help="latest hourly rate; change over 24 h" if fx else "no FX rates loaded yet",
)
mood_col.metric(
    "Sentiment today",
    "n/a" if mood is None else mood["label"],
    None if mood is None else f"30-day mean {mood['mean_30d']:+.3f}",
    delta_color="off",
    help=None if mood else "no news scored yet",
)
st.caption(
    f"Charts: {ctx.date_from:%Y-%m-%d} to {ctx.date_to:%Y-%m-%d}, amounts in {ctx.currency}. "
    "Country/state/category filters apply to sales; FX and sentiment end at the range's end."
)

common.warn_if_no_sales(ctx)
left, right = st.columns(2)


def draw_states() -> None:
    states = data.us_states(ctx.version, ctx.filters, ctx.currency)
    common.show_unless_empty(
        states.empty, lambda: charts.state_choropleth(states, ctx.symbol), "state_map"
    )


def draw_categories() -> None:
    categories = data.categories(ctx.version, ctx.filters, ctx.currency)
    common.show_unless_empty(
        categories.empty, lambda: charts.category_bars(categories, ctx.symbol), "category_bars"
    )


def draw_fx() -> None:
    start, end = common.last_days(ctx, 7)
    fx = m.saved_query("fx_hourly")
    rates = data.metric_frame(
        ctx.version, fx.metrics, fx.group_by, (start, end, (), (), ()), "USD"
    ).dropna()
    if rates.empty:
        st.info(common.no_data_between("EUR/USD rates", start, end))
    else:
        figure = charts.fx_line(rates.sort_values("metric_time__hour"), ctx.clock_kind)
        common.show(figure, "fx_line")


def draw_sentiment() -> None:
    start, end = common.last_days(ctx, 30)
    days = data.sentiment_days(ctx.version, end, 30)
    if days is None or days.empty:
        st.info(common.no_data_between("scored news", start, end))
    else:
        common.show(charts.sentiment_line(days), "sentiment_line")


with left:
    common.guarded(draw_states)
    common.guarded(draw_fx)
with right:
    common.guarded(draw_categories)
    common.guarded(draw_sentiment)
