"""Secrets never leave their setting: the platform runs against APIs that answer 500, time out
or reject the key (echoing the request, key included, in their bodies), with a Slack webhook;
then every file under the data directory (dlt's trace pickles and Dagster's SQLite storage
included, read as bytes), the run log, the webhook payloads and the captured output are searched
for the secret values."""

from __future__ import annotations

import io
import json
import time
from datetime import date
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from rich.console import Console

from faults.fault_helpers import all_files
from velo.errors import VeloError
from velo.functions import sentiment as sentiment_function
from velo.orchestration import resources
from velo.orchestration.run import run_platform
from velo.settings import load_settings
from velo.simulator.company import init_company
from velo.testing.http import serve_on_loopback

FX_KEY = "fx-K3Y-9f41c2d7e8"
NEWS_KEY = "news-K3Y-5b7a90e1c3"
HOOK_SECRET = "hook-T0K3N-77c1aa"
AS_OF = date(2024, 3, 30)
TIMEOUT_SECONDS = 0.5


class HostileApi(BaseHTTPRequestHandler):
    """Answers every GET by the mode, echoing the request (and so the key) in the body."""

    mode = "500"

    def do_GET(self) -> None:
        echo = f"{self.path} {self.headers.get('Authorization')}"
        if self.mode == "slow":
            time.sleep(TIMEOUT_SECONDS * 4)
        status = {"500": 500, "slow": 500, "401": 401}[self.mode]
        body = json.dumps({"error": True, "Information": f"rejected {echo}"}).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


class Webhook(BaseHTTPRequestHandler):
    payloads: list[bytes] = []  # noqa: RUF012 - the test reads what the server recorded

    def do_POST(self) -> None:
        type(self).payloads.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fast_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """One HTTP attempt with a short timeout, retries after milliseconds: failures come fast."""
    monkeypatch.setattr(resources, "RETRY_DELAY_SECONDS", 0.05)
    monkeypatch.setattr(sentiment_function, "ATTEMPTS", 1)
    monkeypatch.setattr(sentiment_function, "TIMEOUT_SECONDS", TIMEOUT_SECONDS)
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("RUNTIME__REQUEST_TIMEOUT", str(TIMEOUT_SECONDS))


@pytest.mark.parametrize("mode", ["500", "slow", "401"])
def test_no_key_in_any_file_log_event_alert_or_output(
    mode: str,
    data_dir: Path,
    fast_failures: None,
    capfd: pytest.CaptureFixture[str],
) -> None:
    api = type("Api", (HostileApi,), {"mode": mode})
    hook = type("Hook", (Webhook,), {"payloads": []})
    with serve_on_loopback(api) as api_url, serve_on_loopback(hook) as hook_url:
        settings = load_settings(
            {
                "VELO_DATA_DIR": str(data_dir),
                "VELO_FX_API_URL": f"{api_url}/fx",
                "VELO_FX_API_KEY": FX_KEY,
                "VELO_NEWS_API_URL": f"{api_url}/news",
                "VELO_NEWS_API_KEY": NEWS_KEY,
                "VELO_SLACK_WEBHOOK_URL": f"{hook_url}/services/T0/B0/{HOOK_SECRET}",
            }
        )
        init_company(settings, days=5, scale=0.01, seed=7, as_of=AS_OF)
        console = io.StringIO()
        with pytest.raises(VeloError) as failed:
            run_platform(
                settings, as_of=AS_OF, console=Console(file=console, width=200), answers=False
            )
    captured = capfd.readouterr()

    # The run did fail on the APIs, said so, and alerted: the searched places hold the story.
    assert ("HTTP 500" if mode != "401" else "HTTP 401") in str(failed.value) or (
        mode == "slow" and "timed out" in str(failed.value)
    ), str(failed.value)
    assert hook.payloads and b"FAILED" in hook.payloads[0]
    files = list(all_files(data_dir))
    names = {path.name for path in files}
    assert {"trace.pickle", "velo-run.log"} <= names, names
    assert any(path.suffix == ".db" and "dagster" in str(path) for path in files)

    texts = {
        "error": str(failed.value).encode(),
        "console": console.getvalue().encode(),
        "stdout/stderr": (captured.out + captured.err).encode(),
        **{f"webhook post {n}": payload for n, payload in enumerate(hook.payloads)},
        **{str(path.relative_to(data_dir)): path.read_bytes() for path in files},
    }
    for secret in (FX_KEY, NEWS_KEY, HOOK_SECRET):
        leaks = [
            where
            for where, blob in texts.items()
            if secret.encode() in blob or secret.encode("utf-16-le") in blob
        ]
        assert leaks == [], f"{secret} found in {leaks}"


def test_scrub_masks_keys_passwords_headers_and_webhooks() -> None:
    from velo.secrets import scrub

    text = (
        "GET https://api.example.com/hourly.json?app_id=abc123&since=5 failed; "
        "postgresql://velo:pa55word@db:5432/x?password=pa55word&sslmode=require; "
        "headers {'Authorization': 'Token zzz999'} X-API-Key: qqq888; "
        "https://hooks.slack.com/services/T1/B2/secretpath"
    )
    scrubbed = scrub(text)
    for secret in ("abc123", "pa55word", "zzz999", "qqq888", "T1/B2/secretpath"):
        assert secret not in scrubbed
    assert "since=5" in scrubbed and "sslmode=require" in scrubbed and "db:5432" in scrubbed
