"""The notification consumers on SQS-shaped events, the local fan-out and the Lambda entry."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import fsspec
import pytest
from conftest import WEBHOOK_SECRET_PATH, Webhook

from velo.functions import local, notify_archive, notify_slack
from velo.settings import Settings
from velo.testing.postgres import free_port


def notification(file: str = "sentiment/dt=2024-03-31/s.jsonl", count: int = 5) -> dict[str, Any]:
    return {
        "run_time": "2024-03-31T23:59:59",
        "file": file,
        "item_count": count,
        "mean_score": 0.25,
    }


def record(body: Any, message_id: str | None = None) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return {"messageId": message_id or str(uuid.uuid4()), "body": text}


def via_sns(message: dict[str, Any]) -> dict[str, Any]:
    """A record as it arrives through SNS -> SQS (the envelope holds the message)."""
    return local.sqs_event(message, "test")["Records"][0]


def archived(settings: Settings) -> dict[str, dict[str, Any]]:
    folder = Path(settings.landing_url) / "notifications"
    return {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}


def test_archive_writes_every_body_shape_and_reports_only_bad_records(settings: Settings) -> None:
    plain, enveloped = notification(count=1), notification(count=2)
    destination = {"version": "1.0", "responsePayload": notification(count=3)}
    good = [
        record(plain),
        via_sns(enveloped),
        record({"Type": "Notification", "Message": json.dumps(destination)}),
    ]
    bad = [record("not json {"), record(plain, message_id="../../escape"), record([1, 2])]
    response = notify_archive.run({"Records": [bad[0], *good, *bad[1:]]}, settings)

    assert response == {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in bad]}
    files = archived(settings)
    assert files == {
        good[0]["messageId"]: plain,
        good[1]["messageId"]: enveloped,
        good[2]["messageId"]: destination["responsePayload"],
    }
    assert not list(Path(settings.landing_url).parent.rglob("escape*"))

    again = notify_archive.run({"Records": good[:1]}, settings)  # redelivery: same file
    assert again == {"batchItemFailures": []} and archived(settings) == files


def test_slack_posts_each_record_and_reports_the_one_that_failed(
    settings: Settings, webhook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    webhook.fails_when = lambda payload: "broken" in payload["text"]
    records = [
        via_sns(notification("sentiment/one.jsonl")),
        via_sns(notification("sentiment/broken.jsonl")),
        record(notification("sentiment/three.jsonl")),
    ]
    caplog.set_level(logging.DEBUG)
    response = notify_slack.run(
        {"Records": records}, settings.with_overrides(slack_webhook_url=webhook.url)
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": records[1]["messageId"]}]}
    texts = [post["text"] for post in webhook.posts]
    assert len(texts) == 2
    assert "sentiment/one.jsonl" in texts[0] and "sentiment/three.jsonl" in texts[1]
    assert "5 article(s), mean score +0.250 (positive)" in texts[0]
    assert f"message {records[1]['messageId']} not posted: answered HTTP 500" in caplog.text
    assert WEBHOOK_SECRET_PATH not in caplog.text


def test_slack_without_a_url_logs_and_succeeds(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = notify_slack.run({"Records": [via_sns(notification())]}, settings)
    assert response == {"batchItemFailures": []}
    assert "slack webhook not configured" in caplog.text


def test_slack_unreachable_fails_every_record_without_naming_the_url(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{free_port()}{WEBHOOK_SECRET_PATH}"
    records = [via_sns(notification()), via_sns(notification())]
    response = notify_slack.run(
        {"Records": records}, settings.with_overrides(slack_webhook_url=url)
    )
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [
        r["messageId"] for r in records
    ]
    assert "request failed (ConnectError)" in caplog.text
    assert WEBHOOK_SECRET_PATH not in caplog.text


def test_local_fan_out_delivers_to_both_consumers(settings: Settings, webhook: Webhook) -> None:
    message = notification(count=7)
    assert local.publish(message, settings.with_overrides(slack_webhook_url=webhook.url)) == "local"
    assert list(archived(settings).values()) == [message]
    assert len(webhook.posts) == 1 and "7 article(s)" in webhook.posts[0]["text"]


def test_on_lambda_the_destination_delivers_instead(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(local.TOPIC_ARN_ENV, raising=False)
    monkeypatch.setenv(local.LAMBDA_NAME_ENV, "velo-sentiment")
    assert local.publish(notification(), settings) == "lambda destination"
    assert archived(settings) == {}


def test_lambda_handler_reads_its_settings_from_the_environment(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = f"velo-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("VELO_LANDING_URL", f"memory://{bucket}/landing")
    event = {"Records": [via_sns(notification())]}
    memory = fsspec.filesystem("memory")
    try:
        assert notify_archive.handler(event, None) == {"batchItemFailures": []}
        message_id = event["Records"][0]["messageId"]
        stored = memory.cat_file(f"/{bucket}/landing/notifications/{message_id}.json")
        assert json.loads(stored) == notification()
    finally:
        memory.rm(f"/{bucket}", recursive=True)


def test_functions_import_only_what_their_lambda_package_ships() -> None:
    code = (
        "import sys, velo.functions.sentiment, velo.functions.notify_archive, "
        "velo.functions.notify_slack; "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'numpy', 'pandas', 'dlt', "
        "'velo.simulator', 'vaderSentiment') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
