"""`velo bench run`: what a run costs, from nothing and for what changed, against dbt's own SQL.

Each step is a fresh ``velo`` subprocess started by a tiny wrapper process, whose
``RUSAGE_CHILDREN`` peak RSS is that of the step's largest single process (dbt runs in-process,
so it is included). In one data directory, one after the other:

1. ``velo run --scale N`` on an empty data directory (company created, everything loaded/built);
2. ``velo run --tick-days 1``: one simulated day, every load and the build incremental;
3. ``velo run`` again: nothing new;
4. ``velo run --only fx`` one hour later (``VELO_CLOCK``): the hourly FX refresh (load, FX
   models and their tests, the FX marts republished).

Baseline, measured in the same run right after step 1: dbt's own compiled SQL of that build's
models (``run_results.json``, in the order dbt finished them, which respects dependencies) and
of its data tests, executed in one DuckDB connection on a copy of the warehouse
(:func:`execute_compiled_sql`). Seeds, snapshots and unit tests are not executed again: they are
a few hundred rows. The goals are issue #15's: one day <= 0.2 x from empty, nothing new and the
FX refresh <= 0.1 x, the from-empty dbt build <= 2 x its compiled SQL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from velo.bench import bench_result
from velo.errors import VeloError
from velo.orchestration.progress import STEP_LABELS
from velo.settings import Settings, load_settings

# Runs argv[2:] with its output in the file argv[1], then prints its wall seconds and the peak
# RSS (KiB) of its largest descendant.
WRAPPER = """\
import json, resource, subprocess, sys, time
start = time.perf_counter()
with open(sys.argv[1], "w") as out:
    code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT).returncode
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": code, "seconds": seconds, "peak_kib": peak}))
"""
# `velo run` prints each finished step as "  ✓ <label>  <seconds> s  <detail>".
STEP_LINE = re.compile(r"✓ (.+?)\s+(\d+\.\d+) s")
# The steps reported on their own (figure -> a part of the step's label), so that each run's
# figures show where its time went.
REPORTED_STEPS = {
    "simulate step (s)": STEP_LABELS["simulate_day"],
    "operations load step (s)": STEP_LABELS["load_operations"],
    "dbt build step (s)": "dbt build",
    "publish step (s)": "publish",
    "reconciliation check step (s)": STEP_LABELS["serving_db_reconciles_with_source"],
}
# The goals: step -> (compared with, at most this ratio).
GOALS = {
    "one day": ("from empty", 0.2),
    "nothing new": ("from empty", 0.1),
    "hourly FX refresh": ("from empty", 0.1),
}
DBT_GOAL = 2.0


def measure(argv: list[str], env: dict[str, str], output: Path) -> dict[str, Any]:
    """Wall seconds and peak RSS (MiB) of one command run in a fresh wrapper process, and the
    seconds of the REPORTED_STEPS `velo run` printed (kept in ``output``). A failed
    command is reported with its last lines, not raised: the other steps' figures still count."""
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(output), *argv],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        figures = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise VeloError(
            f"bench: could not measure {' '.join(argv)}: {done.stderr[-500:]}"
        ) from None
    if figures["code"] != 0:
        last_lines = (output.read_text().strip().splitlines() or [""])[-3:]
        return {"seconds": None, "failed": f"exit {figures['code']}: {' | '.join(last_lines)}"}
    return {
        "seconds": round(figures["seconds"], 2),
        "peak_rss_mb": round(figures["peak_kib"] / 1024, 1),
        **step_seconds(output.read_text()),
    }


def step_seconds(printed: str) -> dict[str, float]:
    """The REPORTED_STEPS' seconds from `velo run`'s step lines (summed per run)."""
    seconds: dict[str, float] = {}
    for label, value in STEP_LINE.findall(printed):
        for key, wanted in REPORTED_STEPS.items():
            if wanted in label:
                seconds[key] = round(seconds.get(key, 0.0) + float(value), 2)
    return seconds


def velo(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("velo")), *args]


