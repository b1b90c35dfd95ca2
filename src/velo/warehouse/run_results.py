"""dbt's ``run_results.json``: the one reader of what dbt did, invocation by invocation.

The serving DB's ``dbt_build`` and ``dbt_test_issues`` tables show the last build, the Dagster
dbt step decides retry or stop from it and the benchmark reads dbt's own time.

Publishing is gated on more than the last invocation: a failing daily build followed by a green
subset build (the hourly FX refresh, `velo transform --select`, `velo dbt -- build ...`) would
otherwise hide the failure. Every dbt invocation the platform makes merges its results into the
node-status record (:func:`record_run`, under ``state_dir/dbt``): each node's status on its
latest run. A node stays failed until a later invocation runs it again and it passes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from velo.locking import waiting_lock
from velo.settings import Settings
from velo.warehouse.runner import dbt_state_dir, dbt_target_dir

RUN_RESULTS = "run_results.json"
# Statuses that block publishing: a node that errored, a test that failed.
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
# Test statuses worth showing, worst first.
ISSUE_STATUSES = ("fail", "error", "warn")
TEST_KINDS = ("test", "unit_test")
NODE_KINDS = ("model", "snapshot", "seed")
NODE_STATUS = "node_status.json"  # under state_dir/dbt: each node's status on its latest run
# The dbt commands that run nodes (what `parse`, `compile`, `show` or `source freshness` report
# says nothing about the data a node holds).
RUNNING_COMMANDS = frozenset({"build", "run", "test", "seed", "snapshot", "retry"})
# A node's latest status that blocks publishing: failed, or skipped because something upstream
# failed (it still holds what an earlier run made of earlier inputs).
BLOCKING_STATUSES = FAILED_STATUSES | {"skipped"}


def run_results_path(settings: Settings) -> Path:
    return dbt_target_dir(settings) / RUN_RESULTS


def read_run_results(path: Path) -> dict[str, Any] | None:
    """The file's content; None when there is none or it cannot be read (a half-written file
    from a concurrent build)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def last_build(settings: Settings) -> dict[str, Any] | None:
    return read_run_results(run_results_path(settings))


def generated_at(results: dict[str, Any]) -> datetime | None:
    """When dbt wrote the results (naive UTC)."""
    generated = results.get("metadata", {}).get("generated_at")
    return (
        as_naive_utc(datetime.fromisoformat(generated.replace("Z", "+00:00")))
        if generated
        else None
    )


def as_naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def node_status_path(settings: Settings) -> Path:
    return dbt_state_dir(settings) / NODE_STATUS


def read_node_status(settings: Settings) -> dict[str, dict[str, str]] | None:
    """unique_id -> {"status", "at" (ISO, naive UTC)}; None when nothing was recorded yet.
    Raises ValueError when the record cannot be read."""
    path = node_status_path(settings)
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    if not isinstance(record, dict):
        raise ValueError(f"{path} is not a mapping")
    return record


def record_results_file(settings: Settings, path: Path | None = None) -> None:
    """Merge a run_results.json (default: the last one) into the record, if it is readable and
    came from a command that runs nodes: publishing does, in case a dbt invocation the platform
    did not make (a developer's own `dbt build`) wrote it. Merging it again changes nothing."""
    results = read_run_results(path or run_results_path(settings))
    if results is not None:
        record_run(settings, results, moment=generated_at(results))


def record_run(
    settings: Settings,
    results: dict[str, Any],
    *,
    moment: datetime | None = None,
    target_dir: Path | None = None,
) -> None:
    """Merge one dbt invocation's results (run_results.json's shape; ``moment``: when it ran,
    naive UTC) into the node-status record; a node recorded by a later run keeps its status.

    Nodes that are no longer in the project (the manifest in ``target_dir``, default the
    platform's) are dropped, so a deleted model's old failure does not block forever. A
    ``--full-refresh`` merges like any run: it resets no status it did not run."""
    command = results.get("args", {}).get("which")
    if command not in RUNNING_COMMANDS:
        return
    moment = moment or generated_at(results) or as_naive_utc(datetime.now(UTC))
    at = moment.isoformat(timespec="microseconds")
    with locked_record(settings) as record:
        for item in results.get("results", []):
            unique_id, status = item.get("unique_id"), item.get("status")
            if unique_id and status and record.get(unique_id, {}).get("at", "") <= at:
                record[unique_id] = {"status": str(status), "at": at}
        known = project_nodes(target_dir or dbt_target_dir(settings))
        if known is not None:
            for unique_id in [name for name in record if name not in known]:
                del record[unique_id]


