"""SIGKILL `velo run` at random moments of each of its steps, rerun, and check that nothing was
lost, nothing doubled, and readers never saw a missing or partial serving DB.

A chain takes a copy of the not-yet-run next day and kills run after run on it, in step order,
then lets one rerun go uninterrupted and runs the full checks: raw equals the source (no
duplicate, no missing row), marts equal the uninterrupted reference run's, the serving DB is its
new version, no temporary file is left. The serving DB is checked after every kill. Kills go in
step order so that the step aimed at still has its work: a kill stops the run before it, so the
rerun does it.

Each kill is aimed by what the step leaves on disk, not by the clock, so a busy machine moves
the moment but not the step (the FX and news loads last about a second here):
- the sentiment function: a random fraction (seed) of the reference run's time from the run's
  header to the function's end (the run's start-up belongs to this first step);
- the three loads: a random stage of the step's new dlt load package (extracting, extracted,
  normalizing, normalized, loaded: the package's folder under the pipeline's working dir);
- the dbt build: a random count of finished dbt nodes in dbt's log (0: dbt just started; all:
  dbt is writing its artifacts);
- publish: its swap file created, being written (its WAL exists), or swapped in.
A watched step that ends before its moment is killed at once (the kill lands in the next step).

The plan comes from a fixed seed: two chains of 11 kills; should this machine's timing make
kills miss, up to two more chains aim at what is short. At least 20 kills must land inside a
step (where a kill landed is the first step the run had not finished), every step at least once.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from faults.fault_helpers import (
    NEXT_DAY,
    LiveRun,
    Reference,
    copy_data,
    marts_digest,
    raw_problems,
    serving_digest,
    start_velo,
    temp_files,
    velo,
    velo_env,
)
from velo.ingest.common import pipeline_name, pipelines_dir
from velo.settings import Settings, load_settings
from velo.warehouse.run_results import RUN_RESULTS
from velo.warehouse.runner import dbt_target_dir

SEED = 1313
MIN_KILLS = 20  # kills that must land inside a step (the "at least 20 points")
CHAINS = 2  # copies, each killed again and again before its one uninterrupted rerun
TOP_UPS = 2  # further chains, only when this machine's timing made planned kills miss
POLL = 0.01  # seconds between looks at the run's files (the shortest stage lasts ~0.1 s)
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
SENTIMENT_FUNCTION, *LOADS, DBT_BUILD, PUBLISH = STEPS
BEFORE_BUILD = STEPS[: STEPS.index(DBT_BUILD)]
SOURCE_OF = dict(zip(LOADS, ("fx", "operations", "sentiment"), strict=True))
AFTER_PUBLISH = "after publish"  # the serving DB reconciliation, not one of STEPS
FINISHED = "finished first"
# Where dlt keeps a load package in the pipeline's working dir, stage by stage (extracting: a
# temporary folder under normalize/; `normalize/*/*` also matches the later `extracted`).
DLT_STAGES = {
    "extracting": "normalize/*/*",
    "extracted": "normalize/extracted/*",
    "normalizing": "load/new/*",
    "normalized": "load/normalized/*",
    "loaded": "load/loaded/*",
}
PUBLISH_STAGES = ("swap file created", "swap file being written", "swapped in")
SWAP_FILES = ".serving.duckdb.*.tmp*"  # publish builds the new file beside the served one
# dagster-dbt writes dbt's log beside its target; a line per node result, one as dbt starts.
DBT_LOG = "dbt.log"
DBT_EVENT = re.compile(r'"name": "(?:MainReportVersion|Log\w*Result)"')

Watch = Callable[[LiveRun], bool]  # has the run reached the moment to kill it?


@dataclass(frozen=True)
class Aim:
    step: str
    moment: str  # for the printed log of kills
    order: int  # earlier moments of a step are killed first (their work is still there)
    watch: Callable[[Path], Watch]  # started on the data dir just before the run


def settings_of(data: Path) -> Settings:
    return load_settings(velo_env(data), cwd=data)


def step_of(line: str) -> str | None:
    return next((step for step in STEPS if step in line and "✓" in line), None)


def unfinished_step(lines: list[str]) -> str:
    """The first step that had not finished when the run was killed."""
    done = {step_of(line) for line in lines}
    return next((step for step in STEPS if step not in done), AFTER_PUBLISH)


def check_complete(data: Path, reference: Reference) -> None:
    done = velo(data, "run", "--as-of", NEXT_DAY.isoformat())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert raw_problems(data, NEXT_DAY) == []
    assert marts_digest(data) == reference.marts
    assert serving_digest(data) == reference.new_serving
    assert temp_files(data) == []


# --- moments to kill at: what each step leaves on disk -----------------------------------------


def header_then(seconds: float) -> Callable[[Path], Watch]:
    """`seconds` after the run printed its header."""

    def watch(_data: Path) -> Watch:
        def reached(run: LiveRun) -> bool:
            at = next((at for at, line in run.seen if line and HEADER in line), None)
            return at is not None and time.monotonic() - run.started >= at + seconds

        return reached

    return watch


def package_stages(pipeline_dir: Path) -> dict[str, int]:
    """Each load package of the pipeline and the furthest stage it is in (folders move while
    dlt works: a look that races a move is taken again at the next poll)."""
    stages: dict[str, int] = {}
    try:
        for stage, pattern in enumerate(DLT_STAGES.values()):
            for path in pipeline_dir.glob(pattern):
                stages[path.name] = max(stage, stages.get(path.name, -1))
    except OSError:
        return {}
    return stages


def dlt_stage(source: str, stage: int) -> Callable[[Path], Watch]:
    """A load package moved on to `stage` in this run: a new one, or one a killed run left
    pending, which the run loads first (then the load may have nothing new to package)."""

    def watch(data: Path) -> Watch:
        pipeline_dir = pipelines_dir(settings_of(data)) / pipeline_name(source)
        before = package_stages(pipeline_dir)
        furthest = -1

        def reached(_run: LiveRun) -> bool:
            nonlocal furthest
            moved = [
                at for name, at in package_stages(pipeline_dir).items() if at > before.get(name, -1)
            ]
            furthest = max([furthest, *moved])
            return furthest >= stage

        return reached

    return watch


def dbt_events(count: int) -> Callable[[Path], Watch]:
    """dbt logged `count` events of this run: its start, then one per finished node."""

    def watch(data: Path) -> Watch:
        log = dbt_target_dir(settings_of(data)) / DBT_LOG
        offset = log.stat().st_size if log.exists() else 0
        seen = 0
        partial = ""

        def reached(_run: LiveRun) -> bool:
            nonlocal offset, seen, partial
            if not log.exists():
                return False
            if log.stat().st_size < offset:  # dbt rotated its log
                offset, partial = 0, ""
            with log.open(encoding="utf-8", errors="replace") as file:
                file.seek(offset)
                text = partial + file.read()
                offset = file.tell()
            *lines, partial = text.split("\n")
            seen += sum(1 for line in lines if DBT_EVENT.search(line))
            return seen >= count

        return reached

    return watch


def publish_stage(stage: int) -> Callable[[Path], Watch]:
    """Publish's swap file (new ones only: a killed publish's stays until the next publish)."""

    def watch(data: Path) -> Watch:
        before = {path.name for path in data.glob(SWAP_FILES)}
        furthest = -1

        def reached(_run: LiveRun) -> bool:
            nonlocal furthest
            new = [path.name for path in data.glob(SWAP_FILES) if path.name not in before]
            if any(name.endswith(".tmp") for name in new):
                furthest = max(furthest, 0)
            if any(name.endswith(".wal") for name in new):
                furthest = max(furthest, 1)
            if furthest >= 0 and not new:
                furthest = 2
            return furthest >= stage

        return reached

    return watch


def passed(run: LiveRun, step: str) -> bool:
    """The step (or a later one) already finished: its moment will not come in this run."""
    done = {step_of(line) for line in run.printed()}
    return any(later in done for later in STEPS[STEPS.index(step) :])


# --- planning and killing ----------------------------------------------------------------------


def first_step_seconds(reference: Reference) -> float:
    """From the reference run's header to the sentiment function's end."""
    header = next(at for at, line in reference.timeline if HEADER in line)
    done = next(at for at, line in reference.timeline if step_of(line) == SENTIMENT_FUNCTION)
    return done - header


def dbt_nodes(reference: Reference) -> int:
    """The nodes the reference run's dbt build finished."""
    results = dbt_target_dir(settings_of(reference.data)) / RUN_RESULTS
    return len(json.loads(results.read_text())["results"])


