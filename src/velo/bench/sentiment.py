"""`velo bench sentiment`: the sentiment function's scoring, finance model vs VADER.

``scale`` x 10,000 simulated news items (the news API's own generator, several years of days)
are scored by the function's scoring step (:func:`velo.functions.sentiment.score_items`) in a
fresh Python process per scorer, so each process's peak RSS is the function's own (imports,
model or lexicon, the items). The baseline is the same step with VADER in the same run;
ratio = our items/s / VADER's items/s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from velo.bench import bench_result, peak_rss_mb
from velo.errors import VeloError
from velo.settings import COMPANY_TICKER

ITEMS_PER_SCALE = 10_000
ITEMS_PER_DAY = 5  # below the simulated feed's mean (3-8 a day), so enough days are generated
START = datetime(2015, 1, 1)


def run(scale: float) -> dict[str, Any]:
    from velo.simulator.news import items_between

    count = max(1, int(ITEMS_PER_SCALE * scale))
    days = int(count / ITEMS_PER_DAY) + 2
    items = items_between(0, START, START + timedelta(days=days))[:count]
    with tempfile.TemporaryDirectory(prefix="velo-bench-sentiment-") as tmp:
        path = Path(tmp) / "items.json"
        path.write_text(json.dumps(items))
        ours = measure("finance", path)
        vader = measure("vader", path)
    return bench_result(
        "sentiment",
        scale,
        {"items": len(items), **ours},
        vader,
        ours["items_per_s"] / vader["items_per_s"],
    )


def measure(scorer: str, items_path: Path) -> dict[str, Any]:
    """One scorer in its own process: load time, items/s and that process's peak RSS."""
    result = subprocess.run(
        [sys.executable, "-m", "velo.bench.sentiment", scorer, str(items_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise VeloError(f"bench sentiment: scoring with {scorer} failed: {last}")
    return json.loads(result.stdout)


def score_file(scorer_name: str, items_path: Path) -> dict[str, Any]:
    """What the child process does: import the function, load the scorer, score every item."""
    start = time.perf_counter()
    from velo.functions.sentiment import score_items
    from velo.sentiment.scorers import scorer_for

    scorer = scorer_for(scorer_name)
    scorer.predict("warm-up")
    loaded = time.perf_counter() - start
    items = json.loads(items_path.read_text())
    start, cpu_start = time.perf_counter(), time.process_time()
    records = score_items(items, scorer, COMPANY_TICKER, scored_at=START)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "scorer": f"{scorer.name} {scorer.version}",
        "load_s": round(loaded, 3),
        "score_s": round(seconds, 3),
        "score_cpu_s": round(cpu_seconds, 3),  # wall time includes waiting for a shared CPU
        "items_per_s": round(len(records) / seconds, 1),
        "peak_rss_mb": round(own_peak_rss_mb(), 1),
    }


def own_peak_rss_mb() -> float:
    """This process's peak RSS since exec (VmHWM). getrusage's maxrss would not do: Linux keeps
    it across exec, so a child would report its parent's peak at fork time."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return peak_rss_mb()
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return peak_rss_mb()


if __name__ == "__main__":
    sys.stdout.write(json.dumps(score_file(sys.argv[1], Path(sys.argv[2]))) + "\n")
