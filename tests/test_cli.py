from typer.testing import CliRunner

from velo.cli import app

runner = CliRunner()


def test_help_lists_every_command_with_a_description():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("config", "sim", "bench"):
        assert command in result.output


def test_config_prints_masked_settings(data_dir, monkeypatch):
    monkeypatch.setenv("VELO_NEWS_API_KEY", "very-secret-key")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert str(data_dir) in result.output
    assert "very-secret-key" not in result.output


def test_bad_configuration_exits_2_with_one_line(data_dir, monkeypatch):
    monkeypatch.setenv("VELO_SEED", "abc")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 2
    assert "setting 'seed' has a malformed value" in result.output
    assert "Traceback" not in result.output


def test_bad_arguments_exit_2(data_dir):
    result = runner.invoke(app, ["bench", "no-such-bench"])
    assert result.exit_code == 2
    assert "unknown benchmark 'no-such-bench'" in result.output
    assert runner.invoke(app, ["sim", "init", "--days", "0"]).exit_code == 2


def test_config_check_reports_each_endpoint(data_dir, pg_url):
    data_dir.mkdir()
    result = runner.invoke(app, ["config", "--check"], env={"VELO_OPS_DB_URL": pg_url})
    assert result.exit_code == 0, result.output
    assert "# ops_db_url: connected" in result.output
    assert "# fx_api_url: simulated" in result.output


def test_config_check_unreachable_url_exits_2_with_one_line(data_dir, pg_cluster):
    from velo.testing.postgres import free_port

    closed = free_port()
    for env, name in (
        ({"VELO_FX_API_URL": f"http://127.0.0.1:{closed}/fx"}, "fx_api_url"),
        (
            {"VELO_OPS_DB_URL": pg_cluster.url().replace(str(pg_cluster.port), str(closed))},
            "ops_db_url",
        ),
    ):
        result = runner.invoke(app, ["config", "--check"], env=env)
        assert result.exit_code == 2, result.output
        assert f"{name} " in result.output and "is unreachable" in result.output
        assert pg_cluster.password not in result.output
        assert "Traceback" not in result.output
