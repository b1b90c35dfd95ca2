"""The formatters: the same figure reads the same in a KPI, a table and a tooltip."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from velo.dashboard import formatting as fmt


@pytest.mark.parametrize(
    ("value", "symbol", "text"),
    [
        (7_666_116.45, "$", "$7,666,116"),
        (142_444.45, "€", "€142,444"),
        (-1_204.4, "€", "-€1,204"),
        (0.0, "$", "$0"),
        (None, "$", "n/a"),
        (float("nan"), "€", "n/a"),
    ],
)
def test_money_has_the_symbol_and_thousands_separators(value, symbol, text) -> None:
    assert fmt.money(value, symbol) == text


def test_counts_percentages_and_changes() -> None:
    assert fmt.count(2160) == "2,160"
    assert fmt.count(None) == "n/a"
    assert fmt.percent(0.45312) == "45.3%"
    assert fmt.percent(-0.02) == "-2.0%"
    assert fmt.percent_change(110.0, 100.0) == "+10.0%"
    assert fmt.percent_change(-50.0, -100.0) == "+50.0%"
    assert fmt.percent_change(5.0, 0.0) is None
    assert fmt.percent_change(None, 5.0) is None


def test_plotly_and_table_formats_carry_the_currency() -> None:
    assert fmt.money_hover("x", "€") == "€%{x:,.0f}"
    assert fmt.money_printf("$") == "$%,.0f"
    assert fmt.COUNT_PRINTF == "%,d"


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("simulated", "simulated time"),
        ("wall", "wall-clock time (UTC)"),
        ("fixed", "fixed clock"),
        (None, "platform clock"),  # a serving DB published before clock_kind was recorded
    ],
)
def test_published_times_name_their_clock(kind, label) -> None:
    at = datetime(2014, 6, 30, 23, 0, 5)
    assert fmt.timestamp(at, kind) == f"2014-06-30 23:00 ({label})"
    assert fmt.timestamp(None, kind) == "n/a"


def test_a_missing_time_is_not_applicable_not_nat() -> None:
    assert fmt.timestamp(pd.NaT, "wall") == "n/a"
    assert fmt.timestamp(pd.Timestamp("2014-06-28 10:15:30"), "wall") == (
        "2014-06-28 10:15 (wall-clock time (UTC))"
    )


def test_days_and_axes_name_their_clock() -> None:
    first, last = pd.Timestamp("2014-05-02"), pd.Timestamp("2014-06-30")
    assert fmt.day_span(first, last, "simulated") == "2014-05-02 to 2014-06-30 (simulated time)"
    assert fmt.day_span(pd.NaT, last, "simulated") == "n/a"
    assert fmt.on_clock("Hour", "fixed") == "Hour, fixed clock"
    assert fmt.on_clock("Hour", None) == "Hour, platform clock"
    assert fmt.time_hover("x", "wall") == "%{x|%Y-%m-%d %H:%M} (wall-clock time (UTC))"
