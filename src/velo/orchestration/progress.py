"""What `velo run` shows while it runs: one console line per finished step, from Dagster's events.

:class:`StepProgress` listens to a run's events and prints each step with its duration (the rows
a load read, or the failure's one line); :class:`RunOutcome` keeps what the run did for the
caller (steps, rows read, alerts, run digests).
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dagster as dg
from dagster import DagsterEventType, EventLogEntry
from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner

from velo.orchestration.alerts import RunDigest, user_message


@dataclass
class StepTiming:
    name: str
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class RunOutcome:
    """What one `velo run` did: its steps, the rows each load read, the alerts it raised."""

    steps: list[StepTiming] = field(default_factory=list)
    rows_read: list[dict[str, int]] = field(default_factory=list)  # one per platform run's loads
    alerts: list[str] = field(default_factory=list)
    runs: list[RunDigest] = field(default_factory=list)
    seconds: float = 0.0


STEP_LABELS = {
    "load_operations": "ingest operations DB -> raw",
    "load_fx": "ingest FX rates API -> raw",
    "load_sentiment": "ingest landing/sentiment -> raw",
    "landing__sentiment": "sentiment function (news API -> landing)",
    "serving_db": "publish serving DB",
    "serving_fx_rates": "publish FX rates into the serving DB",
    "serving_db_reconciles_with_source": "serving db reconciles with source",
    "simulate_day": "simulate one day",
}


# What `velo run` shows when, after the loads, it does not start the build (dbt and publishing).
BUILD_STAGE = "dbt build, publish serving DB"


def step_label(step_key: str) -> str:
    if step_key in STEP_LABELS:
        return STEP_LABELS[step_key]
    if step_key.endswith("_fresh"):
        return f"freshness check {step_key.removesuffix('_fresh').replace('raw__', 'raw.')}"
    if step_key.startswith("dbt"):
        return "dbt build (models, snapshots, tests)"
    return step_key.replace("_", " ")


class StepProgress:
    """Turns a run's Dagster events into lines on the console: one per finished step."""

    def __init__(self, console: Console, outcome: RunOutcome, prefix: str) -> None:
        self.console = console
        self.outcome = outcome
        self.prefix = prefix
        self.started: dict[str, float] = {}
        self.rows_read: dict[str, int] = {}  # raw table -> rows its load read
        self.step_rows: dict[str, int] = {}
        self.materialized: dict[str, int] = {}  # step -> assets it materialised
        self.status: Live | None = None

    def __call__(self, entry: EventLogEntry) -> None:
        event = entry.dagster_event
        if event is None:
            # A step's own warning (the dbt step rebuilding from scratch) belongs on the console.
            if entry.level >= logging.WARNING and entry.user_message:
                self.console.print(
                    f"  [yellow]![/yellow] {self.prefix}{entry.user_message}", highlight=False
                )
            return
        step = event.step_key or ""
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            self.started.setdefault(step, entry.timestamp)
            if self.status is not None:
                self.status.update(Spinner("dots", f"{self.prefix}{step_label(step)} …"))
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            self.materialized[step] = self.materialized.get(step, 0) + 1
            rows = event.step_materialization_data.materialization.metadata.get("rows_read")
            if rows is not None:
                self.rows_read[event.asset_key.path[-1]] = int(rows.value)
                self.step_rows[step] = self.step_rows.get(step, 0) + int(rows.value)
        elif kind == DagsterEventType.STEP_SKIPPED:
            show_skipped(self.console, self.prefix, step_label(step), "nothing upstream changed")
        elif kind == DagsterEventType.STEP_UP_FOR_RETRY:
            self.console.print(f"  [yellow]↻[/yellow] {self.prefix}{step_label(step)}: retrying")
        elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            ok = kind == DagsterEventType.STEP_SUCCESS
            seconds = entry.timestamp - self.started.get(step, entry.timestamp)
            detail = self.step_detail(step) if ok else failure_line(event)
            self.outcome.steps.append(
                StepTiming(f"{self.prefix}{step_label(step)}", seconds, ok, detail)
            )
            mark = "[green]✓[/green]" if ok else "[red]✗[/red]"
            self.console.print(
                f"  {mark} {self.prefix}{step_label(step):<44} {seconds:7.2f} s  {detail}",
                highlight=False,
            )

    def step_detail(self, step: str) -> str:
        if step in self.step_rows:
            return f"{self.step_rows[step]:,} rows read"
        if step.startswith("dbt") and not self.materialized.get(step):
            return "nothing changed since the last publish"
        return ""


def show_skipped(console: Console, prefix: str, label: str, why: str) -> None:
    console.print(f"  [dim]·[/dim] {prefix}{label:<44} {'':>9}  skipped: {why}", highlight=False)


def failure_line(event: dg.DagsterEvent) -> str:
    return user_message(event.step_failure_data.error)


def spinner(console: Console, text: str) -> Live:
    """A transient spinner line that leaves stdout alone (dbt's output goes to the run log)."""
    return Live(
        Spinner("dots", text),
        console=console,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )


@contextmanager
def timed_step(console: Console, outcome: RunOutcome, name: str) -> Iterator[None]:
    """Time a step that runs outside Dagster (API start-up, company creation)."""
    start = time.perf_counter()
    with spinner(console, f"{name} …"):
        yield
    seconds = time.perf_counter() - start
    outcome.steps.append(StepTiming(name, seconds, True))
    console.print(f"  [green]✓[/green] {name:<44} {seconds:7.2f} s", highlight=False)
