"""SIGKILL `velo run` at random moments of every step, rerun, and check that nothing was lost,
nothing doubled, and readers never saw a missing or partial serving DB.

Kill points (fixed seed) cycle over the steps; each is placed after the reference run's marker
of the step before, at a random fraction of the step's reference duration. The run after a kill
is itself the next kill's victim; after every GROUP kills a rerun goes uninterrupted and the full
checks run: raw equals the source (no duplicate, no missing row), marts equal the uninterrupted
reference run's, no temporary file is left. The serving DB is checked after every kill.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter
from pathlib import Path

from faults.fault_helpers import (
    NEXT_DAY,
    Reference,
    copy_data,
    marts_digest,
    raw_problems,
    serving_digest,
    start_velo,
    temp_files,
    velo,
)

SEED = 1313
KILLS = 21
GROUP = 11  # kills between two uninterrupted reruns (and their full checks)
HEADER = "Velo platform run"
# Step labels as `velo run` prints them, in the order they run.
STEPS = (
    "sentiment function",
    "ingest FX rates API",
    "ingest operations DB",
    "ingest landing/sentiment",
    "dbt build",
    "publish serving DB",
)


def step_of(line: str) -> str | None:
    return next((step for step in STEPS if step in line and "✓" in line), None)


def kill_windows(timeline: list[tuple[float, str]]) -> dict[str, tuple[str, float]]:
    """Per step: the marker printed just before it starts, and how long it took (reference)."""
    markers = [(at, line) for at, line in timeline if HEADER in line or "✓" in line]
    windows = {}
    for (before_at, before), (at, line) in itertools.pairwise(markers):
        step = step_of(line)
        if step is not None:
            marker = HEADER if HEADER in before else before.split("✓", 1)[1].split("  ")[0]
            windows[step] = (marker.strip(), at - before_at)
    assert set(windows) == set(STEPS), f"steps not seen in the reference run: {windows}"
    return windows


def unfinished_step(lines: list[str]) -> str:
    """The first step that had not finished when the run was killed."""
    done = {step_of(line) for line in lines}
    return next((step for step in STEPS if step not in done), "after publish")


def check_complete(data: Path, reference: Reference) -> None:
    done = velo(data, "run", "--as-of", NEXT_DAY.isoformat())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert raw_problems(data, NEXT_DAY) == []
    assert marts_digest(data) == reference.marts
    assert serving_digest(data) == reference.new_serving
    assert temp_files(data) == []


def test_sigkill_anywhere_then_rerun_loses_and_doubles_nothing(
    ticked: Path, reference: Reference, fault_root: Path
) -> None:
    assert reference.old_serving != reference.new_serving  # else "old or new" proves nothing
    windows = kill_windows(reference.timeline)
    rng = random.Random(SEED)
    data = copy_data(ticked, fault_root / "killed")
    landed: Counter[str] = Counter()
    completed_before_kill = 0
    for point in range(KILLS):
        step = STEPS[point % len(STEPS)]
        marker, seconds = windows[step]
        run = start_velo(data, "run", "--as-of", NEXT_DAY.isoformat())
        if run.wait_for_line(marker):
            time.sleep(rng.uniform(0.05, 0.95) * seconds)
        if run.kill():
            landed[unfinished_step(run.printed())] += 1
        else:
            completed_before_kill += 1
        # Readers see the old version or the new one, whole, whatever moment the kill hit.
        assert serving_digest(data) in (reference.old_serving, reference.new_serving)
        if (point + 1) % GROUP == 0 or point == KILLS - 1:
            check_complete(data, reference)
    print(f"\nkills per step: {dict(landed)}; runs that finished first: {completed_before_kill}")
    assert sum(landed.values()) >= 20
    assert {"ingest FX rates API", "dbt build", "publish serving DB"} <= set(landed)