@contextmanager
def locked_record(settings: Settings) -> Iterator[dict[str, dict[str, str]]]:
    """The record to change, under a lock (two processes may finish dbt runs at once); written
    only when changed (publishing merges the last results again), to a temporary file renamed
    over it, so a reader never sees half of it. An unreadable record is started again (it is
    only ever replaced whole, so only a hand edit makes it unreadable)."""
    path = node_status_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with waiting_lock(path.with_name(f"{NODE_STATUS}.lock")):
        try:
            before = read_node_status(settings)
        except ValueError:
            before = None
        record = json.loads(json.dumps(before or {}))  # a deep copy to compare with
        yield record
        if record != before:
            temp = path.with_name(f".{NODE_STATUS}.{os.getpid()}.tmp")
            temp.write_text(json.dumps(record, sort_keys=True) + "\n")
            os.replace(temp, path)


def project_nodes(target_dir: Path) -> set[str] | None:
    """The unique_ids of the project's nodes and unit tests per its manifest; None when there
    is no readable manifest."""
    try:
        manifest = json.loads((target_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return {*manifest.get("nodes", {}), *manifest.get("unit_tests", {})}


def blocking_nodes(record: Mapping[str, Mapping[str, str]]) -> list[tuple[str, str]]:
    """(node name, status) of the nodes whose latest run failed, then of those skipped (after
    a failure upstream), each by name."""
    found = [
        (node_name({"unique_id": unique_id}), entry.get("status", ""))
        for unique_id, entry in record.items()
        if entry.get("status") in BLOCKING_STATUSES
    ]
    return sorted(found, key=lambda node: (node[1] == "skipped", node[0]))


def node_name(result: dict[str, Any]) -> str:
    """A run result's node name: unique_id is <type>.<package>.<name>[.<hash> for generic tests]."""
    parts = str(result.get("unique_id", "?")).split(".")
    return parts[2] if len(parts) > 2 else parts[-1]


def kind_of(result: dict[str, Any]) -> str:
    return str(result.get("unique_id", "")).split(".")[0]


def with_status(results: dict[str, Any], statuses: Iterable[str]) -> list[str]:
    """Names of the nodes whose status is one of ``statuses``, in dbt's order."""
    wanted = set(statuses)
    return [node_name(item) for item in results.get("results", []) if item.get("status") in wanted]


def summary(results: dict[str, Any]) -> tuple[Any, ...]:
    """(finished_at, command, elapsed seconds, models ok, models failed, tests passed, warned,
    failed): the serving DB's ``dbt_build`` row."""
    counts = dict.fromkeys(("models_ok", "models_failed", "pass", "warn", "fail"), 0)
    for item in results.get("results", []):
        kind, status = kind_of(item), item.get("status")
        if kind in TEST_KINDS and status != "skipped":
            counts[status if status in ("pass", "warn") else "fail"] += 1
        elif kind in NODE_KINDS:
            counts["models_ok" if status == "success" else "models_failed"] += 1
    return (
        generated_at(results),
        results.get("args", {}).get("which", "build"),
        results.get("elapsed_time"),
        counts["models_ok"],
        counts["models_failed"],
        counts["pass"],
        counts["warn"],
        counts["fail"],
    )


def failing_tests(results: dict[str, Any]) -> list[tuple[str, str, int | None, str | None]]:
    """Failing, erroring and warning tests, worst first: (test, status, failures, message)."""
    issues = []
    for item in results.get("results", []):
        kind, _, rest = str(item.get("unique_id", "")).partition(".")
        status = item.get("status")
        if kind in TEST_KINDS and status in ISSUE_STATUSES:
            parts = rest.split(".")[1:]  # drop the project; generic tests end with a hash
            name = ".".join(parts) if kind == "unit_test" else parts[0] if parts else rest
            issues.append((name, status, item.get("failures"), item.get("message")))
    return sorted(issues, key=lambda issue: (ISSUE_STATUSES.index(issue[1]), issue[0]))
