"""Guards around the served numbers: publishing only after a passed build (every path), one
writer at a time, and a full refresh that keeps what cannot be fetched again."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from typer.testing import CliRunner

from velo.cli import app
from velo.errors import VeloError
from velo.ingest import run_ingest
from velo.lifecycle import run_lifecycle
from velo.locking import lock_path, writer_lock
from velo.orchestration.resources import SettingsResource
from velo.orchestration.serving import build_serving_asset
from velo.runtime import platform
from velo.serving import publish
from velo.serving.sample import build_sample_warehouse
from velo.settings import Settings
from velo.warehouse.run_results import (
    blocking_nodes,
    node_status_path,
    read_node_status,
    record_run,
    run_results_path,
)
from velo.warehouse.runner import current_manifest, dbt_target_dir

AS_OF = datetime(2014, 6, 30)
FAILED_TEST = "test.velo.not_null_fct_sales_order_lines_product_key.1a2b"


def build_results(settings: Settings, error_test_status: str) -> dict:
    """A build in which an error-severity test has this status and a warn-severity one warned,
    with the project's own node ids: publishing parses the project, and the record forgets ids
    the manifest does not hold."""
    ids = {
        node["name"]: unique_id for unique_id, node in current_manifest(settings)["nodes"].items()
    }
    return {
        "results": [
            {"unique_id": "model.velo.fct_sales_order_lines", "status": "success"},
            {
                "unique_id": ids["not_null_fct_sales_order_lines_product_key"],
                "status": error_test_status,
            },
            {
                "unique_id": ids[
                    "accepted_values_fct_sales_order_lines_status_code__False__1__2__3__4__5__6"
                ],
                "status": "warn",
            },
        ]
    }


@pytest.fixture
def warehouse(settings: Settings, record_dbt_build: Callable[[Settings, dict], None]) -> Settings:
    """A warehouse with marts (the sample) and a serving DB published from it after a passed
    build; then a build that failed an error-severity test."""
    settings = settings.with_overrides(clock=AS_OF)
    build_sample_warehouse(Path(settings.warehouse_path), AS_OF.date(), scale=0.01)
    record_dbt_build(settings, build_results(settings, "pass"))
    publish(settings)
    record_dbt_build(settings, build_results(settings, "fail"))
    return settings


def test_publish_refuses_after_a_failed_test_and_keeps_the_served_file(
    warehouse: Settings, record_dbt_build: Callable[[Settings, dict], None]
) -> None:
    before = Path(warehouse.serving_path).read_bytes()
    with pytest.raises(VeloError, match="not_null_fct_sales_order_lines_product_key"):
        publish(warehouse)
    assert Path(warehouse.serving_path).read_bytes() == before
    record_dbt_build(warehouse, build_results(warehouse, "pass"))  # a warning does not block
    publish(warehouse)


def test_publish_refuses_without_any_recorded_build(warehouse: Settings) -> None:
    run_results_path(warehouse).unlink()
    node_status_path(warehouse).unlink()
    with pytest.raises(VeloError, match="no dbt build recorded"):
        publish(warehouse)


def test_velo_publish_is_gated_with_one_line(
    warehouse: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELO_CLOCK", AS_OF.isoformat())
    result = CliRunner().invoke(app, ["publish"])
    assert result.exit_code == 1
    assert "the serving DB was left as it was" in result.output
    assert "Traceback" not in result.output


def test_materialising_serving_db_alone_in_dagster_is_gated(warehouse: Settings) -> None:
    before = Path(warehouse.serving_path).read_bytes()
    result = dg.materialize(
        [build_serving_asset([], warehouse.dashboard_url)],
        resources={"velo": SettingsResource.from_settings(warehouse)},
        raise_on_error=False,
    )
    assert not result.success
    assert Path(warehouse.serving_path).read_bytes() == before


def merged(settings: Settings, command: str, statuses: dict[str, str], at: datetime) -> list:
    """Merge one invocation's statuses into the record; the nodes that now block publishing."""
    results = [{"unique_id": node, "status": status} for node, status in statuses.items()]
    record_run(settings, {"args": {"which": command}, "results": results}, moment=at)
    return blocking_nodes(read_node_status(settings) or {})


