"""How the dashboard writes numbers and times: one definition per kind of number, in three
dialects — Python text (KPIs, captions), d3-format (Plotly hover templates and axes) and printf
(st.dataframe columns) — so a table, a tooltip and a KPI show the same figure the same way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from velo.clock import CLOCK_LABELS

SYMBOLS = {"USD": "$", "EUR": "€"}
UNKNOWN_CLOCK = "platform clock"  # a serving DB published before publish_log.clock_kind

# d3-format specifiers (Plotly) and their printf twins (Streamlit columns).
MONEY_D3 = ",.0f"
COUNT_D3 = ",d"
PERCENT_D3 = ".1%"
RATE_D3 = ".4f"
HOURS_D3 = ",.1f"
DAY_D3 = "%Y-%m-%d"
HOUR_D3 = "%Y-%m-%d %H:%M"
COUNT_PRINTF = "%,d"
HOURS_PRINTF = "%,.1f"
SCORE_PRINTF = "%.3f"  # accuracy, macro-F1: three decimals, as `velo sentiment evaluate` prints


def missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def money(value: float | None, symbol: str) -> str:
    """Whole currency units with thousands separators: $7,666,116 / -€1,204."""
    if missing(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.0f}"


def count(value: float | None) -> str:
    return "n/a" if missing(value) else f"{value:,.0f}"


def percent(value: float | None) -> str:
    return "n/a" if missing(value) else f"{value:.1%}"


def percent_change(new: float | None, old: float | None) -> str | None:
    if missing(new) or missing(old) or not old:
        return None
    return f"{(new - old) / abs(old):+.1%}"


def money_printf(symbol: str) -> str:
    """A dataframe column of whole currency units, e.g. $%,.0f (Streamlit's sprintf-js)."""
    return f"{symbol}%,.0f"


def money_hover(field: str, symbol: str) -> str:
    """A hover-template field as money, e.g. $%{x:,.0f}."""
    return f"{symbol}%{{{field}:{MONEY_D3}}}"


def clock_name(kind: str | None) -> str:
    return CLOCK_LABELS.get(kind or "", UNKNOWN_CLOCK)


def timestamp(at: datetime | None, kind: str | None) -> str:
    """A published time with the clock it was read from: 2014-06-30 23:00 (simulated time)."""
    if missing(at):
        return "n/a"
    return f"{pd.Timestamp(at):%Y-%m-%d %H:%M} ({clock_name(kind)})"


def day_span(first: Any, last: Any, kind: str | None) -> str:
    """Days on the platform clock: 2014-05-02 to 2014-06-30 (simulated time)."""
    if missing(first) or missing(last):
        return "n/a"
    return f"{pd.Timestamp(first):%Y-%m-%d} to {pd.Timestamp(last):%Y-%m-%d} ({clock_name(kind)})"


def on_clock(title: str, kind: str | None) -> str:
    """An axis title naming its clock: Hour, simulated time."""
    return f"{title}, {clock_name(kind)}"


def time_hover(field: str, kind: str | None) -> str:
    """A hover-template time with its clock: %{x|%Y-%m-%d %H:%M} (simulated time)."""
    return f"%{{{field}|{HOUR_D3}}} ({clock_name(kind)})"
