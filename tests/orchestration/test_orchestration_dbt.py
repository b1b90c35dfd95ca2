"""The dbt asset on a two-model project: an errored node is retried with `dbt retry`; a moved
project builds."""

import json
import uuid
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster import DagsterEventType
from dbt.cli.main import dbtRunner

from velo.orchestration import resources, warehouse
from velo.orchestration.resources import SettingsResource
from velo.settings import Settings

TINY_PROJECT = Path(__file__).parent / "tiny_dbt"


def parsed(project_dir: Path, tmp_path: Path) -> warehouse.DbtLocation:
    """The project parsed into tmp_path's target dir."""
    location = warehouse.DbtLocation(project_dir, project_dir, tmp_path / "target")
    args = [
        "parse",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(location.target_dir),
        "--log-path",
        str(tmp_path / "logs"),
    ]
    assert dbtRunner().invoke(args).success
    return location


@pytest.fixture
def tiny_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tiny project's DuckDB file in tmp_path."""
    monkeypatch.setenv("TINY_DUCKDB_PATH", str(tmp_path / "tiny.duckdb"))
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")  # no .user.yml in the project


@pytest.fixture
def tiny(tmp_path: Path, tiny_env: None) -> warehouse.DbtLocation:
    """The tiny project parsed into a target dir of its own."""
    return parsed(TINY_PROJECT, tmp_path)


def create_raw_rates(database: Path) -> None:
    with duckdb.connect(str(database)) as con:
        con.execute("create schema if not exists raw")
        con.execute("create table raw.fx_rates as select 'USD' as quote, 1.1 as rate")


def test_errored_model_is_retried_with_dbt_retry(
    tiny: warehouse.DbtLocation,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(resources, "RETRY_DELAY_SECONDS", 0.05)
    assets = warehouse.build_dbt_assets(tiny, lambda _settings: {})
    instance = dg.DagsterInstance.ephemeral()
    run_id = str(uuid.uuid4())

    def repair_before_retry(entry) -> None:
        # The first attempt fails: raw.fx_rates is missing. Create it while the step waits.
        event = entry.dagster_event
        if event is not None and event.event_type == DagsterEventType.STEP_UP_FOR_RETRY:
            create_raw_rates(tmp_path / "tiny.duckdb")

    instance.add_event_listener(run_id, repair_before_retry)
    job = dg.Definitions(
        assets=[assets],
        resources={"dbt": tiny.resource(), "velo": SettingsResource.from_settings(settings)},
        jobs=[dg.define_asset_job("tiny")],
    ).resolve_job_def("tiny")
    result = job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)

    assert result.success
    retries = instance.all_logs(run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY)
    assert len(retries) == 1
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert materialized == {"currencies", "stg_rates", "mean_rates"}
    (check,) = result.get_asset_check_evaluations()
    assert check.passed
    # The second attempt was `dbt retry`: it ran only what had failed or been skipped.
    retried = json.loads((tiny.target_dir / "run_results.json").read_text())
    assert {r["unique_id"].split(".")[2] for r in retried["results"]} == {
        "stg_rates",
        "mean_rates",
        "not_null_stg_rates_rate",
    }


def test_failing_data_test_is_not_retried(
    tiny: warehouse.DbtLocation, settings: Settings, tmp_path: Path
) -> None:
    database = tmp_path / "tiny.duckdb"
    create_raw_rates(database)
    with duckdb.connect(str(database)) as con:
        con.execute("insert into raw.fx_rates values ('GBP', null)")
    assets = warehouse.build_dbt_assets(tiny, lambda _settings: {})

    result = dg.materialize(
        [assets],
        resources={"dbt": tiny.resource(), "velo": SettingsResource.from_settings(settings)},
        raise_on_error=False,
    )

    assert not result.success
    steps = result.all_events
    assert not [e for e in steps if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY]
    (failure,) = [e for e in steps if e.event_type == DagsterEventType.STEP_FAILURE]
    assert (
        "1 data test(s) failed: not_null_stg_rates_rate" in failure.step_failure_data.error.message
    )


def test_a_moved_project_builds_its_seeds_from_where_it_is_now(
    tiny_env: None, settings: Settings, tmp_path: Path
) -> None:
    """dbt's saved parse keeps each file's absolute path: reused after the project moved (the
    same data directory used from another clone, virtualenv or image), seeds load from the old
    path."""
    import shutil

    create_raw_rates(tmp_path / "tiny.duckdb")
    first = tmp_path / "first"
    shutil.copytree(TINY_PROJECT, first)
    (first / "seeds").mkdir()
    (first / "seeds" / "quotes.csv").write_text("quote\nUSD\nEUR\n")
    velo = SettingsResource.from_settings(settings)

    def build(project_dir: Path) -> dg.ExecuteInProcessResult:
        location = parsed(project_dir, tmp_path)
        assets = warehouse.build_dbt_assets(location, lambda _settings: {})
        return dg.materialize(
            [assets], resources={"dbt": location.resource(), "velo": velo}, raise_on_error=False
        )

    assert build(first).success
    moved = tmp_path / "moved"
    first.rename(moved)  # nothing is left at the first path
    result = build(moved)

    assert result.success
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert "quotes" in materialized
    with duckdb.connect(str(tmp_path / "tiny.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from quotes").fetchone() == (2,)


def prepared_copy(tmp_path: Path, adapter: str) -> tuple[Path, warehouse.DbtLocation]:
    """A copy of the tiny project with a manifest and its preparation record."""
    import shutil

    project_dir = tmp_path / "project"
    shutil.copytree(TINY_PROJECT, project_dir)
    location = warehouse.DbtLocation(project_dir, project_dir, tmp_path / "target")
    project = location.project()
    project.target_path.mkdir(parents=True)
    project.manifest_path.write_text("{}")
    record = warehouse.prepared_for(project, adapter)
    warehouse.prepared_path(project).write_text(json.dumps(record))
    return project_dir, location


def test_a_manifest_is_current_until_a_project_file_or_the_adapter_changes(tmp_path: Path):
    project_dir, location = prepared_copy(tmp_path, "duckdb")
    assert warehouse.manifest_is_current(location.project(), "duckdb")
    assert not warehouse.manifest_is_current(location.project(), "postgres")
    model = next(project_dir.rglob("*.sql"))
    model.write_text(model.read_text() + "\n-- edited\n")
    assert not warehouse.manifest_is_current(location.project(), "duckdb")


def test_a_manifest_of_the_project_at_another_path_is_not_current(tmp_path: Path):
    project_dir, _ = prepared_copy(tmp_path, "duckdb")
    moved = tmp_path / "moved"
    project_dir.rename(moved)
    location = warehouse.DbtLocation(moved, moved, tmp_path / "target")
    assert not warehouse.manifest_is_current(location.project(), "duckdb")


def test_a_missing_manifest_or_record_is_not_current(tmp_path: Path):
    _, location = prepared_copy(tmp_path, "duckdb")
    project = location.project()
    warehouse.prepared_path(project).unlink()
    assert not warehouse.manifest_is_current(project, "duckdb")
    _, location = prepared_copy(tmp_path / "again", "duckdb")
    location.project().manifest_path.unlink()
    assert not warehouse.manifest_is_current(location.project(), "duckdb")


def test_a_manifest_cut_short_by_a_killed_build_is_not_current(tmp_path: Path):
    _, location = prepared_copy(tmp_path, "duckdb")
    project = location.project()
    project.manifest_path.write_text('{"nodes": {"model.velo.a": {"name"')
    assert not warehouse.manifest_is_current(project, "duckdb")
