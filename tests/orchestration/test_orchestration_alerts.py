"""Retries and alerts: a failing API is retried with backoff, then a failure alert reaches Slack;
a green run posts a success summary; a stale source posts a warning."""

from datetime import timedelta

import dagster as dg
from dagster import DagsterEventType

from velo.ingest.contract import ADVENTUREWORKS
from velo.orchestration import alerts, fx_rates, operations, resources
from velo.orchestration.schedules import FX_JOB
from velo.settings import Settings
from velo.simulator.company import init_company

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def materialize(
    settings: Settings, module, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    defs = dg.Definitions.merge(module.definitions(settings), resources.definitions(settings))
    return dg.materialize(
        [*defs.assets, *defs.asset_checks],
        resources=defs.resources,
        instance=instance,
        run_config=QUIET,
        raise_on_error=False,
    )


def sensor_for(settings: Settings, name: str) -> dg.RunStatusSensorDefinition:
    (sensor,) = [s for s in alerts.definitions(settings).sensors if s.name == name]
    return sensor


def run_sensor(
    settings: Settings, name: str, result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance
) -> None:
    failed = name == "slack_on_failure"
    event_type = DagsterEventType.RUN_FAILURE if failed else DagsterEventType.RUN_SUCCESS
    (entry,) = instance.all_logs(result.run_id, of_type=event_type)
    event = entry.dagster_event
    context = dg.build_run_status_sensor_context(
        sensor_name=name,
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )
    sensor = sensor_for(settings, name)
    sensor(context.for_run_failure() if failed else context)


def test_api_failure_is_retried_then_alerted(settings, slack, failing_api, quick_retries):
    settings = settings.with_overrides(fx_api_url=failing_api.url, slack_webhook_url=slack.url)
    instance = dg.DagsterInstance.ephemeral()

    result = materialize(settings, fx_rates, instance)

    assert not result.success
    retries = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY]
    assert len(retries) == resources.API_MAX_RETRIES
    # dlt tries once per attempt (quick_retries), Dagster re-runs the step API_MAX_RETRIES times.
    assert len(failing_api.hits) == 1 + resources.API_MAX_RETRIES
    run_sensor(settings, "slack_on_failure", result, instance)
    (text,) = slack.texts
    assert "FAILED" in text and "load_fx" in text and "500" in text
    assert f"{resources.API_MAX_RETRIES} retried step(s)" in text
    assert settings.fx_api_key not in text  # the step's own error line, not the raw HTTP error


def test_success_summary_and_stale_source_warning(settings, slack):
    settings = settings.with_overrides(slack_webhook_url=slack.url)
    init_company(settings, days=30, scale=0.02)
    instance = dg.DagsterInstance.ephemeral()

    result = materialize(settings, operations, instance)
    assert result.success
    run_sensor(settings, "slack_on_success", result, instance)
    (text,) = slack.texts
    assert "succeeded" in text and f"{len(ADVENTUREWORKS)} asset(s)" in text

    # Three days later nothing new was loaded: the freshness check warns, and so does Slack.
    later = settings.with_overrides(clock=result_clock(settings) + timedelta(days=3))
    check = materialize_checks_only(later, instance)
    (evaluation,) = check.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    alerts.send_alerts(later, alerts.digest_run(instance, check.dagster_run))
    assert slack.texts[-1].startswith(":warning: Stale sources: raw.salesorderheader")


def result_clock(settings: Settings):
    from velo.runtime import resolve_clock

    return resolve_clock(settings).clock  # the simulated company's clock


def materialize_checks_only(
    settings: Settings, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    defs = dg.Definitions.merge(operations.definitions(settings), resources.definitions(settings))
    job = dg.define_asset_job("freshness", selection=dg.AssetSelection.all_asset_checks())
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    return defs.resolve_job_def("freshness").execute_in_process(
        instance=instance, run_config=QUIET, raise_on_error=False
    )


def test_hourly_jobs_post_only_their_failures_and_warnings() -> None:
    hourly = alerts.RunDigest(job=FX_JOB, run_id="0" * 36, succeeded=True, seconds=1.0)
    assert alerts.messages_to_post(hourly) == []
    hourly.stale.append("raw.fx_rates: newest rate_at … (limit 2 h)")
    assert [m[:10] for m in alerts.messages_to_post(hourly)] == [":warning: "]
    hourly.succeeded, hourly.failures = False, ["load_fx: HTTP 500"]
    assert alerts.messages_to_post(hourly)[0].startswith(":x:")
    daily = alerts.RunDigest(job="warehouse_build", run_id="1" * 36, succeeded=True, seconds=9.0)
    assert alerts.messages_to_post(daily)[0].startswith(":white_check_mark:")
