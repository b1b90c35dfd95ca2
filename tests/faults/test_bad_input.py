"""Every bad input or environment fault is one line and a non-zero exit, naming what failed and
what to do; a traceback only with --debug. Real processes, real files, real HTTP."""

from __future__ import annotations

import resource
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import pytest

from faults.fault_helpers import (
    VELO,
    BaseRun,
    copy_data,
    serving_digest,
    temp_files,
    velo,
    velo_env,
)
from velo.errors import VeloError
from velo.functions import sentiment as sentiment_function
from velo.ingest import IngestError, run_ingest
from velo.settings import Settings
from velo.testing.http import serve_on_loopback

# Writable for nobody, root included (sysfs refuses new entries).
UNWRITABLE = Path("/sys/velo-fault-data")
FILE_SIZE_LIMIT = 64 * 1024


def assert_one_line_error(done: subprocess.CompletedProcess[str], *needles: str) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0, done.stdout[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [("sim", "init", "--days", "2", "--scale", "0.01"), ("run",), ("transform",), ("lifecycle",)],
)
def test_unwritable_data_dir_is_one_line(command: tuple[str, ...]) -> None:
    done = velo(UNWRITABLE, *command)
    assert_one_line_error(done, str(UNWRITABLE), "writable")


def test_publish_into_an_unwritable_or_missing_dir_is_one_line(
    base: BaseRun, fault_root: Path
) -> None:
    data = copy_data(base.data, fault_root / "publish-unwritable")
    done = velo(data, "publish", serving_path=str(UNWRITABLE / "serving.duckdb"))
    assert_one_line_error(done, str(UNWRITABLE))
    blocker = data / "a-file"
    blocker.write_text("not a directory")
    done = velo(data, "publish", serving_path=str(blocker / "serving.duckdb"))
    assert_one_line_error(done, str(blocker), "fix the path")


def test_debug_shows_the_scrubbed_traceback() -> None:
    done = velo(UNWRITABLE, "--debug", "lifecycle")
    assert done.returncode != 0 and "Traceback" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error:")


def velo_with_small_disk(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`velo` with a 64 KiB file-size limit: writes beyond it fail like on a full disk."""

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed

    return subprocess.run(
        [str(VELO), *args],
        env=velo_env(data),
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=limit_file_size,
        check=False,
    )


def test_full_disk_is_one_line_and_publish_keeps_the_old_serving_db(
    base: BaseRun, fault_root: Path
) -> None:
    done = velo_with_small_disk(fault_root / "full-disk-init", "sim", "init", "--scale", "0.05")
    assert_one_line_error(done, "disk space")

    data = copy_data(base.data, fault_root / "full-disk-publish")
    before = serving_digest(data)
    done = velo_with_small_disk(data, "publish")
    assert_one_line_error(done, "disk space")
    assert serving_digest(data) == before
    assert temp_files(data) == []


def test_corrupt_warehouse_and_serving_files_are_one_line(base: BaseRun, fault_root: Path) -> None:
    data = copy_data(base.data, fault_root / "corrupt")
    (data / "serving.duckdb").write_bytes(b"\x00garbage" * 4096)
    assert_one_line_error(velo(data, "answers"), "serving.duckdb")
    (data / "warehouse.duckdb").write_bytes(b"\x00garbage" * 4096)
    assert_one_line_error(velo(data, "publish"), "warehouse.duckdb")


def test_operations_db_not_adventureworks_shaped_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "ops.db") as con:  # a database, but not the operations one
        con.execute("create table inventory (id integer primary key, name text)")
    done = velo(data, "ingest", "operations")
    assert_one_line_error(done, "operations")


MALFORMED_BODIES = {
    "empty": b"",
    "html error page": b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    "json without data": b'{"base": "EUR", "rates": {"USD": 1.1}}',
    "data not a list": b'{"base": "EUR", "data": "none"}',
    "wrong types": b'{"base": "EUR", "data": [{"timestamp": "noon", "rates": {"USD": "x"}}]}',
    "a list": b"[1, 2, 3]",
}


@pytest.fixture
def answers_200() -> Iterator[tuple[str, dict[str, bytes]]]:
    """An HTTP API answering 200 with whatever body the test puts in the dict."""
    reply = {"body": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(reply["body"])

        def log_message(self, *args: object) -> None:
            pass

    with serve_on_loopback(Handler) as url:
        yield url, reply


@pytest.mark.parametrize("kind", MALFORMED_BODIES)
def test_fx_answer_not_as_documented_fails_and_loads_nothing(
    kind: str, settings: Settings, answers_200: tuple[str, dict[str, bytes]]
) -> None:
    url, reply = answers_200
    reply["body"] = MALFORMED_BODIES[kind]
    with pytest.raises(IngestError) as failed:
        run_ingest(settings.with_overrides(fx_api_url=f"{url}/fx"), ["fx"])
    message = str(failed.value)
    assert "\n" not in message and "answered HTTP 200 but" in message, message
    assert f"{url}/fx/hourly.json" in message
    warehouse = settings.warehouse_path
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            tables = con.sql("select table_name from information_schema.tables").fetchall()
            assert ("fx_rates",) not in tables or con.sql(
                "select count(*) from raw.fx_rates"
            ).fetchall() == [(0,)]


@pytest.mark.parametrize("kind", MALFORMED_BODIES)
def test_news_answer_not_as_documented_fails_in_one_line(
    kind: str, settings: Settings, answers_200: tuple[str, dict[str, bytes]]
) -> None:
    url, reply = answers_200
    reply["body"] = MALFORMED_BODIES[kind]
    with pytest.raises(VeloError) as failed:
        sentiment_function.run({}, settings.with_overrides(news_api_url=f"{url}/news"))
    assert "\n" not in str(failed.value) and "news API GET" in str(failed.value)
    assert not (Path(settings.landing_url) / "sentiment").exists()