def test_a_failure_blocks_until_a_later_run_of_that_node_passes(settings: Settings) -> None:
    day = datetime(2026, 12, 1, 2)
    fx_model = "model.velo.fct_fx_rates_hourly"
    failed = [("not_null_fct_sales_order_lines_product_key", "fail")]
    assert merged(settings, "build", {FAILED_TEST: "fail", fx_model: "success"}, day) == failed
    hour = timedelta(hours=1)
    assert merged(settings, "build", {fx_model: "success"}, day + hour) == failed  # a subset
    assert merged(settings, "compile", {FAILED_TEST: "success"}, day + 2 * hour) == failed
    assert merged(settings, "test", {FAILED_TEST: "pass"}, day - hour) == failed  # older
    assert merged(settings, "build", {fx_model: "skipped"}, day + 3 * hour) == [
        *failed,
        ("fct_fx_rates_hourly", "skipped"),
    ]
    assert (
        merged(settings, "retry", {FAILED_TEST: "pass", fx_model: "success"}, day + 4 * hour) == []
    )


def test_a_node_gone_from_the_project_no_longer_blocks(settings: Settings) -> None:
    at = datetime(2026, 12, 1, 2)
    assert merged(settings, "build", {FAILED_TEST: "fail"}, at)
    manifest = dbt_target_dir(settings) / "manifest.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({"nodes": {"model.velo.fct_sales_order_lines": {}}}))
    later = {"model.velo.fct_sales_order_lines": "success"}
    assert merged(settings, "build", later, at + timedelta(hours=1)) == []


HOLD_LOCK = """
import sys, time
from velo.locking import writer_lock
from velo.settings import load_settings
with writer_lock(load_settings(), "velo run"):
    print("held", flush=True)
    time.sleep(float(sys.argv[1]))
print("released", flush=True)
"""


def hold_lock(seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_writer_exits_with_one_line_naming_the_first(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("velo.locking.DEFAULT_WAIT_SECONDS", 0.5)
    holder = hold_lock(30)
    try:
        for command in (["run"], ["publish"], ["transform"], ["ingest", "operations"]):
            result = CliRunner().invoke(app, command)
            assert result.exit_code == 1, (command, result.output)
            assert "velo run (pid" in result.output and "is writing" in result.output
            assert "Traceback" not in result.output
    finally:
        holder.kill()
        holder.wait()


def test_a_second_writer_waits_for_the_first_to_finish(settings: Settings) -> None:
    holder = hold_lock(1.0)
    try:
        with writer_lock(settings, "velo publish", wait_seconds=30):
            # it got the lock only once the holder had released it
            assert holder.stdout is not None and holder.stdout.readline().strip() == "released"
            assert "velo publish" in lock_path(settings).read_text()
            with writer_lock(settings, "nested"):  # re-entrant: velo run publishes in-process
                pass
    finally:
        holder.wait()


SENTIMENT_LINE = (
    '{"url": "https://news.example/%s", "title": "t", "summary": "s", "source": "x", '
    '"time_published": "2024-01-01T00:00:00", "authors": [], "topics": [], "score": 0.1, '
    '"label": "positive", "scored_at": "2024-01-01T00:00:00"}\n'
)


def raw_value(settings: Settings, sql: str) -> object:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_full_refresh_rereads_archived_sentiment(settings: Settings) -> None:
    settings = settings.with_overrides(clock=datetime(2024, 6, 30, 12))
    root = Path(settings.landing_url)
    for day in ("2024-06-25", "2024-05-01", "2024-04-02"):
        path = root / f"sentiment/dt={day}/sentiment_{day.replace('-', '')}T120000Z.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SENTIMENT_LINE % day)
    run_ingest(settings, ["sentiment"])
    archived = [step.path for step in run_lifecycle(settings) if step.action == "archive"]
    assert len(archived) == 2 and not (root / archived[0]).exists()
    run_ingest(settings, ["sentiment"], full_refresh=True)
    assert raw_value(settings, "select count(distinct url) from raw.sentiment") == 3


def test_full_refresh_keeps_all_fx_history_ever_loaded(settings: Settings) -> None:
    first = settings.with_overrides(clock=datetime(2024, 3, 31, 12))
    with platform(first) as live:
        run_ingest(live, ["fx"])
    earliest = raw_value(first, "select min(rate_at) from raw.fx_rates")
    later = first.with_overrides(clock=datetime(2024, 3, 31, 12) + timedelta(days=20))
    with platform(later) as live:
        run_ingest(live, ["fx"], full_refresh=True)
    assert raw_value(later, "select min(rate_at) from raw.fx_rates") == earliest
    assert raw_value(later, "select max(rate_at) from raw.fx_rates") == datetime(2024, 4, 20, 12)
