"""Publishing notifications, and running the functions locally.

``publish`` sends the sentiment function's notification to the consumers. On AWS that is SNS
(``SNS_TOPIC_ARN`` set), or nothing at all when the deployment routes the function's result to
the topic as its Lambda destination. Locally it fans the message out to notify_archive and
notify_slack in the event shape they get on AWS behind SNS + one SQS queue each: an SQS record
whose body is the SNS envelope.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from velo.errors import UsageError
from velo.functions import FUNCTIONS
from velo.settings import Settings

log = logging.getLogger(__name__)

TOPIC_ARN_ENV = "SNS_TOPIC_ARN"
LAMBDA_NAME_ENV = "AWS_LAMBDA_FUNCTION_NAME"
CONSUMERS = ("notify_archive", "notify_slack")
LOCAL_TOPIC_ARN = "arn:aws:sns:local:000000000000:velo-sentiment-notifications"


def sns_envelope(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": LOCAL_TOPIC_ARN,
        "Message": json.dumps(message),
        "Timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def sqs_event(message: dict[str, Any], consumer: str) -> dict[str, Any]:
    """The event an SQS-triggered Lambda gets for one message delivered through SNS."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "body": json.dumps(sns_envelope(message)),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:local:000000000000:velo-{consumer}",
            }
        ]
    }


def function_module(name: str) -> Any:
    if name not in FUNCTIONS:
        raise UsageError(f"unknown function '{name}' (known: {', '.join(FUNCTIONS)})")
    return importlib.import_module(f"velo.functions.{name}")


def fan_out(message: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Deliver to every consumer as its queue would; returns each consumer's response."""
    responses = {}
    for consumer in CONSUMERS:
        response = function_module(consumer).run(sqs_event(message, consumer), settings)
        if response["batchItemFailures"]:
            log.warning("%s could not handle the notification (no queue retries locally)", consumer)
        responses[consumer] = response
    return responses


def publish(message: dict[str, Any], settings: Settings) -> str:
    """Send a notification to its consumers; returns the route: sns, lambda destination, local."""
    topic_arn = os.environ.get(TOPIC_ARN_ENV)
    if topic_arn:
        import boto3  # ships with the Lambda runtime; only needed on AWS

        boto3.client("sns").publish(TopicArn=topic_arn, Message=json.dumps(message))
        return "sns"
    if os.environ.get(LAMBDA_NAME_ENV):
        log.info("no %s on Lambda: the result reaches the topic as its destination", TOPIC_ARN_ENV)
        return "lambda destination"
    fan_out(message, settings)
    return "local"


def read_event(path: Path | None) -> dict[str, Any]:
    """The event from a JSON file (an empty event without one)."""
    if path is None:
        return {}
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"event file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"event file {path} is not readable JSON: {exc}") from None
    if not isinstance(event, dict):
        raise UsageError(f"event file {path} holds a JSON {type(event).__name__}, not an object")
    return event


def invoke(name: str, event: dict[str, Any], settings: Settings) -> Any:
    """Run one function here, with these settings (the caller started any simulated API)."""
    return function_module(name).run(event, settings)
