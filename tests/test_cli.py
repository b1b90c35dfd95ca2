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
