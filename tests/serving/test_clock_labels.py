"""`velo answers` and `velo publish` say which clock their times are on."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from typer.testing import CliRunner

from velo.cli import app
from velo.serving import open_serving
from velo.settings import Settings
from velo.simulator.company import init_company

SIMULATED_NOW = datetime(2014, 7, 2, 23, 59, 59)  # a simulated company two days past the sample


def answers_json(*args: str) -> dict:
    result = CliRunner().invoke(app, ["answers", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def published_clock(settings: Settings) -> tuple[datetime, str]:
    con = open_serving(settings)
    try:
        return con.execute("SELECT published_at, clock_kind FROM marts.publish_log").fetchone()
    finally:
        con.close()


def test_answers_label_a_fixed_a_simulated_and_the_wall_clock(served: Settings) -> None:
    fixed = answers_json("--as-of", "2014-06-30")["clock"]
    assert (fixed["kind"], fixed["label"], fixed["now"]) == (
        "fixed",
        "fixed clock",
        "2014-06-30 23:59:59",
    )
    assert answers_json()["clock"]["kind"] == "wall"  # no simulated company, no clock setting

    init_company(served, days=1, scale=0.005, as_of=SIMULATED_NOW.date())
    simulated = answers_json()
    assert simulated["as_of"] == "2014-07-02"
    assert simulated["clock"]["label"] == "simulated time"
    assert simulated["clock"]["now"] == "2014-07-02 23:59:59"
    text = " ".join(CliRunner().invoke(app, ["answers"]).output.split())  # unwrapped
    assert "(simulated time 2014-07-02 23:59:59; wall clock 20" in text
    assert "EUR→USD" in text and "simulated time (24 h change" in text


def test_publish_records_which_clock_published_at_is_on(
    served: Settings, monkeypatch: pytest.MonkeyPatch, record_dbt_build
) -> None:
    init_company(served, days=1, scale=0.005, as_of=SIMULATED_NOW.date())
    record_dbt_build(served, {"results": []})  # publish is gated on a passed build
    result = CliRunner().invoke(app, ["publish"])
    assert result.exit_code == 0, result.output
    assert "2014-07-02 23:59:59 (simulated time)" in " ".join(result.output.split())
    assert published_clock(served) == (SIMULATED_NOW, "simulated")

    monkeypatch.setenv("VELO_CLOCK", "2014-07-01T08:00:00")
    assert CliRunner().invoke(app, ["publish"]).exit_code == 0
    assert published_clock(served) == (datetime(2014, 7, 1, 8), "fixed")


def test_a_date_given_to_init_ends_the_history_at_the_end_of_that_day(settings: Settings) -> None:
    summary = init_company(settings, days=2, scale=0.005, as_of=date(2014, 7, 2))
    assert summary["now"] == SIMULATED_NOW.isoformat()
