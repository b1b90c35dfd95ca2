"""Chart builders at the edges: one state, one category, one day, USD and EUR tooltips."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
import pytest

from velo.dashboard import charts

DAY = pd.Timestamp("2014-06-15")


def texas(revenue: float = 5_172_732.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sales_order_line__state": ["US-TX"],
            "sales_order_line__state_name": ["Texas"],
            "revenue": [revenue],
        }
    )


def one_category() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sales_order_line__category": ["Bikes"],
            "revenue": [1_234_567.8],
            "units_sold": [4321],
            "profit": [200_000.0],
        }
    )


def one_day() -> pd.DataFrame:
    return pd.DataFrame({"metric_time__day": [DAY], "revenue": [9_876.5], "profit": [1_234.5]})


def one_subcategory(margin: float = 0.42) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sales_order_line__category": ["Bikes"],
            "sales_order_line__subcategory": ["Road Bikes"],
            "revenue": [50_000.0],
            "margin": [margin],
        }
    )


def hover_templates(figure: go.Figure) -> list[str]:
    return [trace.hovertemplate for trace in figure.data]


def money_figures(symbol: str) -> list[go.Figure]:
    return [
        charts.state_choropleth(texas(), symbol),
        charts.category_bars(one_category(), symbol),
        charts.revenue_profit_lines(one_day(), symbol),
        charts.margin_treemap(one_subcategory(), symbol),
        charts.profit_donut(one_category(), symbol),
    ]


@pytest.mark.parametrize("symbol", ["$", "€"])
def test_every_money_tooltip_is_currency_with_separators(symbol: str) -> None:
    for figure in money_figures(symbol):
        for template in hover_templates(figure):
            assert f"{symbol}%{{" in template and ":,.0f}" in template, template
            assert "<extra></extra>" in template  # no raw trace name box


def test_one_state_colour_bar_spans_zero_to_its_revenue() -> None:
    figure = charts.state_choropleth(texas(), "€")
    axis = figure.layout.coloraxis
    assert (axis.cmin, axis.cmax) == (0.0, 5_172_732.0)  # not a degenerate 5.1727322M range
    assert axis.colorbar.tickprefix == "€"


def test_zero_based_range_never_collapses() -> None:
    assert charts.zero_based_range(pd.Series([0.42])) == (0.0, 0.42)
    assert charts.zero_based_range(pd.Series([-0.1, 0.3])) == (-0.1, 0.3)
    assert charts.zero_based_range(pd.Series([0.0])) == (0.0, 1.0)


def test_one_subcategory_treemap_has_a_margin_scale() -> None:
    figure = charts.margin_treemap(one_subcategory(0.42), "$")
    assert (figure.layout.coloraxis.cmin, figure.layout.coloraxis.cmax) == (0.0, 0.42)
    assert "%{color:.1%}" in figure.data[0].hovertemplate


def test_one_category_bar_starts_at_zero() -> None:
    figure = charts.category_bars(one_category(), "$")
    assert list(figure.data[0].y) == ["Bikes"]
    assert figure.layout.xaxis.rangemode == "tozero"
    assert "%{customdata[0]:,d}" in figure.data[0].hovertemplate  # units with separators


def test_one_day_is_a_visible_point_on_a_day_axis() -> None:
    figure = charts.revenue_profit_lines(one_day(), "$")
    assert all("markers" in trace.mode for trace in figure.data)
    low, high = figure.layout.xaxis.range
    assert pd.Timestamp(low) < DAY < pd.Timestamp(high)
    assert figure.layout.xaxis.tickformat == "%Y-%m-%d"


def test_one_day_of_sentiment_keeps_the_whole_score_scale() -> None:
    days = pd.DataFrame(
        {
            "metric_time__day": [DAY],
            "sentiment_score": [0.3],
            "sentiment_day__top_headline": ["Velo wins"],
            "sentiment_day__label": ["positive"],
            "sentiment_day__scorer": ["finance 1.382c6dbe73"],
        }
    )
    figure = charts.sentiment_line(days)
    assert tuple(figure.layout.yaxis.range) == (-1.05, 1.05)
    assert figure.layout.xaxis.range is not None


def test_one_hour_of_fx_is_a_marker() -> None:
    rates = pd.DataFrame({"metric_time__hour": [datetime(2014, 6, 30, 23)], "eur_usd_rate": [1.1]})
    figure = charts.fx_line(rates, "wall")
    assert "markers" in figure.data[0].mode
    assert "%{y:.4f}" in figure.data[0].hovertemplate


@pytest.mark.parametrize(
    ("kind", "label"), [("simulated", "simulated time"), ("wall", "wall-clock time (UTC)")]
)
def test_fx_hours_name_the_clock_they_were_published_on(kind: str, label: str) -> None:
    rates = pd.DataFrame(
        {"metric_time__hour": pd.date_range("2014-06-30", periods=3, freq="h"), "eur_usd_rate": 1.1}
    )
    figure = charts.fx_line(rates, kind)
    assert figure.layout.xaxis.title.text == f"Hour, {label}"
    assert figure.data[0].hovertemplate.startswith(f"%{{x|%Y-%m-%d %H:%M}} ({label})<br>")


def test_load_history_times_are_on_the_wall_clock() -> None:
    for figure in (charts.rows_per_run(health_history()), charts.newest_load_age(health_history())):
        assert figure.layout.xaxis.title.text.endswith(", wall-clock time (UTC)")
        assert all("(wall-clock time (UTC))<br>" in trace.hovertemplate for trace in figure.data)


def health_history() -> pd.DataFrame:
    at = pd.Timestamp("2026-11-01 04:00")
    rows = []
    for day in range(3):
        checked = at + pd.Timedelta(days=day)
        rows.append((checked, "fx", checked - pd.Timedelta(minutes=5), 24, 2.0, 0.1, "fresh"))
        # operations did not run on day 2: the same load seen twice, now a day old
        loaded = at + pd.Timedelta(days=min(day, 1)) - pd.Timedelta(minutes=5)
        age = (checked - loaded).total_seconds() / 3600
        rows.append((checked, "operations", loaded, 150, 26.0, age, "fresh"))
    return pd.DataFrame(
        rows,
        columns=[
            "checked_at",
            "source",
            "last_loaded_at",
            "rows_last_load",
            "warn_after_hours",
            "age_hours",
            "status",
        ],
    )


def test_rows_per_run_counts_each_load_once() -> None:
    figure = charts.rows_per_run(health_history())
    points = {trace.name: len(trace.x) for trace in figure.data}
    assert points == {"fx": 3, "operations": 2}
    assert figure.layout.yaxis.type == "log"


def test_newest_load_age_draws_each_sources_threshold() -> None:
    figure = charts.newest_load_age(health_history())
    assert sorted(shape.y0 for shape in figure.layout.shapes) == [2.0, 26.0]
    ages = dict(zip(figure.data[1].x, figure.data[1].y, strict=True))
    assert max(ages.values()) == pytest.approx(24 + 5 / 60)
