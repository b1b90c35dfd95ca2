"""End to end through Dagster: `velo run` from nothing, one incremental day, atomic publish."""

import hashlib
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import sqlalchemy as sa
from rich.console import Console

from velo.clock import wall_now
from velo.errors import VeloError
from velo.orchestration.definitions import build_definitions
from velo.orchestration.instance import open_instance
from velo.orchestration.run import run_platform
from velo.orchestration.schedules import FX_JOB, PLATFORM_JOB
from velo.settings import Settings
from velo.simulator.bulk import open_engine
from velo.simulator.clock import read_sim_clock
from velo.simulator.schema import sales_order_header
from velo.warehouse.run_results import last_build

pytestmark = pytest.mark.slow
SCALE, DAYS = 0.02, 40


def quiet_console() -> Console:
    return Console(file=io.StringIO(), width=160)


def run_alerts(slack) -> list[str]:
    """The run alerts posted (the sentiment function posts its own notifications too)."""
    return [text for text in slack.texts if "Velo run `" in text]


def newest_order(settings: Settings) -> datetime:
    engine = open_engine(settings.ops_db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(sales_order_header.c.orderdate))).scalar_one()
    finally:
        engine.dispose()


def orders_changed_after(settings: Settings, instant: datetime) -> int:
    """Source orders added or changed after ``instant`` (what an incremental load reads)."""
    engine = open_engine(settings.ops_db_url)
    try:
        with engine.connect() as conn:
            changed = sa.select(sa.func.count()).where(sales_order_header.c.modifieddate > instant)
            return conn.execute(changed).scalar_one()
    finally:
        engine.dispose()


def recorded_in_instance(settings: Settings, run_id: str) -> dict[str, object]:
    """What the data directory's Dagster instance (the one `velo dagster` serves) holds of a run:
    its status, its materialised assets, its passed checks and how many log lines it has."""
    with open_instance(settings) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None, f"run {run_id} not in the instance under {settings.state_dir}"
        logs = instance.all_logs(run_id)
        events = [entry.dagster_event for entry in logs if entry.dagster_event is not None]
        checks = [
            e.asset_check_evaluation_data
            for e in events
            if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ]
        return {
            "status": run.status,
            "materialized": {
                e.asset_key.to_user_string() for e in events if e.is_step_materialization
            },
            "checks_passed": sum(1 for check in checks if check.passed),
            "log_lines": len(logs),
        }


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_velo_run_from_nothing_then_one_incremental_day(settings: Settings, slack) -> None:
    settings = settings.with_overrides(slack_webhook_url=slack.url)
    console = quiet_console()

    first = run_platform(settings, scale=SCALE, history_days=DAYS, console=console)

    # Every asset of the platform job materialized, every check ran, and publish happened: in
    # two Dagster runs, the loads then the build.
    job_keys = build_definitions(settings).resolve_job_def(PLATFORM_JOB).asset_layer
    expected = {key.to_user_string() for key in job_keys.executable_asset_keys}
    loads, build = first.runs
    assert loads.succeeded and build.succeeded
    assert expected == set(loads.materialized) | set(build.materialized)
    assert "raw/fx_rates" in loads.materialized and "serving_db" in build.materialized
    assert not [key for key in loads.materialized if not key.startswith(("raw/", "landing/"))]
    assert not any(run.checks_failed or run.stale for run in first.runs)
    assert settings.serving_path.exists()
    assert "answers as of" in console.file.getvalue()
    assert [text.split(" Velo run")[0] for text in run_alerts(slack)] == [":white_check_mark:"] * 2
    (full,) = first.rows_read

    # The runs are recorded where `velo dagster` looks: its UI shows them, their logs and checks.
    for run, materialized in ((loads, "raw/fx_rates"), (build, "marts/obt_sales_order_lines")):
        recorded = recorded_in_instance(settings, run.run_id)
        assert recorded["status"] == dg.DagsterRunStatus.SUCCESS
        assert recorded["materialized"] == set(run.materialized)
        assert materialized in recorded["materialized"]
        assert recorded["checks_passed"] > 0 and recorded["log_lines"] > 0
    assert full["salesorderheader"] > 0 and full["fx_rates"] > 0 and full["sentiment"] > 0
    built = last_build(settings)
    assert built is not None
    kinds = {result["unique_id"].split(".")[0] for result in built["results"]}
    assert {"model", "test"} <= kinds and "unit_test" not in kinds  # those: transform and CI

    # the new company's history ends at the current instant: nothing from the future
    created_at = read_sim_clock(settings.ops_db_url)
    assert created_at is not None and created_at <= wall_now()
    assert newest_order(settings) <= created_at

    check_a_run_with_nothing_new_builds_nothing(settings)

    second = run_platform(settings, tick_days=1, console=quiet_console())

    # One platform run for the one day; it read only that day's rows: those the day added or
    # changed in the source (not a fraction of the whole: a small company's day varies).
    (day,) = second.rows_read
    day_orders = orders_changed_after(settings, created_at)
    assert 0 < day["salesorderheader"] == day_orders < full["salesorderheader"]
    assert 0 < day["fx_rates"] <= 24 * 6  # one day of hours, 6 quotes each
    assert day["salesorderdetail"] < full["salesorderdetail"]
    with duckdb.connect(str(settings.serving_path), read_only=True) as con:
        (published,) = con.execute("select count(*) from marts.publish_log").fetchone()
    assert published == 1  # each publish swaps in a fresh file with its own log row
    # +the nothing-new run's loads, +the day's loads and build
    assert len(run_alerts(slack)) == 5 and all("succeeded" in text for text in run_alerts(slack))

    # A second simulated day: the answers say the clock is simulated time, two days ahead.
    third = quiet_console()
    run_platform(settings, tick_days=1, console=third)
    shown = re.search(
        r"simulated time (\S+ \S+); wall clock (\S+ \S+) UTC",
        " ".join(third.file.getvalue().split()),
    )
    assert shown is not None, third.file.getvalue()
    simulated, wall = (datetime.fromisoformat(text) for text in shown.groups())
    assert simulated == created_at + timedelta(days=2)
    assert timedelta(days=1, hours=12) < simulated - wall <= timedelta(days=2)
    with duckdb.connect(str(settings.serving_path), read_only=True) as con:
        clock_kind = con.execute("select clock_kind from marts.publish_log").fetchone()[0]
    assert clock_kind == "simulated"

    check_the_hourly_fx_refresh(settings, simulated)


