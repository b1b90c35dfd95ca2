"""What every page shares: the sidebar filters, the page context, the messages, formatting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from velo.dashboard import charts, data
from velo.dashboard import formatting as fmt
from velo.errors import VeloError
from velo.serving.answers import ranking_window

NO_DATA = "No data for this selection."
NO_SALES = (
    "No data for this selection: no sales match these dates, places and categories. "
    "Widen the date range or clear a filter in the sidebar."
)
NO_RATES = "No EUR/USD rates loaded yet: amounts are shown in USD."
NO_SERVING_DB = "No serving database yet: run `make run` first (it builds and publishes the data)."


@dataclass(frozen=True)
class PageContext:
    version: tuple[str, float]
    as_of: date
    filters: data.FilterKey
    currency: str
    clock_kind: str | None  # the clock the serving DB was published by (fmt.clock_name)

    @property
    def date_from(self) -> date:
        return self.filters[0]

    @property
    def date_to(self) -> date:
        return self.filters[1]

    @property
    def symbol(self) -> str:
        return "€" if self.currency == "EUR" else "$"


def page_context() -> PageContext:
    """Every page starts here: no serving DB -> the `make run` hint; else the sidebar filters."""
    version = data.serving_version()
    if not version[1]:
        st.info(NO_SERVING_DB)
        st.stop()
    return sidebar(version)


def remembered(key: str, default: object) -> str:
    """A widget key whose value survives page switches (Streamlit drops state of widgets a page
    does not draw, so the choice is kept under a plain session key and restored)."""
    widget_key = f"_{key}"
    st.session_state[widget_key] = st.session_state.get(key, default)
    return widget_key


def remember(key: str) -> None:
    st.session_state[key] = st.session_state[f"_{key}"]


def sidebar(version: tuple[str, float]) -> PageContext:
    """Draw the filters (every page draws them; their choices are shared)."""
    published, clock_kind = data.publication(version)
    lo, hi = data.date_bounds(version)
    as_of = published.date() if published else (hi or date.today())
    st.sidebar.header("Filters")
    if lo is None or hi is None:
        st.sidebar.caption("No sales published yet.")
        return PageContext(version, as_of, (as_of, as_of, (), (), ()), "USD", clock_kind)
    window_start, _ = ranking_window(as_of)
    default_from = max(lo, min(window_start, hi))
    default_to = max(min(as_of, hi), default_from)
    picked = st.sidebar.date_input(
        "Date range",
        min_value=lo,
        max_value=max(hi, as_of),
        key=remembered("date_range", (default_from, default_to)),
        on_change=remember,
        args=("date_range",),
    )
    start, end = picked if isinstance(picked, tuple) and len(picked) == 2 else (lo, hi)
    values = data.dimension_values(version)
    countries = st.sidebar.multiselect(
        "Country",
        options=sorted(values.country.dropna().unique()),
        format_func=label_of(values, "country", "country_name"),
        key=remembered("countries", []),
        on_change=remember,
        args=("countries",),
    )
    # all states stay selectable (a changing option list would reset the widget's selection)
    states = st.sidebar.multiselect(
        "State",
        options=sorted(values.state.dropna().unique()),
        format_func=label_of(values, "state", "state_name"),
        key=remembered("states", []),
        on_change=remember,
        args=("states",),
    )
    categories = st.sidebar.multiselect(
        "Category",
        options=sorted(values.category.dropna().unique()),
        key=remembered("categories", []),
        on_change=remember,
        args=("categories",),
    )
    currency = st.sidebar.radio(
        "Currency",
        ("USD", "EUR"),
        horizontal=True,
        key=remembered("currency", "USD"),
        on_change=remember,
        args=("currency",),
    )
    if currency == "EUR" and not data.has_fx_rates(version):
        st.sidebar.warning(NO_RATES)
        currency = "USD"
    st.sidebar.caption(
        f"Data as of {as_of:%Y-%m-%d} · serving DB published {fmt.timestamp(published, clock_kind)}"
    )
    key = (start, end, tuple(countries), tuple(states), tuple(categories))
    return PageContext(version, as_of, key, currency, clock_kind)


def label_of(values: pd.DataFrame, code: str, name: str) -> Callable[[str], str]:
    names = dict(zip(values[code], values[name], strict=False))
    return lambda value: f"{names.get(value) or value} ({value})"


def show(figure: object, key: str) -> None:
    st.plotly_chart(figure, key=key, config=charts.PLOTLY_CONFIG)


def show_unless_empty(empty: bool, figure: Callable[[], object], key: str) -> None:
    """The chart, or the no-data line when the selection leaves nothing to draw."""
    if empty:
        st.info(NO_DATA)
    else:
        show(figure(), key)


def no_data_between(what: str, start: date, end: date) -> str:
    """The empty-chart message naming what is missing, e.g. no FX rates in an old range."""
    return f"{NO_DATA} No {what} from {start:%Y-%m-%d} to {end:%Y-%m-%d}."


def warn_if_no_sales(ctx: PageContext) -> bool:
    """One clear line above the charts when the filters leave no sales at all."""
    empty = data.categories(ctx.version, ctx.filters, "USD").empty
    if empty:
        st.warning(NO_SALES, icon=":material/filter_alt_off:")
    return empty


def guarded(draw: Callable[[], None]) -> None:
    """Run a chart; a VeloError (e.g. no FX rates for EUR) becomes one line, not a traceback."""
    try:
        draw()
    except VeloError as exc:
        st.warning(str(exc))


def last_days(ctx: PageContext, days: int) -> tuple[date, date]:
    end = min(ctx.date_to, ctx.as_of)
    return end - timedelta(days=days - 1), end