def aim_at(step: str, rng: random.Random, reference: Reference) -> Aim:
    if step == SENTIMENT_FUNCTION:
        fraction = rng.uniform(0.05, 0.95)
        seconds = fraction * first_step_seconds(reference)
        return Aim(
            step, f"{seconds:.1f} s after the header", int(fraction * 100), header_then(seconds)
        )
    if step in SOURCE_OF:
        stage = rng.randrange(len(DLT_STAGES))
        name = list(DLT_STAGES)[stage]
        return Aim(step, f"dlt package {name}", stage, dlt_stage(SOURCE_OF[step], stage))
    if step == DBT_BUILD:
        count = rng.randint(1, dbt_nodes(reference) + 1)
        moment = "dbt started" if count == 1 else f"{count - 1} dbt nodes done"
        return Aim(step, moment, count, dbt_events(count))
    stage = rng.randrange(len(PUBLISH_STAGES))
    return Aim(step, PUBLISH_STAGES[stage], stage, publish_stage(stage))


def chain_steps(rng: random.Random) -> list[str]:
    """Each step once, each step before the build once more and one of them a third time: a
    kill there costs the run's start-up and a load, one at the build or publish a build more."""
    return [*STEPS, *BEFORE_BUILD, rng.choice(BEFORE_BUILD)]


