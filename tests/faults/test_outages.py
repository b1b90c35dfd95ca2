"""Outside services failing: the FX and news APIs down for a run and back the next day, and the
Slack webhook down (the run succeeds, the failed alert is logged once, its URL never)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

from faults.fault_helpers import (
    DOWN_WEBHOOK_PATH,
    NEXT_DAY,
    ONE_HTTP_ATTEMPT,
    BaseRun,
    Reference,
    copy_data,
    dead_url,
    raw_problems,
    serving_digest,
    temp_files,
    velo,
)

DAY_AFTER = NEXT_DAY + timedelta(days=1)


def news_days(data: Path) -> set[date]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        rows = con.sql("select distinct cast(time_published as date) from raw.sentiment").fetchall()
    return {day for (day,) in rows}


def test_apis_down_for_a_run_then_back_next_day_leave_no_gap(
    ticked: Path, reference: Reference, fault_root: Path
) -> None:
    data = copy_data(ticked, fault_root / "outage")
    down = dead_url()
    failed = velo(
        data,
        "run",
        "--as-of",
        NEXT_DAY.isoformat(),
        fx_api_url=f"{down}/fx",
        news_api_url=f"{down}/news",
        extra_env=ONE_HTTP_ATTEMPT,
    )
    assert failed.returncode != 0
    error_lines = [line for line in failed.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1 and error_lines[0].startswith("error:"), failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr
    assert serving_digest(data) == reference.old_serving  # nothing half-published

    velo(data, "sim", "tick", "--days", "1")
    recovered = velo(data, "run", "--as-of", DAY_AFTER.isoformat())
    assert recovered.returncode == 0, recovered.stdout[-3000:] + recovered.stderr[-3000:]
    assert raw_problems(data, DAY_AFTER) == []  # FX: every hour to DAY_AFTER 23:00, once
    first = min(news_days(data))
    every_day = {first + timedelta(days=n) for n in range((DAY_AFTER - first).days + 1)}
    assert news_days(data) == every_day  # the day the news API was down was scored later
    assert temp_files(data) == []


def test_webhook_down_run_succeeds_and_logs_the_failed_alert_once(base: BaseRun) -> None:
    assert base.returncode == 0, base.output[-3000:]
    failures = [line for line in base.run_log.splitlines() if "Slack alert" in line]
    # One summary per Dagster run of `velo run` (the loads, the build), each posted once.
    assert len(failures) == 2 and all("failed" in line for line in failures), failures
    assert DOWN_WEBHOOK_PATH not in base.run_log + base.output
