"""Data health history and dbt test issues: what publish adds next to marts.data_health."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest

from velo.serving import open_serving, publish
from velo.serving.health import HISTORY_DAYS, HealthRecord, history_path
from velo.settings import Settings
from velo.warehouse.run_results import failing_tests


def history(settings: Settings) -> list[tuple]:
    con = open_serving(settings)
    try:
        return con.execute(
            "SELECT checked_at, source, last_loaded_at, rows_last_load, age_hours, status "
            "FROM marts.data_health_history ORDER BY checked_at, source"
        ).fetchall()
    finally:
        con.close()


def test_each_publish_adds_one_point_per_source(served: Settings) -> None:
    before = history(served)
    # the sample's 29 days of history plus the sample's own publish
    assert len(before) == 3 * HISTORY_DAYS
    with duckdb.connect(str(served.warehouse_path)) as wh:  # a new FX run of 5 rows
        wh.execute(
            "INSERT INTO raw.fx_rates SELECT rate_timestamp + 3600, rate_at + INTERVAL 1 HOUR, "
            "base, quote, rate, _loaded_at + INTERVAL 30 MINUTE FROM raw.fx_rates "
            "ORDER BY rate_at DESC LIMIT 5"
        )
    publish(served, require_passed_build=False)  # a sample, not a dbt build
    after = history(served)
    # both publishes may fall in the same second: compare as multisets, not positions
    new_rows = list(after)
    for row in before:
        new_rows.remove(row)
    added = {row[1]: row for row in new_rows}
    assert set(added) == {"fx", "operations", "sentiment"}
    assert added["fx"][3] == 5  # the new run's rows, not the table's
    last_fx = [row for row in before if row[1] == "fx"][-1]
    assert added["fx"][2] == last_fx[2] + timedelta(minutes=30)


def test_history_keeps_thirty_days_and_survives_a_torn_line(served: Settings) -> None:
    path = history_path(served)
    old = HealthRecord(
        datetime(2000, 1, 1),
        datetime(2000, 1, 1),
        "fx",
        datetime(2000, 1, 1),
        7,
        7,
        2.0,
        0.5,
        "fresh",
    )
    with path.open("a") as fh:
        fh.write(old.as_json() + "\n")
        fh.write('{"checked_at": "2026-')  # a crash mid-append
    publish(served, require_passed_build=False)  # a sample, not a dbt build
    rows = history(served)
    assert len(rows) == 3 * (HISTORY_DAYS + 1)  # the old and the torn line are gone
    assert min(row[0] for row in rows) >= rows[-1][0] - timedelta(days=HISTORY_DAYS)
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_first_publish_starts_the_history(settings: Settings, served_as_of) -> None:
    from velo.serving.sample import build_sample_warehouse

    # Freshness is the sample's data time on the platform clock: the end of its as-of day.
    settings = settings.with_overrides(clock=datetime.combine(served_as_of, time(23)))
    build_sample_warehouse(Path(settings.warehouse_path), served_as_of)
    publish(settings, require_passed_build=False)  # a sample, not a dbt build
    rows = history(settings)
    assert [row[1] for row in rows] == ["fx", "operations", "sentiment"]
    assert all(row[3] > 0 and row[5] == "fresh" for row in rows)


RUN_RESULTS = {
    "metadata": {"generated_at": "2014-06-30T23:01:02Z"},
    "results": [
        {"unique_id": "test.velo.not_null_x.a1b2c3", "status": "pass", "failures": 0},
        {"unique_id": "test.velo.accepted_range_qty.9f8e7d", "status": "warn", "failures": 3},
        {"unique_id": "test.velo.assert_revenue_reconciles", "status": "fail", "failures": 12},
        {
            "unique_id": "unit_test.velo.obt_sales_order_lines.margin_rule",
            "status": "fail",
            "failures": 1,
        },
        {"unique_id": "test.velo.relationships_y.123abc", "status": "error", "failures": None},
        {"unique_id": "model.velo.obt_sales_order_lines", "status": "error"},
        {"unique_id": "test.velo.skipped_z.456def", "status": "skipped"},
    ],
}


def test_failing_tests_lists_failures_errors_then_warnings() -> None:
    assert failing_tests(RUN_RESULTS) == [
        ("assert_revenue_reconciles", "fail", 12, None),
        ("obt_sales_order_lines.margin_rule", "fail", 1, None),
        ("relationships_y", "error", None, None),
        ("accepted_range_qty", "warn", 3, None),
    ]


def test_publish_copies_the_last_builds_test_issues(served: Settings) -> None:
    target = Path(served.state_dir) / "dbt" / "target"
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").write_text(json.dumps(RUN_RESULTS))
    publish(served, require_passed_build=False)  # a sample, not a dbt build
    con = open_serving(served)
    try:
        issues = con.execute("SELECT test, status, failures FROM marts.dbt_test_issues").fetchall()
    finally:
        con.close()
    assert issues[0] == ("assert_revenue_reconciles", "fail", 12)
    assert ("accepted_range_qty", "warn", 3) in issues
    assert len(issues) == 4


@pytest.mark.parametrize("content", ["", "{not json"])
def test_missing_or_torn_run_results_give_no_issues(served: Settings, content: str) -> None:
    target = Path(served.state_dir) / "dbt" / "target"
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").write_text(content)
    publish(served, require_passed_build=False)  # a sample, not a dbt build
    con = open_serving(served)
    try:
        assert con.execute("SELECT count(*) FROM marts.dbt_test_issues").fetchone()[0] == 0
    finally:
        con.close()
