"""Plotly figures, built from metric frames (pure functions: data in, figure out).

Every hover template and axis uses the formats of :mod:`velo.dashboard.formatting`, and every
chart stays readable at the edges: one state or subcategory (a colour scale from zero instead of
a degenerate range), one category, one day (markers and a day-wide axis instead of a dot lost on
an axis of milliseconds).
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from velo.clock import WALL
from velo.dashboard import formatting as fmt

MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
# The US-states map shape is served by the app itself (static/usa_110m.json), never a CDN.
PLOTLY_CONFIG = {"topojsonURL": "/app/static/", "displaylogo": False}


def zero_based_range(values: pd.Series) -> tuple[float, float]:
    """A colour range that includes zero, so one value (or equal values) still spans a scale."""
    low, high = min(float(values.min()), 0.0), max(float(values.max()), 0.0)
    return (low, high) if high > low else (low, low + 1.0)


def day_axis(figure: go.Figure, days: pd.Series) -> go.Figure:
    """Dates as days; a single day gets a window of ±1 day around it and one tick per day."""
    figure.update_xaxes(tickformat=fmt.DAY_D3, hoverformat=fmt.DAY_D3)
    if pd.to_datetime(days).nunique() == 1:
        day = pd.Timestamp(pd.to_datetime(days).iloc[0])
        figure.update_xaxes(
            range=[day - timedelta(days=1), day + timedelta(days=1)], dtick=86_400_000
        )
    return figure


def state_choropleth(states: pd.DataFrame, symbol: str) -> go.Figure:
    """Revenue by US state; plotly's USA-states mode wants the 2-letter postal code."""
    frame = states.assign(code=states.sales_order_line__state.str.removeprefix("US-"))
    figure = px.choropleth(
        frame,
        locations="code",
        locationmode="USA-states",
        scope="usa",
        color="revenue",
        hover_name="sales_order_line__state_name",
        color_continuous_scale="Blues",
        range_color=zero_based_range(frame.revenue),
        labels={"revenue": f"Revenue ({symbol})"},
        title="Revenue by US state",
    )
    figure.update_traces(
        hovertemplate=f"%{{hovertext}}<br>Revenue: {fmt.money_hover('z', symbol)}<extra></extra>"
    )
    figure.update_coloraxes(colorbar_tickprefix=symbol, colorbar_tickformat="~s")
    return figure.update_layout(margin=MARGIN)


def category_bars(categories: pd.DataFrame, symbol: str) -> go.Figure:
    frame = categories.sort_values("revenue")
    figure = px.bar(
        frame,
        x="revenue",
        y="sales_order_line__category",
        orientation="h",
        custom_data=["units_sold"],
        labels={"revenue": f"Revenue ({symbol})", "sales_order_line__category": "Category"},
        title="Revenue by product category",
    )
    figure.update_traces(
        hovertemplate=f"%{{y}}<br>Revenue: {fmt.money_hover('x', symbol)}"
        f"<br>Units sold: %{{customdata[0]:{fmt.COUNT_D3}}}<extra></extra>"
    )
    figure.update_xaxes(tickprefix=symbol, tickformat="~s", rangemode="tozero")
    return figure.update_layout(margin=MARGIN)


def fx_line(rates: pd.DataFrame, clock_kind: str | None) -> go.Figure:
    """The hourly rate; its hours are on the platform clock the data was published by
    (``clock_kind``: the simulated FX API never answers past it)."""
    figure = px.line(
        rates,
        x="metric_time__hour",
        y="eur_usd_rate",
        markers=len(rates) == 1,
        labels={
            "metric_time__hour": fmt.on_clock("Hour", clock_kind),
            "eur_usd_rate": "USD per EUR",
        },
        title="EUR/USD, hourly, last 7 days",
    )
    figure.update_traces(
        hovertemplate=f"{fmt.time_hover('x', clock_kind)}<br>"
        f"1 EUR = %{{y:{fmt.RATE_D3}}} USD<extra></extra>"
    )
    figure.update_yaxes(tickformat=fmt.RATE_D3)
    return figure.update_layout(margin=MARGIN)


def sentiment_line(days: pd.DataFrame) -> go.Figure:
    """Our daily score; the y-axis title names the scorer(s) behind it."""
    scorers = ", ".join(days.sentiment_day__scorer.dropna().unique())
    figure = px.line(
        days,
        x="metric_time__day",
        y="sentiment_score",
        markers=True,
        custom_data=["sentiment_day__top_headline", "sentiment_day__label"],
        labels={
            "metric_time__day": "Day",
            "sentiment_score": f"Sentiment (-1..1), scored by {scorers}",
        },
        title="Public sentiment, daily, last 30 days",
    )
    figure.update_traces(
        hovertemplate=f"%{{x|{fmt.DAY_D3}}}: %{{y:+.3f}} (%{{customdata[1]}})<br>%{{customdata[0]}}"
        "<extra></extra>"
    )
    figure.update_yaxes(range=[-1.05, 1.05])  # the score's whole scale, however few days
    day_axis(figure, days.metric_time__day)
    return figure.update_layout(margin=MARGIN)


