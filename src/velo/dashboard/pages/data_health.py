"""Data health: per source last load, freshness and rows, their last 30 days; the last dbt
build and its failing or warning tests; when the serving DB was published; the Dagster UI; the
sentiment scorer behind the served scores and its held-out evaluation."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from velo.clock import WALL
from velo.dashboard import charts, common, data
from velo.dashboard import formatting as fmt

ctx = common.page_context()
st.title("Data health")


def draw_summary() -> None:
    published, clock_kind = data.publication(ctx.version)
    build = data.sql_frame(ctx.version, "SELECT * FROM marts.dbt_build ORDER BY finished_at DESC")
    publish_col, build_col, tests_col = st.columns(3)
    publish_col.metric(
        "Serving DB published",
        "n/a" if published is None else f"{published:%Y-%m-%d %H:%M}",
        fmt.clock_name(clock_kind),
        delta_color="off",
        delta_arrow="off",
    )
    if build.empty:
        build_col.metric("Last dbt build", "unknown")
        tests_col.metric("dbt tests passed", "n/a")
        return
    last = build.iloc[0]
    finished = pd.Timestamp(last.finished_at)
    build_col.metric(
        "Last dbt build",
        "ok" if last.models_failed == 0 and last.tests_failed == 0 else "failed",
        None if pd.isna(finished) else fmt.timestamp(finished, WALL),  # dbt stamps the wall clock
        delta_color="off",
        delta_arrow="off",
    )
    tests_col.metric(
        "dbt tests passed",
        fmt.count(last.tests_passed),
        f"{fmt.count(last.tests_warned)} warned, {fmt.count(last.tests_failed)} failed",
        delta_color="off",
        delta_arrow="off",
    )


def draw_dagster_link() -> None:
    url = data.settings().dagster_url
    if data.dagster_ui(url):
        st.link_button("Open the Dagster UI", url, icon=":material/open_in_new:")
    else:
        st.caption(f"The Dagster UI is not running at {url} (`make dagster` starts it).")


def draw_sources() -> None:
    st.subheader("Sources")
    health = data.sql_frame(ctx.version, "SELECT * FROM marts.data_health ORDER BY source")
    if health.empty:
        st.info(common.NO_DATA)
        return
    st.dataframe(
        health,
        hide_index=True,
        key="sources",
        column_config={
            "tables": st.column_config.NumberColumn("tables", format=fmt.COUNT_PRINTF),
            "last_loaded_at": st.column_config.DatetimeColumn(
                fmt.on_clock("last load", WALL), format="YYYY-MM-DD HH:mm"
            ),
            "rows_last_load": st.column_config.NumberColumn(
                "rows in last load", format=fmt.COUNT_PRINTF
            ),
            "total_rows": st.column_config.NumberColumn("rows in raw", format=fmt.COUNT_PRINTF),
            "warn_after_hours": st.column_config.NumberColumn(
                "stale after (h)", format=fmt.HOURS_PRINTF
            ),
            "age_hours": st.column_config.NumberColumn(
                "age of newest data at publish (h)", format=fmt.HOURS_PRINTF
            ),
        },
    )
    for row in health[health.status != "fresh"].itertuples():
        st.warning(not_fresh(row.source, row.status, row.last_loaded_at))


def not_fresh(source: str, status: str, last_loaded_at: datetime | None) -> str:
    """fx: stale, last load 2014-06-28 10:15 (wall-clock time (UTC)); ingestion stamps
    ``_loaded_at`` with the wall clock whatever clock the business runs on."""
    if fmt.missing(last_loaded_at):
        return f"{source}: {status}"
    return f"{source}: {status}, last load {fmt.timestamp(last_loaded_at, WALL)}"


def draw_history() -> None:
    st.subheader("Last 30 days")
    history = data.sql_frame(ctx.version, "SELECT * FROM marts.data_health_history")
    if history.empty or history.last_loaded_at.isna().all():
        st.info("No load history yet: every publish adds a point per source.")
        return
    runs_col, age_col = st.columns(2)
    with runs_col:
        common.show(charts.rows_per_run(history), "rows_per_run")
    with age_col:
        common.show(charts.newest_load_age(history), "newest_load_age")


def draw_test_issues() -> None:
    st.subheader("dbt tests failing or warning in the last build")
    if data.sql_frame(ctx.version, "SELECT * FROM marts.dbt_build").empty:
        st.info("No dbt build recorded in this serving DB.")
        return
    issues = data.sql_frame(ctx.version, "SELECT * FROM marts.dbt_test_issues")
    if issues.empty:
        st.success("None: every test of the last build passed.")
        return
    st.dataframe(
        issues,
        hide_index=True,
        key="test_issues",
        column_config={
            "failures": st.column_config.NumberColumn("failing rows", format=fmt.COUNT_PRINTF),
        },
    )


def draw_sentiment_scorer() -> None:
    st.subheader("Sentiment scorer")
    scorers = data.sql_frame(
        ctx.version,
        "SELECT scorer || ' ' || coalesce(scorer_version, '') AS scorer, count(*) AS days, "
        "min(sentiment_date) AS first_day, max(sentiment_date) AS last_day "
        "FROM marts.fct_sentiment_daily GROUP BY ALL ORDER BY last_day",
    )
    for row in scorers.itertuples():
        span = fmt.day_span(row.first_day, row.last_day, ctx.clock_kind)
        st.markdown(f"Served scores by **{row.scorer}**: {fmt.count(row.days)} days, {span}.")
    model = data.sql_frame(ctx.version, "SELECT * FROM marts.sentiment_model ORDER BY source")
    if model.empty:
        return
    st.caption(
        f"Finance model {model.model_version.iloc[0]} vs VADER on held-out rows never used "
        "for training (`velo sentiment evaluate`)."
    )
    number = st.column_config.NumberColumn
    st.dataframe(
        model.drop(columns="model_version"),
        hide_index=True,
        key="sentiment_model",
        column_config={
            "test_rows": number("test rows", format=fmt.COUNT_PRINTF),
            "model_accuracy": number("ours: accuracy", format=fmt.SCORE_PRINTF),
            "model_macro_f1": number("ours: macro-F1", format=fmt.SCORE_PRINTF),
            "vader_accuracy": number("VADER: accuracy", format=fmt.SCORE_PRINTF),
            "vader_macro_f1": number("VADER: macro-F1", format=fmt.SCORE_PRINTF),
        },
    )


draw_summary()
draw_dagster_link()
draw_sources()
draw_history()
draw_test_issues()
draw_sentiment_scorer()