def bench_env(data_dir: Path) -> dict[str, str]:
    """The caller's environment without its VELO_* variables, rooted in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELO_")}
    return {**env, "VELO_DATA_DIR": str(data_dir)}


def compiled_statements(
    results: dict[str, Any], manifest: dict[str, Any]
) -> Iterator[tuple[str, str]]:
    """The build's models and data tests as (kind, plain DuckDB statement), in dbt's finishing
    order; a test's statement counts its failing rows."""
    for item in results["results"]:
        unique_id = item["unique_id"]
        sql = item.get("compiled_code")
        if not sql or item["status"] in ("error", "skipped"):
            continue
        kind = unique_id.split(".")[0]
        if kind == "model":
            node = manifest["nodes"][unique_id]
            materialized = node["config"]["materialized"]
            if materialized == "ephemeral":
                continue  # inlined into the models that use it
            relation = "VIEW" if materialized == "view" else "TABLE"
            yield kind, f"CREATE OR REPLACE {relation} {node['relation_name']} AS {sql}"
        elif kind == "test":
            yield kind, f"SELECT count(*) FROM ({sql}) AS failures"


def execute_compiled_sql(settings: Settings, results: dict[str, Any]) -> dict[str, Any]:
    """Seconds to execute the build's compiled SQL in one DuckDB connection, on a copy of the
    warehouse under the same file name (dbt's relation names carry the catalog); how many
    statements, and how many tests found failing rows (dbt's failed and warned ones)."""
    from velo.duckdb_config import connect_duckdb
    from velo.warehouse.runner import dbt_target_dir, read_manifest

    manifest = read_manifest(dbt_target_dir(settings))
    if manifest is None:
        raise VeloError(f"no readable dbt manifest in {dbt_target_dir(settings)}")
    statements = list(compiled_statements(results, manifest))
    warehouse = Path(settings.warehouse_path)
    failing_tests = 0
    with tempfile.TemporaryDirectory(dir=warehouse.parent) as tmp:
        copy = Path(tmp) / warehouse.name
        shutil.copyfile(warehouse, copy)
        with connect_duckdb(settings, copy, keep_order=False) as con:
            started = time.perf_counter()
            for kind, statement in statements:
                found = con.execute(statement).fetchall()
                failing_tests += kind == "test" and found[0][0] > 0
            seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "statements": len(statements),
        "failing tests": failing_tests,
    }


def later_clock(settings: Settings, hours: int) -> str:
    """The simulated company's clock plus ``hours``, as VELO_CLOCK text."""
    from velo.simulator.clock import read_sim_clock

    clock = read_sim_clock(settings.ops_db_url)
    if clock is None:
        raise VeloError(f"bench: no simulated company in {settings.ops_db_url}")
    return (clock + timedelta(hours=hours)).isoformat()


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 3)


def goal(value: float | None, limit: float) -> dict[str, Any]:
    return {
        "ratio": value,
        "goal": f"<= {limit:g}",
        "met": None if value is None else value <= limit,
    }


def run(scale: float) -> dict[str, Any]:
    from velo.warehouse.run_results import last_build

    with tempfile.TemporaryDirectory(prefix="velo-bench-run-") as tmp:
        data_dir = Path(tmp) / "data"
        env = bench_env(data_dir)
        settings = load_settings(env={"VELO_DATA_DIR": str(data_dir)}, cwd=Path(tmp))
        steps: dict[str, dict[str, Any]] = {}

        def step(name: str, argv: list[str], step_env: dict[str, str] = env) -> None:
            before = last_build(settings)
            steps[name] = measure(argv, step_env, Path(tmp) / f"{name}.txt")
            results = last_build(settings)
            # a run with nothing new builds nothing: the last build is then an earlier step's
            built = results is not None and results != before
            steps[name]["dbt's own elapsed (s)"] = (
                round(results["elapsed_time"], 2) if built else None
            )

        step("from empty", velo("run", "--scale", f"{scale:g}"))
        built = last_build(settings)
        baseline = execute_compiled_sql(settings, built) if built else {"seconds": None}
        step("one day", velo("run", "--tick-days", "1"))
        step("nothing new", velo("run"))
        fx_env = {**env, "VELO_CLOCK": later_clock(settings, hours=1)}
        step("hourly FX refresh", velo("run", "--only", "fx"), fx_env)
    goals = {
        f"{name} / {base}": goal(ratio(steps[name]["seconds"], steps[base]["seconds"]), limit)
        for name, (base, limit) in GOALS.items()
    }
    dbt_ratio = ratio(steps["from empty"]["dbt's own elapsed (s)"], baseline["seconds"])
    goals["from-empty dbt build / its compiled SQL"] = goal(dbt_ratio, DBT_GOAL)
    return bench_result(
        "run",
        scale,
        figures={"steps": steps, "goals": goals},
        baseline={"dbt's compiled SQL in one DuckDB connection": baseline},
        ratio=dbt_ratio,
    )
