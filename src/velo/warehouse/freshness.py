"""Source freshness: declared once in dbt, measured once here, on the platform clock.

Each dbt source table that declares freshness says, in its sources YAML, which column measures
it (``loaded_at_field``) and how old that column's newest value may get (``warn_after``).
`velo freshness`, Dagster's freshness checks and the serving DB's data health all take those
from dbt's parsed manifest (:func:`freshness_rules`) and judge them here (:func:`judge`) against
the platform clock their entry point decided (``velo.clock.now``).

Why data time on the platform clock, not ``_loaded_at`` on the wall clock: the company may be
simulated — its clock ahead of the wall clock after `velo sim tick`, or at an old ``--as-of``
— while ``_loaded_at`` is stamped by ingestion with the wall clock. "Newest load vs the wall
clock" then says nothing about the data the company's "now" sees: at ``--as-of 2014-06-30``
everything loaded today is "fresh" although no order after 2014-06-30 may exist, or everything is
"stale" for an old clock. The newest business time (an order's last change, an FX rate's hour,
an article's publication) against the platform clock asks the question that holds on any
clock: is the data as current as the "now" it is read at? On a live deployment (wall clock) it
also flags a source that stopped producing data, not only a pipeline that stopped loading.

dbt's own ``dbt source freshness`` compares the same columns with the warehouse's
``current_timestamp`` and cannot be given another clock, so the platform does not use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from velo.errors import VeloError
from velo.settings import Settings

FRESH, STALE, NEVER_LOADED = "fresh", "stale", "never loaded"
# The order a source's worst table decides its status in (data health shows one per source).
SEVERITY = {FRESH: 0, STALE: 1, NEVER_LOADED: 2}
HOURS_PER_PERIOD = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}


@dataclass(frozen=True)
class FreshnessRule:
    """What dbt's manifest declares for one source table."""

    source: str  # the dbt source, also the source system that loads it (dlt pipeline)
    schema: str
    table: str  # the table's identifier in the warehouse
    column: str  # loaded_at_field: the data time whose newest value is measured
    warn_after: timedelta

    @property
    def name(self) -> str:
        return f"{self.source}.{self.table}"

    def newest_sql(self, table_ref: str) -> str:
        """The one query every consumer runs, on the table as its warehouse names it."""
        return f"SELECT max({self.column}) FROM {table_ref}"


@dataclass(frozen=True)
class Freshness:
    """One rule judged: the newest data time against ``now`` (the platform clock)."""

    rule: FreshnessRule
    newest: datetime | None  # naive UTC; None when nothing was ever loaded
    now: datetime

    @property
    def age(self) -> timedelta | None:
        return None if self.newest is None else self.now - self.newest

    @property
    def age_hours(self) -> float | None:
        return None if self.age is None else round(self.age / timedelta(hours=1), 2)

    @property
    def warn_after_hours(self) -> float:
        return self.rule.warn_after / timedelta(hours=1)

    @property
    def status(self) -> str:
        if self.age is None:
            return NEVER_LOADED
        return FRESH if self.age <= self.rule.warn_after else STALE

    def as_mapping(self) -> dict[str, Any]:
        return {
            "source": self.rule.source,
            "table": self.rule.table,
            "column": self.rule.column,
            "newest": None if self.newest is None else self.newest.isoformat(sep=" "),
            "now": self.now.isoformat(sep=" "),
            "age_hours": self.age_hours,
            "warn_after_hours": self.warn_after_hours,
            "status": self.status,
        }

    def describe(self) -> str:
        """One line: which table, how old its newest data is, on which clock, the limit."""
        limit = f"limit {self.warn_after_hours:g} h"
        if self.newest is None:
            return f"{self.rule.schema}.{self.rule.table}: nothing loaded yet ({limit})"
        return (
            f"{self.rule.schema}.{self.rule.table}: newest {self.rule.column} "
            f"{self.newest.isoformat(sep=' ')} is {self.age_hours:g} h before "
            f"{self.now.isoformat(sep=' ')} ({limit})"
        )


# --- the definitions, from dbt's manifest --------------------------------------------------------


