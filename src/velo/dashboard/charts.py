"""Plotly figures, built from metric frames (pure functions: data in, figure out)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
# The US-states map shape is served by the app itself (static/usa_110m.json), never a CDN.
PLOTLY_CONFIG = {"topojsonURL": "/app/static/", "displaylogo": False}


def state_choropleth(states: pd.DataFrame, symbol: str) -> go.Figure:
    """Revenue by US state; plotly's USA-states mode wants the 2-letter postal code."""
    frame = states.assign(code=states.order_line__state.str.removeprefix("US-"))
    figure = px.choropleth(
        frame,
        locations="code",
        locationmode="USA-states",
        scope="usa",
        color="revenue",
        hover_name="order_line__state_name",
        color_continuous_scale="Blues",
        labels={"revenue": f"Revenue ({symbol})"},
        title="Revenue by US state",
    )
    return figure.update_layout(margin=MARGIN)


def category_bars(categories: pd.DataFrame, symbol: str) -> go.Figure:
    frame = categories.sort_values("revenue")
    figure = px.bar(
        frame,
        x="revenue",
        y="order_line__category",
        orientation="h",
        hover_data={"units_sold": ":,"},
        labels={
            "revenue": f"Revenue ({symbol})",
            "order_line__category": "Category",
            "units_sold": "Units sold",
        },
        title="Revenue by product category",
    )
    return figure.update_layout(margin=MARGIN)


def fx_line(rates: pd.DataFrame) -> go.Figure:
    figure = px.line(
        rates,
        x="metric_time__hour",
        y="eur_usd_rate",
        labels={"metric_time__hour": "Hour (UTC)", "eur_usd_rate": "USD per EUR"},
        title="EUR/USD, hourly, last 7 days",
    )
    return figure.update_layout(margin=MARGIN)


def sentiment_line(days: pd.DataFrame) -> go.Figure:
    figure = px.line(
        days,
        x="metric_time__day",
        y="sentiment_score",
        markers=True,
        custom_data=["sentiment_day__top_headline", "sentiment_day__label"],
        labels={"metric_time__day": "Day", "sentiment_score": "Sentiment (-1..1)"},
        title="Public sentiment, daily, last 30 days",
    )
    figure.update_traces(
        hovertemplate="%{x|%Y-%m-%d}: %{y:+.3f} (%{customdata[1]})<br>%{customdata[0]}"
        "<extra></extra>"
    )
    return figure.update_layout(margin=MARGIN)


def revenue_profit_lines(daily: pd.DataFrame, symbol: str) -> go.Figure:
    long = daily.melt(
        id_vars="metric_time__day",
        value_vars=["revenue", "profit"],
        var_name="metric",
        value_name="amount",
    )
    figure = px.line(
        long,
        x="metric_time__day",
        y="amount",
        color="metric",
        labels={"metric_time__day": "Day", "amount": f"Amount ({symbol})", "metric": ""},
        title="Daily revenue vs profit",
    )
    return figure.update_layout(margin=MARGIN)


def margin_treemap(subcategories: pd.DataFrame) -> go.Figure:
    frame = subcategories[subcategories.revenue > 0]
    figure = px.treemap(
        frame,
        path=["order_line__category", "order_line__subcategory"],
        values="revenue",
        color="margin",
        color_continuous_scale="RdYlGn",
        hover_data={"margin": ":.1%"},
        title="Profit margin by subcategory (size = revenue)",
    )
    return figure.update_layout(margin=MARGIN)


def profit_donut(categories: pd.DataFrame, symbol: str) -> go.Figure:
    frame = categories[categories.profit > 0]
    figure = px.pie(
        frame,
        names="order_line__category",
        values="profit",
        hole=0.5,
        labels={"profit": f"Profit ({symbol})", "order_line__category": "Category"},
        title="Profit by category",
    )
    return figure.update_layout(margin=MARGIN)
