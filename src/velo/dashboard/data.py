"""The dashboard's data access: the read-only serving DB, cached, through the metric layer.

Every number comes from :mod:`velo.serving.metrics` / :mod:`velo.serving.answers`; this module
only adds Streamlit caching. Cache keys include the serving file's modification time, so a new
publish (an atomic rename) is picked up on the next rerun without restarting the app.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pandas as pd
import streamlit as st

from velo.serving import answers
from velo.serving import metrics as m
from velo.serving.publish import open_serving
from velo.settings import Settings, load_settings

FilterKey = tuple[date, date, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def settings() -> Settings:
    return load_settings()


def serving_version() -> tuple[str, float]:
    """(path, mtime) of the serving DB — the cache key of everything read from it."""
    path = Path(settings().serving_path)
    return str(path), path.stat().st_mtime if path.exists() else 0.0


@st.cache_resource(show_spinner=False, max_entries=2)
def connection(version: tuple[str, float]) -> duckdb.DuckDBPyConnection:
    return open_serving(settings())


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor of the cached read-only connection (one per call: Streamlit runs threads)."""
    return connection(serving_version()).cursor()


def to_filters(key: FilterKey) -> m.Filters:
    return m.Filters(*key)


@st.cache_data(show_spinner=False, max_entries=256)
def metric_frame(
    version: tuple[str, float],
    metrics: tuple[str, ...],
    group_by: tuple[str, ...],
    key: FilterKey,
    currency: str,
) -> pd.DataFrame:
    return m.query(cursor(), metrics, group_by, to_filters(key), currency)


@st.cache_data(show_spinner=False, max_entries=64)
def month_totals(
    version: tuple[str, float], as_of: date, key: FilterKey, currency: str
) -> dict[str, Any] | None:
    return answers.month_totals(cursor(), as_of, to_filters(key), currency)


@st.cache_data(show_spinner=False, max_entries=64)
def eur_usd(version: tuple[str, float], as_of: date) -> dict[str, Any] | None:
    return answers.eur_usd(cursor(), as_of)


@st.cache_data(show_spinner=False, max_entries=8)
def has_fx_rates(version: tuple[str, float]) -> bool:
    return answers.has_rows(cursor(), "fx")


@st.cache_data(show_spinner=False, max_entries=64)
def sentiment(version: tuple[str, float], as_of: date) -> dict[str, Any] | None:
    return answers.sentiment(cursor(), as_of)


@st.cache_data(show_spinner=False, max_entries=64)
def sentiment_days(version: tuple[str, float], as_of: date, days: int) -> pd.DataFrame | None:
    return answers.sentiment_days(cursor(), as_of, days)


@st.cache_data(show_spinner=False, max_entries=64)
def us_states(version: tuple[str, float], key: FilterKey, currency: str) -> pd.DataFrame:
    filters = to_filters(key)
    return answers.us_states(cursor(), filters.date_from, filters.date_to, filters, currency)


@st.cache_data(show_spinner=False, max_entries=64)
def categories(version: tuple[str, float], key: FilterKey, currency: str) -> pd.DataFrame:
    filters = to_filters(key)
    return answers.categories(cursor(), filters.date_from, filters.date_to, filters, currency)


@st.cache_data(show_spinner=False, max_entries=64)
def product_margins(version: tuple[str, float], key: FilterKey, currency: str) -> pd.DataFrame:
    filters = to_filters(key)
    window = (filters.date_from, filters.date_to)
    return answers.product_margins(cursor(), filters.date_to, filters, currency, window)


@st.cache_data(show_spinner=False)
def sql_frame(version: tuple[str, float], sql: str) -> pd.DataFrame:
    """Plain reads of non-metric tables (dimension values, data health, publish log)."""
    try:
        return cursor().execute(sql).df()
    except duckdb.CatalogException:
        return pd.DataFrame()


def publication(version: tuple[str, float]) -> tuple[datetime | None, str | None]:
    """When the serving DB was published and by which clock (``clock_kind``: simulated, wall or
    fixed; None from a serving DB published before publish recorded it)."""
    frame = sql_frame(version, "SELECT * FROM marts.publish_log ORDER BY published_at DESC LIMIT 1")
    if frame.empty or pd.isna(frame.at[0, "published_at"]):
        return None, None
    kind = frame.at[0, "clock_kind"] if "clock_kind" in frame.columns else None
    return pd.Timestamp(frame.at[0, "published_at"]).to_pydatetime(), kind or None


def dimension_values(version: tuple[str, float]) -> pd.DataFrame:
    """Distinct (country, state, category) and the order-date range, for the sidebar."""
    return sql_frame(
        version,
        "SELECT DISTINCT ship_country_code AS country, ship_country_name AS country_name, "
        "ship_state_code AS state, ship_state_name AS state_name, category_name AS category "
        "FROM marts.obt_sales_order_lines",
    )


def date_bounds(version: tuple[str, float]) -> tuple[date | None, date | None]:
    frame = sql_frame(
        version,
        "SELECT min(order_date) AS lo, max(order_date) AS hi FROM marts.obt_sales_order_lines",
    )
    if frame.empty or pd.isna(frame.at[0, "lo"]):
        return None, None
    return pd.Timestamp(frame.at[0, "lo"]).date(), pd.Timestamp(frame.at[0, "hi"]).date()


@st.cache_data(show_spinner=False, ttl=30)
def dagster_ui(url: str) -> bool:
    """Whether the Dagster UI answers at ``url`` (a short probe, re-checked every 30 s)."""
    try:
        return httpx.get(f"{url.rstrip('/')}/server_info", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False
