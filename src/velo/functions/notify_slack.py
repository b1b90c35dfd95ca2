"""notify_slack: post each notification to the Slack incoming webhook in settings.

Consumes SQS events ({"Records": [{"messageId", "body"}]}) and posts {"text": summary} per
record. Without a webhook URL it logs and succeeds. A record whose post fails is reported in
``batchItemFailures`` (so SQS redelivers only it) and the other records are still posted. The
webhook URL is a secret: it never appears in a log line or an error.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from velo.functions import (
    label_for,
    message_id_of,
    notification_of,
    records_of,
    settings_for_lambda,
)
from velo.secrets import scrub
from velo.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point."""
    return run(event, settings_for_lambda())


def run(event: dict[str, Any], settings: Settings) -> dict[str, Any]:
    records = records_of(event)
    if not settings.slack_webhook_url:
        log.info("slack webhook not configured; %d notification(s) not posted", len(records))
        return {"batchItemFailures": []}
    failures = []
    with httpx.Client(timeout=TIMEOUT_SECONDS) as client:
        for record in records:
            message_id = message_id_of(record)
            problem = post(client, settings.slack_webhook_url, record)
            if problem:
                log.error("slack webhook: message %s not posted: %s", message_id[:140], problem)
                failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def post(client: httpx.Client, webhook_url: str, record: Any) -> str | None:
    """Post one record; returns what went wrong (without the URL), or None."""
    try:
        text = summary_text(notification_of(record))
    except (TypeError, ValueError) as exc:  # JSONDecodeError and UnicodeError are ValueErrors
        return f"not a notification ({scrub(str(exc))[:300]})"
    try:
        response = client.post(webhook_url, json={"text": scrub(text)})
    except httpx.HTTPError as exc:
        return f"request failed ({type(exc).__name__})"
    if response.status_code >= 400:
        return f"answered HTTP {response.status_code}"
    return None


def summary_text(message: dict[str, Any]) -> str:
    """The Slack line; a count or mean of the wrong type is a TypeError (a failed record)."""
    count = message.get("item_count", 0)
    mean = message.get("mean_score")
    if not isinstance(count, int) or not isinstance(mean, int | float | None):
        raise TypeError("item_count must be an integer and mean_score a number or null")
    tone = "no articles" if mean is None else f"mean score {mean:+.3f} ({label_for(mean)})"
    return (
        f"Velo news sentiment for the 24 h to {message.get('run_time', '?')}: "
        f"{count} article(s), {tone}. File: {message.get('file', '?')}"
    )