def revenue_profit_lines(daily: pd.DataFrame, symbol: str) -> go.Figure:
    long = daily.melt(
        id_vars="metric_time__day",
        value_vars=["revenue", "profit"],
        var_name="metric",
        value_name="amount",
    ).replace({"metric": {"revenue": "Revenue", "profit": "Profit"}})
    figure = px.line(
        long,
        x="metric_time__day",
        y="amount",
        color="metric",
        markers=daily.metric_time__day.nunique() <= 2,
        labels={"metric_time__day": "Day", "amount": f"Amount ({symbol})", "metric": ""},
        title="Daily revenue vs profit",
    )
    figure.update_traces(
        hovertemplate=f"%{{x|{fmt.DAY_D3}}}<br>%{{fullData.name}}: {fmt.money_hover('y', symbol)}"
        "<extra></extra>"
    )
    figure.update_yaxes(tickprefix=symbol, tickformat="~s")
    day_axis(figure, daily.metric_time__day)
    return figure.update_layout(margin=MARGIN)


def margin_treemap(subcategories: pd.DataFrame, symbol: str) -> go.Figure:
    frame = subcategories[subcategories.revenue > 0]
    figure = px.treemap(
        frame,
        path=[
            px.Constant("All categories"),
            "sales_order_line__category",
            "sales_order_line__subcategory",
        ],
        values="revenue",
        color="margin",
        color_continuous_scale="RdYlGn",
        range_color=zero_based_range(frame.margin),
        title="Profit margin by subcategory (size = revenue)",
    )
    figure.update_traces(
        hovertemplate=f"%{{label}}<br>Revenue: {fmt.money_hover('value', symbol)}"
        f"<br>Margin: %{{color:{fmt.PERCENT_D3}}}<extra></extra>"
    )
    figure.update_traces(root_color="white")  # one named root, not a dark implied frame
    figure.update_coloraxes(colorbar_tickformat=".0%", colorbar_title_text="Margin")
    return figure.update_layout(margin=MARGIN)


def profit_donut(categories: pd.DataFrame, symbol: str) -> go.Figure:
    frame = categories[categories.profit > 0]
    figure = px.pie(
        frame,
        names="sales_order_line__category",
        values="profit",
        hole=0.5,
        labels={"profit": f"Profit ({symbol})", "sales_order_line__category": "Category"},
        title="Profit by category",
    )
    figure.update_traces(
        hovertemplate=f"%{{label}}<br>Profit: {fmt.money_hover('value', symbol)}"
        f"<br>%{{percent:{fmt.PERCENT_D3}}} of profit<extra></extra>",
        texttemplate=f"%{{percent:{fmt.PERCENT_D3}}}",
    )
    return figure.update_layout(margin=MARGIN)


def rows_per_run(history: pd.DataFrame) -> go.Figure:
    """Rows of each source's runs (ingestion stamps one `_loaded_at` per run), log scale: an
    hourly FX run and a daily operations run differ by orders of magnitude."""
    runs = history.dropna(subset=["last_loaded_at"]).drop_duplicates(["source", "last_loaded_at"])
    figure = px.line(
        runs.sort_values("last_loaded_at"),
        x="last_loaded_at",
        y="rows_last_load",
        color="source",
        markers=True,
        log_y=True,
        labels={"last_loaded_at": fmt.on_clock("Run", WALL), "rows_last_load": "Rows loaded"},
        title="Rows loaded per run, last 30 days",
    )
    figure.update_traces(
        hovertemplate=f"%{{fullData.name}}, {fmt.time_hover('x', WALL)}<br>"
        f"%{{y:{fmt.COUNT_D3}}} rows<extra></extra>"
    )
    figure.update_yaxes(tickformat="~s")
    return figure.update_layout(margin=MARGIN, legend_title_text="")


def newest_load_age(history: pd.DataFrame) -> go.Figure:
    """Age of each source's newest data (its dbt freshness column, on the platform clock) at
    every publish, with its staleness threshold."""
    frame = history.dropna(subset=["age_hours"]).sort_values("checked_at")
    figure = px.line(
        frame,
        x="checked_at",
        y="age_hours",
        color="source",
        markers=True,
        custom_data=["status"],
        labels={"checked_at": fmt.on_clock("Publish", WALL), "age_hours": "Age of newest data (h)"},
        title="Age of the newest data at each publish, last 30 days",
    )
    figure.update_traces(
        hovertemplate=f"%{{fullData.name}}, {fmt.time_hover('x', WALL)}<br>"
        f"newest data %{{y:{fmt.HOURS_D3}}} h old (%{{customdata[0]}})<extra></extra>"
    )
    thresholds = frame.groupby("source").warn_after_hours.first()
    for trace in figure.data:
        figure.add_hline(
            y=thresholds[trace.name],
            line_dash="dot",
            line_color=trace.line.color,
            annotation_text=f"{trace.name} stale after {thresholds[trace.name]:g} h",
            annotation_font_color=trace.line.color,
        )
    return figure.update_layout(margin=MARGIN, legend_title_text="")
