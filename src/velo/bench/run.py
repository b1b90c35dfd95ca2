"""`velo bench run`: the whole platform end to end: from nothing, one incremental day, nothing new.

Each measurement is a fresh ``velo`` subprocess started by a tiny wrapper process, whose
``RUSAGE_CHILDREN`` peak RSS is then exactly that command's (dbt's subprocess included). Figures:
wall time and peak memory of ``velo run`` on an empty data directory, of ``velo run`` after
``velo sim tick --days 1`` (one incremental day), and of ``velo run`` again with nothing new; their
ratios to the run from nothing are issue #15's goals (one day <= 0.2, nothing new <= 0.1).
Baselines: the reference platform's dbt build alone (about 21 s on Snowflake, ARCHITECTURE.md —
a documented constant, it cannot be re-run here) and our own dbt build alone, measured in the
same run on the data just loaded.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from velo.bench import bench_result
from velo.errors import VeloError
from velo.settings import load_settings

REFERENCE_DBT_BUILD_SECONDS = 21.0

# Runs argv, then prints its wall seconds and the peak RSS (KiB) of it and its descendants.
WRAPPER = """\
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": code, "seconds": seconds, "peak_kib": peak}))
"""


def measure(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall seconds and peak RSS (MiB) of one command, run in a fresh wrapper process."""
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *argv], env=env, capture_output=True, text=True, check=False
    )
    try:
        figures = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise VeloError(
            f"bench: could not measure {' '.join(argv)}: {done.stderr[-500:]}"
        ) from None
    if figures["code"] != 0:
        raise VeloError(f"bench: `{' '.join(argv)}` failed (exit {figures['code']})")
    return {
        "seconds": round(figures["seconds"], 2),
        "peak_rss_mb": round(figures["peak_kib"] / 1024, 1),
    }


def velo(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("velo")), *args]


def bench_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELO_")}
    return {**env, "VELO_DATA_DIR": str(data_dir)}


def dbt_elapsed_seconds(data_dir: Path) -> float | None:
    """dbt's own elapsed time of the last build (run_results.json), without process start-up."""
    from velo.warehouse.run_results import last_build

    results = last_build(load_settings(env={"VELO_DATA_DIR": str(data_dir)}))
    return None if results is None else round(results["elapsed_time"], 2)


def run(scale: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="velo-bench-run-") as tmp:
        env = bench_env(Path(tmp) / "data")
        cold = measure(velo("run", "--scale", f"{scale:g}"), env)
        subprocess.run(velo("sim", "tick", "--days", "1"), env=env, capture_output=True, check=True)
        day = measure(velo("run"), env)
        nothing_new = measure(velo("run"), env)
        dbt_alone = measure(velo("transform"), env)
        dbt_elapsed = dbt_elapsed_seconds(Path(tmp) / "data")
    return bench_result(
        "run",
        scale,
        figures={
            "velo run from nothing (s)": cold["seconds"],
            "velo run from nothing peak RSS (MiB)": cold["peak_rss_mb"],
            "one incremental day (s)": day["seconds"],
            "one incremental day peak RSS (MiB)": day["peak_rss_mb"],
            "nothing new (s)": nothing_new["seconds"],
            "one day / from nothing": round(day["seconds"] / cold["seconds"], 2),
            "nothing new / from nothing": round(nothing_new["seconds"] / cold["seconds"], 2),
        },
        baseline={
            "reference dbt build on Snowflake (s, constant)": REFERENCE_DBT_BUILD_SECONDS,
            "our dbt build alone, `velo transform` (s)": dbt_alone["seconds"],
            "our dbt build alone, dbt's own elapsed (s)": dbt_elapsed,
            "our dbt build alone peak RSS (MiB)": dbt_alone["peak_rss_mb"],
        },
        ratio=cold["seconds"] / REFERENCE_DBT_BUILD_SECONDS,
    )
