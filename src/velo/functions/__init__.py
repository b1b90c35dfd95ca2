"""The serverless functions: sentiment, notify_archive and notify_slack.

Each is a plain module with ``run(event, settings)`` (what local callers and tests use) and
``handler(event, context)`` (the AWS Lambda entry point, settings from the environment), so the
same code runs locally (``velo functions invoke``) and on Lambda unchanged. Modules here import
only what their Lambda package ships: no simulator, no FastAPI, no pandas.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from velo.settings import Settings, load_settings

FUNCTIONS = ("sentiment", "notify_archive", "notify_slack")
# VADER's conventional thresholds on the compound score.
POSITIVE_FROM, NEGATIVE_FROM = 0.05, -0.05

# httpx logs every request URL at INFO: the news API key is in the query string and a Slack
# webhook URL is itself a secret, so its request lines must never reach a log.
logging.getLogger("httpx").setLevel(logging.WARNING)


def settings_for_lambda() -> Settings:
    """Settings for one Lambda invocation, from its environment; our INFO lines reach its log."""
    logging.getLogger(__name__).setLevel(logging.INFO)
    return load_settings()


def label_for(score: float) -> str:
    if score >= POSITIVE_FROM:
        return "positive"
    if score <= NEGATIVE_FROM:
        return "negative"
    return "neutral"


def records_of(event: Any) -> list[Any]:
    """An SQS event's records (an event of another shape has none)."""
    records = event.get("Records") if isinstance(event, dict) else None
    return records if isinstance(records, list) else []


def message_id_of(record: Any) -> str:
    """The record's SQS messageId ("" when it has none: SQS then redelivers nothing by id)."""
    value = record.get("messageId") if isinstance(record, dict) else None
    return value if isinstance(value, str) else ""


def notification_of(record: Any) -> dict[str, Any]:
    """The notification in one SQS record (ValueError when there is none).

    The body is the notification itself (SNS raw delivery), or an SNS envelope whose Message is
    the notification, or whose Message is a Lambda destination record carrying it as the
    sentiment function's responsePayload (how the AWS deployment delivers it).
    """
    body = record.get("body") if isinstance(record, dict) else None
    if not isinstance(body, str | bytes):
        raise ValueError(f"the record's body is a {type(body).__name__}, not JSON text")
    message = json.loads(body)
    if isinstance(message, dict) and message.get("Type") == "Notification":
        inner = message.get("Message")
        if not isinstance(inner, str | bytes):
            raise ValueError("the SNS envelope's Message is not JSON text")
        message = json.loads(inner)
    if isinstance(message, dict) and "responsePayload" in message:
        message = message["responsePayload"]
    if not isinstance(message, dict):
        raise ValueError(f"the body holds a JSON {type(message).__name__}, not an object")
    return message
