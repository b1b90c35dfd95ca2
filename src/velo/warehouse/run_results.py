"""dbt's ``run_results.json``: the one reader of what the last dbt build did.

Publishing is gated on it, the serving DB's ``dbt_build`` and ``dbt_test_issues`` tables show
it, the Dagster dbt step decides retry or stop from it and the benchmark reads dbt's own time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from velo.settings import Settings
from velo.warehouse.runner import dbt_target_dir

RUN_RESULTS = "run_results.json"
# Statuses that block publishing: a node that errored, a test that failed.
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
# Test statuses worth showing, worst first.
ISSUE_STATUSES = ("fail", "error", "warn")
TEST_KINDS = ("test", "unit_test")
NODE_KINDS = ("model", "snapshot", "seed")


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
    generated = results.get("metadata", {}).get("generated_at")
    finished_at = (
        datetime.fromisoformat(generated.replace("Z", "+00:00")).replace(tzinfo=None)
        if generated
        else None
    )
    return (
        finished_at,
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
