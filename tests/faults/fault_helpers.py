"""What the fault tests share: `velo` as a real process, and the checks that must hold after a
fault (raw vs the source, marts vs an uninterrupted run, the serving DB, temp files)."""

from __future__ import annotations

import hashlib
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO

import duckdb
import sqlalchemy as sa

from velo.simulator import schema
from velo.simulator.bulk import open_engine

VELO = Path(sys.executable).parent / "velo"
# The smallest company that still has orders, work orders and price changes on every day.
COMPANY = ("--days", "20", "--scale", "0.01", "--seed", "7")
BASE_DAY = date(2024, 3, 30)  # the first, complete run; the faults hit the next day's run
NEXT_DAY = BASE_DAY + timedelta(days=1)
# Columns whose values are the wall clock of a load, not data: left out of comparisons.
# dlt's HTTP client tries a refused connection once (not 5 times with backoff): outages stay short.
ONE_HTTP_ATTEMPT = {"RUNTIME__REQUEST_MAX_ATTEMPTS": "1"}
VOLATILE_COLUMN = re.compile(r"loaded_at|_dlt_|load_id")
# Serving tables that describe the publish itself (times, dbt results), not the data.
RUN_DESCRIBING_TABLES = frozenset(
    {"data_health", "data_health_history", "dbt_build", "dbt_test_issues", "publish_log"}
)


def source_tables() -> dict[str, list[str]]:
    """Operations tables (raw keeps the source's names) and their primary key columns.

    The one place the fault tests learn the source layout: a renamed layout changes only this.
    """
    return {
        name: [column.name for column in schema.TABLES[name].primary_key]
        for name in schema.COMPANY_TABLES
    }


