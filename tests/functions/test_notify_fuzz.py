"""Fuzz the notification consumers with random SQS-ish events (fixed seed): every outcome is a
partial-batch response; a record fails alone and cleanly, the well-formed ones still succeed."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import Webhook

from velo.functions import notify_archive, notify_slack
from velo.settings import Settings

SEED = 13
EVENTS = 300
GOOD_NOTIFICATION = {
    "run_time": "2024-03-31T23:59:59",
    "file": "sentiment/dt=2024-03-31/s.jsonl",
    "item_count": 3,
    "mean_score": 0.1,
}


def junk(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON-ish value, sometimes not JSON at all (bytes, a set, nan)."""
    choices: list[Any] = [
        None,
        rng.randint(-5, 5),
        rng.random(),
        float("nan"),
        "",
        "x" * rng.randint(1, 300),
        "line\nbreak",
        "../../etc/passwd",
        b"\xff\xfe",
        True,
        {1, 2},
    ]
    if depth < 2:
        choices += [[junk(rng, depth + 1)], {"k": junk(rng, depth + 1)}]
    return rng.choice(choices)


def random_body(rng: random.Random) -> tuple[Any, bool]:
    """A body and whether it is a valid notification."""
    notification = dict(GOOD_NOTIFICATION)
    kind = rng.randrange(8)
    if kind == 0:
        return json.dumps(notification), True
    if kind == 1:
        return json.dumps({"Type": "Notification", "Message": json.dumps(notification)}), True
    if kind == 2:
        return json.dumps({"Type": "Notification", "Message": junk(rng)}, default=str), False
    if kind == 3:
        notification[rng.choice(list(notification))] = junk(rng)
        return json.dumps(notification, default=str), None  # may or may not be valid
    if kind == 4:
        return json.dumps(notification)[: rng.randint(0, 40)], False  # truncated JSON
    if kind == 5:
        return junk(rng), False
    if kind == 6:
        return json.dumps({"responsePayload": junk(rng)}, default=str), None
    return json.dumps(junk(rng), default=str), None


def random_record(rng: random.Random) -> tuple[Any, bool | None, bool]:
    """A record, whether its body is a notification (None: may be) and whether its id is a
    plain SQS id (what notify_archive needs for a file name)."""
    if rng.random() < 0.1:
        return junk(rng), False, False
    body, valid = random_body(rng)
    record: dict[str, Any] = {"body": body}
    plain_id = False
    id_kind = rng.randrange(6)
    if id_kind < 3:
        record["messageId"], plain_id = str(uuid.UUID(int=rng.getrandbits(128))), True
    elif id_kind == 3:
        suffix = rng.choice(["\n", "/x", " ", "\x00", "/../a"])
        record["messageId"] = str(uuid.UUID(int=rng.getrandbits(128))) + suffix
    elif id_kind == 4:
        record["messageId"] = junk(rng)  # never a plain id: see junk()
    if rng.random() < 0.1:
        del record["body"]
        valid = False
    return record, valid, plain_id


Records = list[tuple[Any, bool | None, bool]]


def random_event(rng: random.Random) -> tuple[Any, Records]:
    if rng.random() < 0.05:
        return junk(rng), []
    records = [random_record(rng) for _ in range(rng.randint(0, 6))]
    return {"Records": [r for r, _, _ in records]}, records


def reported_id(record: Any) -> str:
    """The id a failure of this record is reported under ("" without a string messageId)."""
    message_id = record.get("messageId") if isinstance(record, dict) else None
    return message_id if isinstance(message_id, str) else ""


def assert_clean_partial_response(response: Any, records: Records, *, needs_plain_id: bool) -> None:
    """Every record that can succeed did; every other one with an id is reported, alone."""
    assert isinstance(response, dict) and set(response) == {"batchItemFailures"}
    failed = [item["itemIdentifier"] for item in response["batchItemFailures"]]
    assert all(isinstance(i, str) for i in failed)
    ids = [reported_id(record) for record, _, _ in records]
    for (record, valid, plain_id), message_id in zip(records, ids, strict=True):
        if ids.count(message_id) > 1:
            continue  # a shared id (or none: "") cannot tell records apart
        ok = valid and (plain_id or not needs_plain_id)
        if ok:
            assert message_id not in failed, record
        elif valid is False:
            assert message_id in failed, record


@pytest.mark.parametrize("consumer", ["notify_archive", "notify_slack"])
def test_random_events_fail_per_record_never_whole_batch(
    consumer: str, settings: Settings, webhook: Webhook, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    settings = settings.with_overrides(slack_webhook_url=webhook.url)
    module = notify_archive if consumer == "notify_archive" else notify_slack
    for _ in range(EVENTS):
        event, records = random_event(rng)
        response = module.run(event, settings)
        # notify_slack needs no message id to post: a bad id alone does not fail its record.
        assert_clean_partial_response(
            response, records, needs_plain_id=consumer == "notify_archive"
        )
    landing = Path(settings.landing_url)
    if consumer == "notify_archive":
        written = {p.relative_to(landing).parts[0] for p in landing.rglob("*") if p.is_file()}
        assert written <= {"notifications"}
        assert len(list((landing / "notifications").glob("*.json"))) > EVENTS // 4
    else:
        assert len(webhook.posts) > EVENTS // 4


def test_message_id_must_match_in_full(settings: Settings) -> None:
    body = json.dumps(GOOD_NOTIFICATION)
    bad = ["abc\n", "abc/..", "", "a" * 129, "ab c"]
    event = {"Records": [{"messageId": i, "body": body} for i in [*bad, "abc"]]}
    response = notify_archive.run(event, settings)
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == bad
    assert [p.name for p in (Path(settings.landing_url) / "notifications").iterdir()] == [
        "abc.json"
    ]