def check_a_run_with_nothing_new_builds_nothing(settings: Settings) -> None:
    """The same clock again: the loads read nothing and rewrite nothing in raw, so the build (dbt,
    publishing and its check) is not even started, and the serving DB is the file it was."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        raw_before = con.execute(
            "select table_name, estimated_size from duckdb_tables()"
            " where schema_name = 'raw' and not starts_with(table_name, '_dlt')"
        ).fetchall()
    served = digest(settings.serving_path)
    console = quiet_console()

    outcome = run_platform(settings, console=console, answers=False)

    (run,) = outcome.runs  # the loads' run; no build run
    assert run.succeeded and not run.failures
    assert not any(outcome.rows_read[0].values()), outcome.rows_read
    assert not [key for key in run.materialized if key.startswith("marts/")]
    assert "serving_db" not in run.materialized
    assert digest(settings.serving_path) == served
    shown = " ".join(console.file.getvalue().split())
    assert "dbt build, publish serving DB skipped: nothing changed since the last publish" in shown
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        raw_after = con.execute(
            "select table_name, estimated_size from duckdb_tables()"
            " where schema_name = 'raw' and not starts_with(table_name, '_dlt')"
        ).fetchall()
    assert sorted(raw_after) == sorted(raw_before)


def served_table(settings: Settings, table: str) -> list[tuple]:
    with duckdb.connect(str(settings.serving_path), read_only=True) as con:
        return con.execute(f"select * from marts.{table} order by all").fetchall()


def check_the_hourly_fx_refresh(settings: Settings, simulated: datetime) -> None:
    """`velo run --only fx` an hour later: the new hour's rate is served, built by the FX models
    alone, and every other mart stays as the daily build published it."""
    sales_before = served_table(settings, "obt_sales_order_lines")
    hour_later = settings.with_overrides(clock=simulated + timedelta(hours=1))

    outcome = run_platform(hour_later, only="fx", console=quiet_console())

    (run,) = outcome.runs
    assert run.succeeded and run.job == FX_JOB
    assert {"raw/fx_rates", "marts/fct_fx_rates_hourly", "serving_fx_rates"} <= set(
        run.materialized
    )
    assert not {"marts/obt_sales_order_lines", "serving_db"} & set(run.materialized)
    served_rates = served_table(settings, "fct_fx_rates_hourly")
    newest_hour = max(row[0] for row in served_rates)  # rate_hour comes first
    assert newest_hour == (simulated + timedelta(hours=1)).replace(minute=0, second=0)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        built = con.execute("select * from marts.fct_fx_rates_hourly order by all").fetchall()
    assert served_rates == built
    assert served_table(settings, "obt_sales_order_lines") == sales_before
    (tables,) = (row[-1] for row in served_table(settings, "publish_log"))
    assert set(json.loads(tables)) == {"fct_fx_rates_hourly"}


def test_failing_dbt_test_stops_publish_and_keeps_the_old_serving_db(
    settings: Settings, slack
) -> None:
    settings = settings.with_overrides(slack_webhook_url=slack.url)
    run_platform(settings, scale=SCALE, history_days=DAYS, console=quiet_console(), answers=False)
    before = digest(settings.serving_path)
    # A duplicated hour in raw breaks the FX uniqueness test. (A duplicated order would not do:
    # the next ingest reconciles raw with the source and repairs it; the oldest FX hour lies
    # before the FX cursor, so no later load touches it.)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            "insert into raw.fx_rates select * from raw.fx_rates"
            " where rate_at = (select min(rate_at) from raw.fx_rates)"
        )

    with pytest.raises(VeloError, match="data test"):
        run_platform(settings.with_overrides(clock=None), console=quiet_console(), answers=False)

    assert digest(settings.serving_path) == before
    assert run_alerts(slack)[-1].startswith(":x:") and "dbt_build" in run_alerts(slack)[-1]
