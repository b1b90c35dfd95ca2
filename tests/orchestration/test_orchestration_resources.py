"""The ``velo`` resource: settings given in code reach assets exactly, live (clock decided,
simulated APIs answering); its config shows the non-secret settings and no secret value reaches
Dagster's snapshots, run storage or event log."""

import json
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.remote_representation.external_data import RepositorySnap

from velo.orchestration import resources
from velo.orchestration.definitions import build_definitions
from velo.orchestration.instance import open_instance
from velo.orchestration.resources import SETTINGS_KEY, SettingsResource
from velo.settings import (
    SECRET_KEYS,
    SIMULATED_FX_API_URL,
    Settings,
    configurable_fields,
    load_settings,
)

FX_KEY = "fx-K3Y-c0nf1g-41c2d7"
NEWS_KEY = "news-K3Y-c0nf1g-90e1c3"
HOOK_SECRET = "hook-T0K3N-c0nf1g-aa77"
DB_PASSWORD = "pa55-c0nf1g-w0rd"
SECRETS = (FX_KEY, NEWS_KEY, HOOK_SECRET, DB_PASSWORD)
CLOCK = datetime(2024, 3, 30, 12, 34, 56, 789)


def probed(settings: Settings, run_config: dict | None = None) -> Settings:
    """The settings an asset gets from the ``velo`` resource of ``resources.definitions``."""
    seen: list[Settings] = []

    @dg.asset
    def probe(velo: SettingsResource) -> None:
        seen.append(velo.settings)

    defs = dg.Definitions.merge(dg.Definitions(assets=[probe]), resources.definitions(settings))
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        run_config=run_config or {}
    )
    assert result.success
    return seen[0]


@pytest.fixture
def secret_settings(data_dir: Path) -> Settings:
    """Real-looking settings holding known secret values, with a fixed clock (no DB read)."""
    return load_settings(
        {
            "VELO_DATA_DIR": str(data_dir),
            "VELO_FX_API_URL": "https://fx.example.com/api",
            "VELO_FX_API_KEY": FX_KEY,
            "VELO_NEWS_API_URL": "https://news.example.com/query",
            "VELO_NEWS_API_KEY": NEWS_KEY,
            "VELO_SLACK_WEBHOOK_URL": f"https://hooks.slack.com/services/T0/B0/{HOOK_SECRET}",
            "VELO_WAREHOUSE_URL": f"postgresql://velo:{DB_PASSWORD}@db.example.com:5432/wh",
            "VELO_CLOCK": CLOCK.isoformat(),
            "VELO_SEED": "7",
            "VELO_SOURCE_TABLES_DROP": "salesreason",
        }
    )


def test_no_config_field_can_hold_a_secret() -> None:
    """The keys, the webhook and every URL (passwords, key parameters) are withheld."""
    config = set(SettingsResource.model_fields) - {"withheld"}
    urls = {f.name for f in configurable_fields() if f.name.endswith("_url")}
    assert config & (SECRET_KEYS | urls) == set()


def test_settings_given_in_code_reach_assets_exactly(secret_settings: Settings) -> None:
    settings = secret_settings.with_overrides(
        clock=CLOCK, dashboard_url="http://127.0.0.1:8599", source_tables_add=("x.y",)
    )
    assert probed(settings) == settings
    # A run's config (the launchpad's, all of it: Dagster replaces the code's values as a whole)
    # overrides the config fields; the withheld values stay.
    config = SettingsResource.from_settings(settings).model_dump(exclude={"withheld"})
    run_config = {"resources": {SETTINGS_KEY: {"config": {**config, "seed": 11}}}}
    overridden = probed(settings, run_config)
    assert overridden == settings.with_overrides(seed=11)


def test_assets_get_the_clock_decided_and_the_simulated_apis_running(settings: Settings) -> None:
    live = probed(settings)
    assert settings.clock is None and live.clock is not None
    assert live.fx_api_url != SIMULATED_FX_API_URL and live.fx_api_url.startswith("http://127.")


def test_no_secret_in_snapshots_config_or_run_storage(secret_settings: Settings) -> None:
    settings = secret_settings
    repository = build_definitions(settings).get_repository_def()
    # What the code server sends the UI: jobs, assets, and the Resources page's config values.
    ui = RepositorySnap.from_def(repository)
    snapshot = dg.serialize_value(ui)
    (velo,) = [resource for resource in ui.resources if resource.name == SETTINGS_KEY]
    shown = {key: json.loads(value) for key, value in velo.configured_values.items()}
    assert shown["seed"] == 7 and shown["clock"] == CLOCK.isoformat()
    assert shown["source_tables_drop"] == ["salesreason"]
    assert shown["warehouse_path"] == str(settings.warehouse_path)

    # A run in the data directory's instance: the run (its config), its job and plan snapshots
    # (stored compressed, so read back through the instance) and its event log.
    with open_instance(settings) as instance:
        job = build_definitions(settings).resolve_job_def("demo_tick")
        run = job.execute_in_process(instance=instance, raise_on_error=False).dagster_run
        stored = [
            run,
            instance.get_job_snapshot(str(run.job_snapshot_id)),
            instance.get_execution_plan_snapshot(str(run.execution_plan_snapshot_id)),
            *instance.all_logs(run.run_id),
        ]
    places = {
        "repository snapshot": snapshot,
        "stored run": "".join(dg.serialize_value(item) for item in stored),
        "instance files": "".join(
            path.read_bytes().decode(errors="replace") for path in data_dir_files(settings)
        ),
    }
    assert '"seed"' in places["stored run"]  # the job snapshot holds the resource's config
    leaks = [(s, where) for s in SECRETS for where, text in places.items() if s in text]
    assert leaks == []


def data_dir_files(settings: Settings) -> list[Path]:
    return [path for path in settings.data_dir.rglob("*") if path.is_file()]
