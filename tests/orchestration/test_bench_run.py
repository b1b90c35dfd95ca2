"""`velo bench run` reads where each run's time went from the step lines `velo run` prints."""

from velo.bench.run import step_seconds

# The step lines of a `velo run --tick-days 1` at scale 100 (2026-12-03), as printed (trailing
# spaces dropped): the console wraps a long detail onto the next line.
PRINTED_DAY = """\
Velo platform run (data in /tmp/s100/data)
  ✓ day 1: simulate one day                               15.79 s
  ✓ day 1: sentiment function (news API -> landing)        0.19 s
  ✓ day 1: ingest FX rates API -> raw                      0.67 s  144 rows read
  ✓ day 1: ingest operations DB -> raw                    42.10 s  95,731 rows
read
  ✓ day 1: ingest landing/sentiment -> raw                 0.67 s  11 rows read
  ✓ day 1: freshness check raw.fx_rates                    0.18 s
  ✓ day 1: freshness check raw.salesorderheader            0.16 s
  ✓ day 1: freshness check raw.sentiment                   0.17 s
  ✓ day 1: dbt build (models, snapshots, tests)           83.19 s
  ✓ day 1: publish serving DB                              4.13 s
  ✓ day 1: serving db reconciles with source              21.56 s
Done in 178.4 s.
"""
# An hourly FX refresh (`velo run --only fx`): its publish step publishes the FX marts.
PRINTED_FX = """\
  ✓ ingest FX rates API -> raw                      0.40 s  24 rows read
  ✓ dbt build (models, snapshots, tests)            6.29 s
  ✓ publish FX rates into the serving DB            0.59 s
"""
# Two days in one run: each step's seconds are summed.
PRINTED_TWO_DAYS = """\
  ✓ day 1: simulate one day                                0.25 s
  ✓ day 1: dbt build (models, snapshots, tests)           21.87 s
  ✓ day 2: simulate one day                                0.30 s
  ✓ day 2: dbt build (models, snapshots, tests)           20.13 s
"""


def test_a_days_run_reports_each_stage_it_spent_time_in() -> None:
    assert step_seconds(PRINTED_DAY) == {
        "simulate step (s)": 15.79,
        "operations load step (s)": 42.10,
        "dbt build step (s)": 83.19,
        "publish step (s)": 4.13,
        "reconciliation check step (s)": 21.56,
    }


def test_an_fx_refresh_reports_its_build_and_publish() -> None:
    assert step_seconds(PRINTED_FX) == {"dbt build step (s)": 6.29, "publish step (s)": 0.59}


def test_steps_of_several_days_are_summed() -> None:
    assert step_seconds(PRINTED_TWO_DAYS) == {"simulate step (s)": 0.55, "dbt build step (s)": 42.0}


def test_a_run_that_skips_the_build_reports_no_build() -> None:
    printed = (
        "  ✓ ingest operations DB -> raw                     2.36 s  0 rows read\n"
        "  · dbt build, publish serving DB                           skipped: nothing\n"
    )
    assert step_seconds(printed) == {"operations load step (s)": 2.36}
