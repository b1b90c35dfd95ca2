"""notify_archive: keep every notification in the landing zone, notifications/<messageId>.json.

Consumes SQS events ({"Records": [{"messageId", "body"}]}); a record that cannot be archived is
reported in ``batchItemFailures`` (Lambda's partial-batch response), so SQS redelivers only it.
Rewriting the same messageId rewrites the same file, so redelivery is harmless.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from velo.functions import message_id_of, notification_of, records_of, settings_for_lambda
from velo.landing import write_text
from velo.secrets import scrub
from velo.settings import Settings

log = logging.getLogger(__name__)

NOTIFICATIONS_DIR = "notifications"
# SQS message ids are UUIDs; anything else must not become a path.
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")  # always fullmatch: "$" admits a newline


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point."""
    return run(event, settings_for_lambda())


def run(event: dict[str, Any], settings: Settings) -> dict[str, Any]:
    failures = []
    for record in records_of(event):
        message_id = message_id_of(record)
        try:
            archive(record, message_id, settings)
        except (ValueError, OSError) as exc:  # JSONDecodeError and UnicodeError are ValueErrors
            log.error("could not archive message %s: %s", message_id[:140], scrub(str(exc))[:300])
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def archive(record: Any, message_id: str, settings: Settings) -> None:
    if not MESSAGE_ID.fullmatch(message_id):
        raise ValueError(f"message id {message_id!r} is not a plain id")
    text = json.dumps(notification_of(record), indent=2, sort_keys=True) + "\n"
    write_text(settings, f"{NOTIFICATIONS_DIR}/{message_id}.json", text)
