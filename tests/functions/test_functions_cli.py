"""`velo functions invoke`: runs on its own (simulated APIs started in-process), prints JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from velo.cli import app

runner = CliRunner()


def test_invoke_sentiment_starts_the_apis_and_writes_the_landing_file(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELO_CLOCK", "2024-03-31T23:59:59")
    result = runner.invoke(app, ["functions", "invoke", "sentiment"])

    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["file"] == "sentiment/dt=2024-03-31/sentiment_20240331T235959Z.jsonl"
    lines = (data_dir / "landing" / output["file"]).read_text().splitlines()
    assert len(lines) == output["item_count"] >= 3
    assert len(list((data_dir / "landing" / "notifications").glob("*.json"))) == 1


def test_invoke_with_an_event_file(data_dir: Path, tmp_path: Path) -> None:
    message = {"run_time": "2024-03-31T23:59:59", "file": "f", "item_count": 0, "mean_score": None}
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"Records": [{"messageId": "m-1", "body": json.dumps(message)}]}))
    result = runner.invoke(app, ["functions", "invoke", "notify_archive", "--event", str(event)])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"batchItemFailures": []}
    stored = data_dir / "landing" / "notifications" / "m-1.json"
    assert json.loads(stored.read_text()) == message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no_such_function"], "unknown function 'no_such_function'"),
        (["sentiment", "--event", "missing.json"], "event file missing.json does not exist"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(data_dir: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["functions", "invoke", *args])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
