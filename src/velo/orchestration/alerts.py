"""Alerts to Slack: a summary of every finished run (failure AND success) and stale sources.

Run-status sensors post the summary when a run launched by Dagster ends; ``velo run`` (which runs
in-process, without the sensor daemon) posts the same messages through :func:`send_alerts`.
Stale sources are the freshness checks that failed with WARN severity in the run: one warning
message lists them. Without a webhook URL nothing is posted. A failed post is logged, never
raised: an alert must not fail the pipeline it reports on.
"""

import logging
from dataclasses import dataclass, field

import dagster as dg
import httpx
from dagster import DagsterEventType
from dagster_shared.error import SerializableErrorInfo

from velo.orchestration.loading import FRESHNESS_CHECK
from velo.orchestration.schedules import FRESHNESS_JOB, FX_JOB
from velo.secrets import scrub
from velo.settings import Settings, mask_secret

log = logging.getLogger(__name__)
POST_TIMEOUT_SECONDS = 10.0
# Their successes would post 48 summaries a day; their failures and warnings are still posted.
HOURLY_JOBS = frozenset({FX_JOB, FRESHNESS_JOB})


@dataclass
class RunDigest:
    """What a finished run did, read back from its event log."""

    job: str
    run_id: str
    succeeded: bool
    seconds: float | None
    materialized: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    retries: int = 0
    checks_failed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


def is_wrapper(cls_name: str | None) -> bool:
    """Dagster's own exceptions around a step's error (RetryRequested*: retries exhausted)."""
    return bool(cls_name) and cls_name.startswith(("Dagster", "RetryRequested"))


def user_message(error: SerializableErrorInfo | None) -> str:
    """The step's own error (a VeloError's one line), not Dagster's wrapper around it.

    Only Dagster's wrappers are unwrapped: a VeloError's cause (e.g. the HTTP exception it
    explains, whose text may carry an API key in a URL) is never shown.
    """
    while error is not None and error.cause is not None and is_wrapper(error.cls_name):
        error = error.cause
    if error is None:
        return "unknown error"
    line = scrub((error.message or error.cls_name or "error").strip().splitlines()[0])
    name, _, rest = line.partition(": ")
    # "velo.errors.VeloError: fx (...): ..." -> the user's one line, without the class path.
    return rest if rest and error.cls_name and name.endswith(error.cls_name) else line


def digest_run(instance: dg.DagsterInstance, run: dg.DagsterRun) -> RunDigest:
    stats = instance.get_run_stats(run.run_id)
    seconds = (
        round(stats.end_time - stats.start_time, 1) if stats.end_time and stats.start_time else None
    )
    digest = RunDigest(
        job=run.job_name,
        run_id=run.run_id,
        succeeded=run.status == dg.DagsterRunStatus.SUCCESS,
        seconds=seconds,
    )
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            digest.materialized.append(event.asset_key.to_user_string())
        elif event.event_type == DagsterEventType.STEP_UP_FOR_RETRY:
            digest.retries += 1
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            digest.failures.append(f"{event.step_key}: {user_message(error)}")
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            if evaluation.passed:
                continue
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            if (
                evaluation.severity == dg.AssetCheckSeverity.WARN
                and evaluation.check_name == FRESHNESS_CHECK
            ):
                digest.stale.append(evaluation.description or name)
            else:
                digest.checks_failed.append(name)
    if not digest.succeeded and not digest.failures:
        digest.failures.append(f"run ended {run.status.value.lower()}")
    return digest


def alert_messages(digest: RunDigest) -> list[str]:
    """The Slack texts for one run: its summary, then (if any) the stale-source warning."""
    took = "" if digest.seconds is None else f" in {digest.seconds:g} s"
    retried = f", {digest.retries} retried step(s)" if digest.retries else ""
    head = f"Velo run `{digest.job}` ({digest.run_id[:8]})"
    if digest.succeeded:
        text = (
            f":white_check_mark: {head} succeeded{took}: "
            f"{len(digest.materialized)} asset(s) materialized{retried}"
        )
        if digest.checks_failed:
            text += f"; failed checks: {', '.join(digest.checks_failed)}"
    else:
        text = (
            f":x: {head} FAILED{took}{retried}: "
            + "; ".join(digest.failures)
            + f" ({len(digest.materialized)} asset(s) materialized before the failure)"
        )
    messages = [text]
    if digest.stale:
        messages.append(":warning: Stale sources: " + "; ".join(digest.stale))
    return messages


def post_slack(settings: Settings, text: str) -> bool:
    """Post one message to the Slack incoming webhook; False when there is none or it failed."""
    url = settings.slack_webhook_url
    if not url:
        return False
    try:
        response = httpx.post(url, json={"text": scrub(text)}, timeout=POST_TIMEOUT_SECONDS)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        where = mask_secret("slack_webhook_url", url)
        log.warning("Slack alert to %s failed: %s", where, type(exc).__name__)
        return False
    return True


def messages_to_post(digest: RunDigest) -> list[str]:
    """All of a run's messages, except the success summary of an hourly job (channel noise)."""
    messages = alert_messages(digest)
    if digest.succeeded and not digest.checks_failed and digest.job in HOURLY_JOBS:
        return messages[1:]
    return messages


def send_alerts(settings: Settings, digest: RunDigest) -> list[str]:
    """Post a run's alert messages; return them (posted or not, for display)."""
    messages = messages_to_post(digest)
    for text in messages:
        if not post_slack(settings, text):
            break  # no webhook, or it is down: one logged failure per run, not one per message
    return messages


def definitions(settings: Settings) -> dg.Definitions:
    """Run-status sensors posting every finished run's summary."""

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name="slack_on_success",
        description="Posts a success summary (and stale-source warnings) to Slack.",
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def slack_on_success(context: dg.RunStatusSensorContext) -> None:
        send_alerts(settings, digest_run(context.instance, context.dagster_run))

    @dg.run_failure_sensor(
        name="slack_on_failure",
        description="Posts a failure summary (failed steps and their errors) to Slack.",
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def slack_on_failure(context: dg.RunFailureSensorContext) -> None:
        send_alerts(settings, digest_run(context.instance, context.dagster_run))

    return dg.Definitions(sensors=[slack_on_success, slack_on_failure])
