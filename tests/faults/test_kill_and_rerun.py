"""SIGKILL `velo run` at random moments of every step, rerun, and check that nothing was lost,
nothing doubled, and readers never saw a missing or partial serving DB.

Each kill is aimed at the step with the fewest kills landed so far: after the reference run's
marker of the step before, at a random fraction (fixed seed) of the step's reference duration. A
run after a kill has a different amount of work than the reference (a finished load, a pending
package), so a kill lands where it lands and is counted there; aiming again at the steps still
short of kills keeps every step covered however the timings move. The run after a kill is itself
the next kill's victim. Each group of kills starts from the not-yet-run next day, so its runs
have real work; after the group a rerun goes uninterrupted and the full checks run: raw equals
the source (no duplicate, no missing row), marts equal the uninterrupted reference run's, no
temporary file is left. The serving DB is checked after every kill.
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
KILLS_PER_STEP = 3  # kills that must land inside each step
MAX_KILLS = 40  # a bound on the attempts, for a machine whose timings never line up
GROUP = 10  # kills between two uninterrupted reruns (and their full checks)
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


def next_target(landed: Counter[str]) -> str:
    """The step with the fewest kills landed so far (the earliest on a tie)."""
    return min(STEPS, key=lambda step: landed[step])


def covered(landed: Counter[str]) -> bool:
    return all(landed[step] >= KILLS_PER_STEP for step in STEPS)


def test_sigkill_anywhere_then_rerun_loses_and_doubles_nothing(
    ticked: Path, reference: Reference, fault_root: Path
) -> None:
    assert reference.old_serving != reference.new_serving  # else "old or new" proves nothing
    windows = kill_windows(reference.timeline)
    rng = random.Random(SEED)
    landed: Counter[str] = Counter()
    kills = 0
    while not covered(landed) and kills < MAX_KILLS:
        if kills % GROUP == 0:
            data = copy_data(ticked, fault_root / f"killed-{kills // GROUP}")
        step = next_target(landed)
        marker, seconds = windows[step]
        run = start_velo(data, "run", "--as-of", NEXT_DAY.isoformat())
        if run.wait_for_line(marker):
            time.sleep(rng.uniform(0.05, 0.95) * seconds)
        landed[unfinished_step(run.printed()) if run.kill() else "finished first"] += 1
        kills += 1
        # Readers see the old version or the new one, whole, whatever moment the kill hit.
        assert serving_digest(data) in (reference.old_serving, reference.new_serving)
        if kills % GROUP == 0 or covered(landed):
            check_complete(data, reference)
    print(f"\nwhere {kills} kills landed: {dict(landed)}")
    assert covered(landed), f"steps short of {KILLS_PER_STEP} kills: {dict(landed)}"
