from datetime import datetime
from pathlib import Path

import pytest

from velo.settings import SIMULATED_FX_API_URL, ConfigError, load_settings, mask_secret


def test_defaults_are_rooted_in_the_data_dir(tmp_path: Path):
    settings = load_settings(env={"VELO_DATA_DIR": "d"}, cwd=tmp_path)
    root = tmp_path / "d"
    assert settings.data_dir == root
    assert settings.ops_db_url == f"sqlite:///{root / 'ops.db'}"
    assert settings.landing_url == str(root / "landing")
    assert settings.warehouse_path == root / "warehouse.duckdb"
    assert settings.serving_path == root / "serving.duckdb"
    assert settings.state_dir == root / "state"
    assert settings.fx_api_url == SIMULATED_FX_API_URL
    assert settings.uses_simulated_apis


def test_environment_overrides_file_which_overrides_defaults(tmp_path: Path):
    (tmp_path / "velo.toml").write_text(
        'seed = 7\nwarehouse = "postgres"\nclock = "2024-05-01T10:00:00"\n'
    )
    settings = load_settings(env={"VELO_SEED": "9"}, cwd=tmp_path)
    assert settings.seed == 9
    assert settings.warehouse == "postgres"
    assert settings.clock == datetime(2024, 5, 1, 10)
    assert settings.clock_kind == "fixed"


def test_timezone_aware_clock_is_normalised_to_naive_utc(tmp_path: Path):
    settings = load_settings(env={"VELO_CLOCK": "2024-05-01T12:00:00+02:00"}, cwd=tmp_path)
    assert settings.clock == datetime(2024, 5, 1, 10)


@pytest.mark.parametrize(
    ("env", "toml", "message"),
    [
        ({"VELO_NOPE": "1"}, "", "unknown environment variable VELO_NOPE"),
        ({}, "nope = 1\n", "unknown setting 'nope'"),
        ({"VELO_SEED": "many"}, "", "setting 'seed' has a malformed value"),
        ({"VELO_WAREHOUSE": "oracle"}, "", "must be one of duckdb, postgres, snowflake"),
        ({"VELO_FX_API_URL": "ftp://x"}, "", "must be an http(s) URL"),
        ({"VELO_SENTIMENT_SCORER": "bert"}, "", "must be one of finance, vader"),
        ({"VELO_CLOCK": "yesterday"}, "", "setting 'clock' has a malformed value"),
        ({"VELO_DUCKDB_MEMORY_LIMIT": "lots"}, "", "must be a size such as 2GB"),
        ({"VELO_DUCKDB_THREADS": "0"}, "", "'duckdb_threads' has a malformed value '0'"),
        ({}, "seed = [", "is not valid TOML"),
        ({"VELO_CONFIG": "/nonexistent/velo.toml"}, "", "does not exist"),
    ],
)
def test_bad_configuration_is_one_clear_error(tmp_path: Path, env, toml, message):
    if toml:
        (tmp_path / "velo.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(env=env, cwd=tmp_path)


def test_secrets_are_masked(tmp_path: Path):
    env = {
        "VELO_FX_API_KEY": "fx-secret",
        "VELO_SLACK_WEBHOOK_URL": "https://hooks.slack.test/services/T0/B0/secret",
        "VELO_OPS_DB_URL": "postgresql+psycopg://velo:pw-secret@db:5432/ops",
    }
    shown = load_settings(env=env, cwd=tmp_path).masked()
    text = repr(shown)
    assert "fx-secret" not in text and "secret" not in shown["slack_webhook_url"]
    assert "pw-secret" not in text
    assert shown["ops_db_url"] == "postgresql+psycopg://velo:****@db:5432/ops"
    assert mask_secret("news_api_key", "") == ""


def test_motherduck_warehouse_path_is_kept_as_given(tmp_path: Path):
    settings = load_settings(env={"VELO_WAREHOUSE_PATH": "md:velo"}, cwd=tmp_path)
    assert str(settings.warehouse_path) == "md:velo"


def test_passwords_in_url_queries_are_masked(tmp_path: Path):
    env = {
        "VELO_WAREHOUSE_URL": "postgresql://velo@db:5432/wh?password=q-secret&sslmode=require",
        "VELO_OPS_DB_URL": "postgresql+psycopg://db/ops?user=velo&password=o-secret",
    }
    shown = load_settings(env=env, cwd=tmp_path).masked()
    assert shown["warehouse_url"] == "postgresql://velo@db:5432/wh?password=****&sslmode=require"
    assert shown["ops_db_url"] == "postgresql+psycopg://db/ops?user=velo&password=****"
