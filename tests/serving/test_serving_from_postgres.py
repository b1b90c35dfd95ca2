"""warehouse = "postgres" end to end, on the suite's real PostgreSQL.

`velo run` loads, builds and publishes from a PostgreSQL warehouse reached by a URL without a
password (trust authentication, the case dlt used to reject); the same company run on the
embedded DuckDB warehouse gives the reference. `velo answers` and the dashboard then read what was
published from PostgreSQL and agree with DuckDB's to the cent, and what was published from
PostgreSQL reconciles with the operations DB: the run's Dagster check and `velo reconcile` say so.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import sqlalchemy as sa
from rich.console import Console
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

import velo.dashboard
from velo.cli import app as cli
from velo.orchestration.instance import open_instance
from velo.orchestration.run import run_platform
from velo.serving.report import show_answers
from velo.settings import Settings, load_settings
from velo.testing.postgres import PostgresCluster

pytestmark = pytest.mark.slow
AS_OF = date(2014, 6, 30)
SCALE, DAYS = 0.02, 40
APP = Path(velo.dashboard.__file__).with_name("app.py")


def environment(data_dir: Path, overrides: dict[str, str]) -> dict[str, str]:
    return {"VELO_DATA_DIR": str(data_dir), **overrides}


def run_in(root: Path, overrides: dict[str, str]) -> Settings:
    """`velo run` on a fresh data directory under ``root`` with these VELO_* settings."""
    env = environment(root / "data", overrides)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("VELO_DATA_DIR", env["VELO_DATA_DIR"])
        for name, value in overrides.items():
            patch.setenv(name, value)
        settings = load_settings(env=env, cwd=root)
        console = Console(file=io.StringIO(), width=160)
        run_platform(settings, as_of=AS_OF, scale=SCALE, history_days=DAYS, console=console)
    return settings


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, pg_cluster: PostgresCluster
) -> Iterator[dict[str, tuple[Settings, dict[str, str]]]]:
    """The same company through `velo run` twice: DuckDB warehouse, PostgreSQL warehouse."""
    pg_cluster.create_database("velo_e2e")
    postgres = {
        "VELO_WAREHOUSE": "postgres",
        "VELO_WAREHOUSE_URL": pg_cluster.trust_url("velo_e2e"),
    }
    yield {
        "duckdb": (run_in(tmp_path_factory.mktemp("duckdb"), {}), {}),
        "postgres": (run_in(tmp_path_factory.mktemp("postgres"), postgres), postgres),
    }


def business(answers: dict) -> dict:
    """The answers without the clock that computed them (its wall time differs per call)."""
    return {key: value for key, value in answers.items() if key != "clock"}


def served_rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.serving_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_postgres_run_built_in_postgres_and_published(runs) -> None:
    settings, _ = runs["postgres"]
    assert not settings.warehouse_path.exists()  # no DuckDB warehouse was involved
    engine = sa.create_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            in_postgres = conn.execute(
                sa.text("select count(*) from marts.obt_sales_order_lines")
            ).scalar()
    finally:
        engine.dispose()
    (served,) = served_rows(settings, "select count(*) from marts.obt_sales_order_lines")
    (reference,) = served_rows(
        runs["duckdb"][0], "select count(*) from marts.obt_sales_order_lines"
    )
    assert in_postgres > 0 and served == (in_postgres,) and served == reference


def test_answers_equal_duckdbs_to_the_cent(runs) -> None:
    answers = {
        kind: show_answers(settings, AS_OF, "table", Console(file=io.StringIO()))
        for kind, (settings, _) in runs.items()
    }
    assert business(answers["postgres"]) == business(answers["duckdb"])
    assert all(value is not None for value in answers["postgres"].values())


def test_velo_answers_reads_what_postgres_published(runs) -> None:
    settings, overrides = runs["postgres"]
    env = environment(settings.data_dir, overrides)
    result = CliRunner().invoke(
        cli, ["answers", "--as-of", str(AS_OF), "--format", "json"], env=env
    )
    assert result.exit_code == 0, result.output
    reference = show_answers(runs["duckdb"][0], AS_OF, "table", Console(file=io.StringIO()))
    assert business(json.loads(result.output)) == business(json.loads(json.dumps(reference)))


def test_data_health_counts_the_postgres_raw_tables(runs) -> None:
    query = "select source, tables, total_rows, status from marts.data_health order by source"
    health = served_rows(runs["postgres"][0], query)
    assert health == served_rows(runs["duckdb"][0], query)
    assert {status for *_, status in health} == {"fresh"}


def test_velo_reconcile_finds_no_difference(runs) -> None:
    settings, overrides = runs["postgres"]
    result = CliRunner().invoke(cli, ["reconcile"], env=environment(settings.data_dir, overrides))
    assert result.exit_code == 0, result.output
    compared = re.search(r"reconciled (\d+) headline figures as of (\S+):", result.output)
    assert compared, result.output
    assert int(compared[1]) > 0 and compared[2] == str(AS_OF)


def test_the_runs_reconciliation_check_passed(runs) -> None:
    """The Dagster asset check on the serving DB, as recorded where `velo dagster` reads it."""
    settings, _ = runs["postgres"]
    with open_instance(settings) as instance:
        evaluations = [
            entry.dagster_event.asset_check_evaluation_data
            for run in instance.get_runs()
            for entry in instance.all_logs(run.run_id)
            if entry.dagster_event is not None
            and entry.dagster_event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ]
    reconciled = [e for e in evaluations if e.check_name == "reconciles_with_source"]
    assert reconciled and all(e.passed for e in reconciled), [e.description for e in reconciled]


def dashboard_numbers(settings: Settings, overrides: dict[str, str], patch) -> dict[str, str]:
    for name, value in environment(settings.data_dir, overrides).items():
        patch.setenv(name, value)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception and not at.error
    shown = {metric.label: metric.value for metric in at.metric}
    at.switch_page("pages/profitability.py").run()
    assert not at.exception and not at.error
    return shown | {metric.label: metric.value for metric in at.metric}


def test_dashboard_shows_the_duckdb_numbers(runs, monkeypatch: pytest.MonkeyPatch) -> None:
    numbers = {kind: dashboard_numbers(*runs[kind], monkeypatch) for kind in runs}
    assert numbers["postgres"] == numbers["duckdb"]
    assert numbers["postgres"]["Revenue, May 2014"].startswith("$")