def velo_env(data_dir: Path, extra: dict[str, str] | None = None, **settings: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELO_")}
    env.update(extra or {})
    env["VELO_DATA_DIR"] = str(data_dir)
    env.update({f"VELO_{key.upper()}": value for key, value in settings.items()})
    return env


def velo(
    data_dir: Path,
    *args: str,
    timeout: float = 900,
    extra_env: dict[str, str] | None = None,
    **settings: str,
) -> subprocess.CompletedProcess[str]:
    """`velo ARGS` on data_dir (settings as VELO_* variables, other variables in extra_env)."""
    return subprocess.run(
        [str(VELO), *args],
        env=velo_env(data_dir, extra_env, **settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def velo_ok(data_dir: Path, *args: str, **settings: str) -> str:
    done = velo(data_dir, *args, **settings)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def copy_data(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@dataclass
class LiveRun:
    """A `velo` process whose output lines arrive with the second they were printed."""

    process: subprocess.Popen[str]
    started: float
    lines: queue.Queue[tuple[float, str]] = field(default_factory=queue.Queue)
    seen: list[tuple[float, str]] = field(default_factory=list)

    def wait_for_line(self, needle: str, timeout: float = 900) -> bool:
        """True once a line containing needle was printed; False if the process ended first."""
        deadline = time.monotonic() + timeout
        while not any(needle in line for _, line in self.seen):
            try:
                self.seen.append(self.lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"no line with {needle!r} within {timeout} s") from None
            if self.seen[-1][1] is None:
                return False
        return True

    def kill(self) -> bool:
        """SIGKILL the whole process group (velo and its dbt children); False if it had ended."""
        alive = self.process.poll() is None
        if alive:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        self.read_to_end()
        return alive

    def read_to_end(self, timeout: float = 30) -> None:
        """Collect every line up to the end of the output, so `printed` misses none: the pipe
        still holds what the process printed just before it ended."""
        deadline = time.monotonic() + timeout
        while not self.seen or self.seen[-1][1] is not None:
            try:
                self.seen.append(self.lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                return

    def finish(self, timeout: float = 900) -> int:
        return self.process.wait(timeout=timeout)

    def printed(self) -> list[str]:
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return [line for _, line in self.seen if line is not None]


def start_velo(data_dir: Path, *args: str, **settings: str) -> LiveRun:
    process = subprocess.Popen(
        [str(VELO), *args],
        env=velo_env(data_dir, **settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: a kill takes dbt's children too
    )
    run = LiveRun(process, time.monotonic())
    threading.Thread(target=pump, args=(process.stdout, run), daemon=True).start()
    return run


def pump(stream: IO[str], run: LiveRun) -> None:
    for line in stream:
        run.lines.put((time.monotonic() - run.started, line.rstrip("\n")))
    run.lines.put((time.monotonic() - run.started, None))  # type: ignore[arg-type]


# --- shared fixtures' results ---

DOWN_WEBHOOK_PATH = "/services/T0FAULT/B0FAULT/webhook-down-s3cret"


def dead_url() -> str:
    """A loopback URL nothing listens on (connection refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class BaseRun:
    data: Path
    returncode: int
    output: str
    run_log: str


@dataclass
class Reference:
    data: Path
    marts: dict
    old_serving: dict
    new_serving: dict
    timeline: list[tuple[float, str]]  # (seconds since start, printed line)


# --- checks ---------------------------------------------------------------------------------


def ops_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'ops.db'}"


def source_keys(data_dir: Path) -> dict[str, set[tuple]]:
    """Each table's primary keys, typed by the schema (SQLite keeps dates as text)."""
    engine = open_engine(ops_url(data_dir))
    try:
        with engine.connect() as conn:
            return {
                name: {
                    tuple(row)
                    for row in conn.execute(
                        sa.select(*(schema.TABLES[name].c[column] for column in key))
                    )
                }
                for name, key in source_tables().items()
            }
    finally:
        engine.dispose()


def raw_problems(data_dir: Path, as_of: date) -> list[str]:
    """Duplicates or missing rows in raw versus the source (operations), the FX hours and the
    landing files (sentiment); empty when raw is exactly right."""
    problems = []
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        for name, keys in source_keys(data_dir).items():
            key = ", ".join(source_tables()[name])
            rows = con.sql(f"select {key} from raw.{name}").fetchall()
            loaded = {tuple(row) for row in rows}
            if len(rows) != len(loaded):
                problems.append(f"raw.{name}: {len(rows) - len(loaded)} duplicate key(s)")
            if loaded != keys:
                missing, extra = len(keys - loaded), len(loaded - keys)
                problems.append(f"raw.{name}: {missing} missing, {extra} not in the source")
        problems += fx_problems(con, as_of)
        problems += sentiment_problems(con, data_dir)
    return problems


def fx_problems(con: duckdb.DuckDBPyConnection, as_of: date) -> list[str]:
    """Every hour up to the run's last hour, each once per quote: no gap, no duplicate."""
    first, last, hours, rows, pairs, quotes = con.sql(
        "select min(rate_at), max(rate_at), count(distinct rate_at), count(*), "
        "count(distinct (rate_at, quote)), count(distinct quote) from raw.fx_rates"
    ).fetchall()[0]
    problems = []
    if last != datetime.combine(as_of, datetime.min.time()) + timedelta(hours=23):
        problems.append(f"raw.fx_rates: last hour {last}, not 23:00 of {as_of}")
    expected_hours = int((last - first).total_seconds() // 3600) + 1
    if hours != expected_hours:
        problems.append(f"raw.fx_rates: {expected_hours - hours} hour(s) missing")
    if rows != pairs or pairs != hours * quotes:
        problems.append(f"raw.fx_rates: {rows} rows for {hours} hours x {quotes} quotes")
    return problems


def sentiment_problems(con: duckdb.DuckDBPyConnection, data_dir: Path) -> list[str]:
    """raw.sentiment holds each url of the landing files exactly once."""
    import json

    landed = {
        json.loads(line)["url"]
        for path in (data_dir / "landing" / "sentiment").rglob("*.jsonl")
        for line in path.read_text().splitlines()
        if line.strip()
    }
    urls = [row[0] for row in con.sql("select url from raw.sentiment").fetchall()]
    problems = []
    if len(urls) != len(set(urls)):
        problems.append(f"raw.sentiment: {len(urls) - len(set(urls))} duplicate url(s)")
    if set(urls) != landed:
        problems.append(f"raw.sentiment: {len(landed - set(urls))} landed url(s) missing")
    return problems


def table_digests(path: Path, schema_name: str, skip: frozenset[str] = frozenset()) -> dict:
    """Per table of the schema: row count and a hash of its sorted rows (volatile columns out)."""
    digests = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.sql(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_type = 'BASE TABLE' order by 1",
            params=[schema_name],
        ).fetchall()
        for (table,) in tables:
            if table in skip:
                continue
            columns = [
                f'"{name}"'
                for (name,) in con.sql(
                    "select column_name from information_schema.columns where table_schema = ? "
                    "and table_name = ? order by ordinal_position",
                    params=[schema_name, table],
                ).fetchall()
                if not VOLATILE_COLUMN.search(name)
            ]
            rows = con.sql(f"select {', '.join(columns)} from {schema_name}.{table}").fetchall()
            text = "\n".join(sorted(repr(row) for row in rows))
            digests[table] = (len(rows), hashlib.sha256(text.encode()).hexdigest()[:16])
    return digests


def marts_digest(data_dir: Path) -> dict:
    return table_digests(data_dir / "warehouse.duckdb", "marts")


def serving_digest(data_dir: Path) -> dict:
    """The served data (a missing or unreadable serving DB fails the calling check)."""
    return table_digests(data_dir / "serving.duckdb", "marts", RUN_DESCRIBING_TABLES)


def temp_files(data_dir: Path) -> list[str]:
    """Temporary files a run leaves behind (publish's swap file, any *.tmp)."""
    return sorted(
        str(path.relative_to(data_dir))
        for path in data_dir.rglob("*")
        if path.name.endswith(".tmp") or ".tmp." in path.name or path.name.startswith(".serving")
    )


def all_files(root: Path) -> Iterator[Path]:
    return (path for path in root.rglob("*") if path.is_file())