def chain_plan(steps: list[str], rng: random.Random, reference: Reference) -> list[Aim]:
    aims = [aim_at(step, rng, reference) for step in steps]
    return sorted(aims, key=lambda aim: (STEPS.index(aim.step), aim.order))


def kill_at(data: Path, aim: Aim, reference: Reference) -> str:
    """Run, SIGKILL at the aim's moment (or once its step is over); where the kill landed.
    Readers see the old serving DB or the new one, whole, whatever moment the kill hit."""
    reached = aim.watch(data)
    run = start_velo(data, "run", "--as-of", NEXT_DAY.isoformat())
    while run.process.poll() is None and not reached(run) and not passed(run, aim.step):
        time.sleep(POLL)
    landed = unfinished_step(run.printed()) if run.kill() else FINISHED
    assert serving_digest(data) in (reference.old_serving, reference.new_serving), landed
    return landed


def kill_chain(data: Path, plan: list[Aim], reference: Reference) -> list[str]:
    """Kill run after run on one copy, then rerun it uninterrupted and check it whole."""
    landed = []
    for aim in plan:
        landed.append(kill_at(data, aim, reference))
        print(f"  {aim.step} at {aim.moment}: landed in {landed[-1]}")
        if landed[-1] == FINISHED:
            break  # the copy is fully run: later kills would find no work
    check_complete(data, reference)
    return landed


def inside_steps(landed: Counter[str]) -> int:
    return sum(landed[step] for step in STEPS)


def test_sigkill_anywhere_then_rerun_loses_and_doubles_nothing(
    ticked: Path, reference: Reference, fault_root: Path
) -> None:
    assert reference.old_serving != reference.new_serving  # else "old or new" proves nothing
    rng = random.Random(SEED)
    plans = [chain_steps(rng) for _ in range(CHAINS)]
    landed: Counter[str] = Counter()
    for chain in range(CHAINS + TOP_UPS):
        if chain >= CHAINS:
            missing = [step for step in STEPS if not landed[step]]
            short = max(0, MIN_KILLS - inside_steps(landed))
            if not missing and not short:
                break
            plans.append([*missing, *rng.choices(BEFORE_BUILD, k=short)])
        print(f"\nchain {chain}:")
        data = copy_data(ticked, fault_root / f"killed-{chain}")
        landed.update(kill_chain(data, chain_plan(plans[chain], rng, reference), reference))
    counts = {where: landed[where] for where in [*STEPS, AFTER_PUBLISH, FINISHED]}
    print(f"\nwhere the kills landed: {counts}")
    assert all(landed[step] for step in STEPS), f"a step no kill landed in: {counts}"
    assert inside_steps(landed) >= MIN_KILLS, f"fewer than {MIN_KILLS} kills in a step: {counts}"
