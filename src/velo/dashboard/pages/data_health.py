"""Data health: per source last load, freshness and rows; the last dbt build; publish time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from velo.dashboard import common, data

ctx = common.page_context()
st.title("Data health")

published = data.published_at(ctx.version)
build = data.sql_frame(ctx.version, "SELECT * FROM marts.dbt_build ORDER BY finished_at DESC")
publish_col, build_col, tests_col = st.columns(3)
publish_col.metric("Serving DB published", f"{published:%Y-%m-%d %H:%M}" if published else "n/a")
if build.empty:
    build_col.metric("Last dbt build", "unknown")
    tests_col.metric("dbt tests passed", "n/a")
else:
    last = build.iloc[0]
    finished = pd.Timestamp(last.finished_at)
    build_col.metric(
        "Last dbt build",
        "ok" if last.models_failed == 0 and last.tests_failed == 0 else "failed",
        None if pd.isna(finished) else f"{finished:%Y-%m-%d %H:%M} UTC",
        delta_color="off",
    )
    tests_col.metric(
        "dbt tests passed",
        f"{int(last.tests_passed)}",
        f"{int(last.tests_warned)} warned, {int(last.tests_failed)} failed",
        delta_color="off",
    )

st.subheader("Sources")
health = data.sql_frame(ctx.version, "SELECT * FROM marts.data_health ORDER BY source")
if health.empty:
    st.info(common.NO_DATA)
else:
    st.dataframe(
        health,
        hide_index=True,
        key="sources",
        column_config={
            "last_loaded_at": st.column_config.DatetimeColumn("last load (UTC)"),
            "rows_last_load": st.column_config.NumberColumn("rows in last load", format="%d"),
            "total_rows": st.column_config.NumberColumn("rows in raw", format="%d"),
            "warn_after_hours": st.column_config.NumberColumn("stale after (h)"),
            "age_hours": st.column_config.NumberColumn("age at publish (h)", format="%.1f"),
        },
    )
    stale = health[health.status != "fresh"]
    for row in stale.itertuples():
        st.warning(f"{row.source}: {row.status} (last load {row.last_loaded_at or 'never'})")