def warn_after(node: Mapping[str, Any]) -> timedelta | None:
    """A source node's ``warn_after``; None when it declares no freshness."""
    warn = (node.get("freshness") or {}).get("warn_after") or {}
    count, period = warn.get("count"), warn.get("period")
    if count is None or period is None:
        return None
    if period not in HOURS_PER_PERIOD:
        raise VeloError(f"{node['unique_id']}: warn_after must count minutes, hours or days")
    return timedelta(hours=count * HOURS_PER_PERIOD[period])


def rules_from_manifest(manifest: Mapping[str, Any]) -> tuple[FreshnessRule, ...]:
    """Every source table of the manifest that declares a ``warn_after``, with its column.

    The manifest's ``loaded_at_field`` and ``freshness`` are the resolved ones (a table's own
    config over its source's)."""
    rules = []
    for node in manifest.get("sources", {}).values():
        limit = warn_after(node)
        if limit is None:
            continue
        if not node.get("loaded_at_field"):
            raise VeloError(
                f"{node['unique_id']}: a source with freshness needs a loaded_at_field "
                "(the data-time column the platform measures)"
            )
        rules.append(
            FreshnessRule(
                source=node["source_name"],
                schema=node["schema"],
                table=node["identifier"],
                column=node["loaded_at_field"],
                warn_after=limit,
            )
        )
    return tuple(sorted(rules, key=lambda rule: rule.name))


# Rules by (project files' digest, adapter): they follow from the project alone, so a process
# that measures many data directories (the test suite, benchmarks) parses each project once.
_RULES: dict[tuple[str, str], tuple[FreshnessRule, ...]] = {}


def freshness_rules(settings: Settings, source: str | None = None) -> tuple[FreshnessRule, ...]:
    """The freshness rules of dbt's manifest of the project as it is (``source``: its only)."""
    from velo.warehouse import runner
    from velo.warehouse.build_inputs import project_digest

    key = (project_digest(runner.DBT_PROJECT_DIR), settings.warehouse)
    if key not in _RULES:
        _RULES[key] = rules_from_manifest(runner.current_manifest(settings))
    return tuple(rule for rule in _RULES[key] if source in (None, rule.source))


# --- the measurement ---------------------------------------------------------------------------


def naive_utc(value: Any) -> datetime | None:
    """A warehouse's timestamp (naive, aware, or a date column) as the platform's naive UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    raise VeloError(f"freshness column holds {type(value).__name__} values, not timestamps")


def judge(rule: FreshnessRule, newest: Any, now: datetime) -> Freshness:
    return Freshness(rule, naive_utc(newest), now)


def measure(settings: Settings, rules: Iterable[FreshnessRule], now: datetime) -> list[Freshness]:
    """Each rule judged on the warehouse, through its source system's dlt client (any
    warehouse dlt loads into)."""
    return [judge(rule, newest_value(settings, rule), now) for rule in rules]


def newest_value(settings: Settings, rule: FreshnessRule) -> Any:
    from dlt.destinations.exceptions import DatabaseUndefinedRelation

    from velo.ingest.runner import make_pipeline

    with make_pipeline(settings, rule.source).sql_client() as client:
        try:
            rows = client.execute_sql(rule.newest_sql(client.make_qualified_table_name(rule.table)))
        except DatabaseUndefinedRelation:  # nothing was ever loaded
            return None
    return rows[0][0] if rows else None


def worst(verdicts: Sequence[Freshness]) -> Freshness:
    """The verdict a source is shown with: its least fresh table (never loaded, then the
    stalest relative to its limit)."""
    return max(
        verdicts,
        key=lambda v: (SEVERITY[v.status], v.age / v.rule.warn_after if v.age is not None else 0),
    )


# --- display -----------------------------------------------------------------------------------


def print_freshness(console: Any, verdicts: Sequence[Freshness], clock: str) -> None:
    from rich.table import Table

    table = Table(title=f"source freshness: newest data time vs {clock}")
    table.add_column("source", no_wrap=True)
    for column in ("status", "column", "newest", "age (h)", "warn after (h)"):
        table.add_column(column, overflow="fold")  # wrapped, never cut to "…"
    for verdict in verdicts:
        table.add_row(
            verdict.rule.name,
            verdict.status,
            verdict.rule.column,
            "" if verdict.newest is None else verdict.newest.isoformat(sep=" ", timespec="minutes"),
            "" if verdict.age_hours is None else f"{verdict.age_hours:.2f}",
            f"{verdict.warn_after_hours:g}",
        )
    console.print(table)
