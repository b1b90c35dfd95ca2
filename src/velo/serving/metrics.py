"""The metrics every chart and answer reads, executed from SQL that MetricFlow compiled.

The metrics are defined once, in the dbt semantic layer (semantic models and metrics beside their
marts' YAML), and so are the questions asked of them (``saved_queries`` in
``warehouse/dbt_project/models/semantic/saved_queries.yml``). :mod:`velo.serving.semantic`
compiles every saved query with MetricFlow into
``compiled_metrics.json`` (committed; a test proves it matches the YAML). At run time this module
only looks a shape up and runs its SQL on the read-only serving DB with the filters as bind
parameters — no hand-written metric SQL per chart, and no MetricFlow import in the dashboard.

Currency: the marts hold USD. For EUR, money metrics (``meta.unit: money``, additive sums) are
taken per day, divided by that day's EUR→USD rate (the ``eur_usd_rate`` metric; days before the
first loaded rate use the earliest one) and summed; ratio metrics are recomputed from their
converted numerator and denominator.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from velo.errors import VeloError

COMPILED_PATH = Path(__file__).with_name("compiled_metrics.json")
DAY = "metric_time__day"
CURRENCIES = ("USD", "EUR")
# Dimension filters (sidebar: country/state, category) -> the semantic-layer dimension they bind.
DIMENSION_FILTERS = {
    "countries": "sales_order_line__country",
    "states": "sales_order_line__state",
    "categories": "sales_order_line__category",
}
FILTERED_SEMANTIC_MODEL = "sales_order_lines"


@dataclass(frozen=True)
class Shape:
    """A query shape: which metrics, grouped by which dimensions (order does not matter)."""

    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", tuple(sorted(set(self.metrics))))
        object.__setattr__(self, "group_by", tuple(sorted(set(self.group_by))))

    @property
    def key(self) -> str:
        return f"{','.join(self.metrics)}|{','.join(self.group_by)}"


@dataclass(frozen=True)
class Filters:
    """The sidebar's filters; empty tuples mean 'all'. Dates are inclusive."""

    date_from: date
    date_to: date
    countries: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def params(self, names: Iterable[str]) -> dict[str, Any]:
        values = {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "countries": list(self.countries),
            "states": list(self.states),
            "categories": list(self.categories),
        }
        return {name: values[name] for name in names}

    def with_changes(self, **changes: Any) -> Filters:
        return Filters(**{**self.__dict__, **changes})


# The saved query whose daily EUR→USD rate converts money metrics to EUR.
EUR_RATE_QUERY = "fx_daily"


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    type: str  # simple | ratio
    unit: str  # money | ratio | count | rate | score
    semantic_model: str
    numerator: str | None = None
    denominator: str | None = None
    description: str = ""


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    """The compiled semantic layer: metric definitions and one SQL statement per shape."""

    metrics: dict[str, Metric]
    queries: dict[str, CompiledQuery] = field(default_factory=dict)
    saved_queries: dict[str, Shape] = field(default_factory=dict)  # name -> its shape

    def saved_query(self, name: str) -> Shape:
        if name not in self.saved_queries:
            known = ", ".join(sorted(self.saved_queries))
            raise VeloError(f"unknown saved query '{name}' (known: {known})")
        return self.saved_queries[name]

    def metric(self, name: str) -> Metric:
        if name not in self.metrics:
            raise VeloError(f"unknown metric '{name}' (known: {', '.join(sorted(self.metrics))})")
        return self.metrics[name]

    def compiled(self, shape: Shape) -> tuple[Shape, CompiledQuery]:
        """The compiled shape serving ``shape``: itself, else the smallest one with the same
        group-by and more metrics (a metric's value does not depend on its neighbours)."""
        candidates = [
            Shape(tuple(key.split("|")[0].split(",")), shape.group_by)
            for key in self.queries
            if key.split("|")[1] == ",".join(shape.group_by)
        ]
        covering = [c for c in candidates if set(shape.metrics) <= set(c.metrics)]
        if not covering:
            raise VeloError(
                f"no compiled SQL for metrics {shape.key!r}: add a saved query for it "
                "(models/semantic/saved_queries.yml) and run `python -m velo.serving.semantic`"
            )
        best = min(covering, key=lambda c: len(c.metrics))
        return best, self.queries[best.key]

    def money_inputs(self, metrics: Sequence[str]) -> list[str]:
        """The additive money metrics the given metrics are built from."""
        inputs: set[str] = set()
        for name in metrics:
            metric = self.metric(name)
            parts = [metric.numerator, metric.denominator] if metric.type == "ratio" else [name]
            inputs.update(p for p in parts if p and self.metric(p).unit == "money")
        return sorted(inputs)

    def components(self, metrics: Sequence[str]) -> list[str]:
        """The metrics plus the numerators/denominators of their ratio metrics."""
        names = set(metrics)
        for name in metrics:
            metric = self.metric(name)
            if metric.type == "ratio":
                names.update((metric.numerator or "", metric.denominator or ""))
        return sorted(names)

    def shapes_for(self, shape: Shape) -> list[Shape]:
        """The shape plus the shapes the EUR conversion of it needs."""
        money = self.money_inputs(shape.metrics)
        if not money:
            return [shape]
        return [
            shape,
            Shape(tuple(self.components(shape.metrics)), shape.group_by),
            Shape(tuple(money), (*shape.group_by, DAY)),
            self.saved_query(EUR_RATE_QUERY),
        ]


def catalog_from_json(data: dict[str, Any]) -> Catalog:
    return Catalog(
        metrics={name: Metric(**spec) for name, spec in data["metrics"].items()},
        queries={
            key: CompiledQuery(spec["sql"], tuple(spec["params"]))
            for key, spec in data["queries"].items()
        },
        saved_queries={
            name: Shape(tuple(spec["metrics"]), tuple(spec["group_by"]))
            for name, spec in data.get("saved_queries", {}).items()  # none before the first compile
        },
    )


@cache
def load_catalog(path: Path = COMPILED_PATH) -> Catalog:
    if not path.exists():
        raise VeloError(f"{path} is missing: run `python -m velo.serving.semantic`")
    return catalog_from_json(json.loads(path.read_text()))


def saved_query(name: str) -> Shape:
    """A question the semantic layer declares (``saved_queries`` in the dbt project)."""
    return load_catalog().saved_query(name)


def run_shape(con: duckdb.DuckDBPyConnection, shape: Shape, filters: Filters) -> pd.DataFrame:
    """Execute a shape's compiled SQL with the filters bound; columns = group_by + metrics."""
    _, compiled = load_catalog().compiled(shape)
    frame = con.execute(compiled.sql, filters.params(compiled.params)).df()
    return frame[[*shape.group_by, *shape.metrics]]


def query(
    con: duckdb.DuckDBPyConnection,
    metrics: Sequence[str],
    group_by: Sequence[str] = (),
    filters: Filters | None = None,
    currency: str = "USD",
) -> pd.DataFrame:
    """Metrics by dimensions under filters, in USD or EUR. Group-by columns come first."""
    if currency not in CURRENCIES:
        raise VeloError(f"unknown currency '{currency}' (known: {', '.join(CURRENCIES)})")
    filters = filters or Filters(date(1900, 1, 1), date(2999, 12, 31))
    shape = Shape(tuple(metrics), tuple(group_by))
    catalog = load_catalog()
    money = catalog.money_inputs(shape.metrics)
    if currency == "USD" or not money:
        return run_shape(con, shape, filters)
    return in_euros(con, catalog, shape, money, filters)


def in_euros(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    shape: Shape,
    money: list[str],
    filters: Filters,
) -> pd.DataFrame:
    keys = list(shape.group_by)
    rates = daily_rates(con)
    daily = run_shape(con, Shape(tuple(money), (*keys, DAY)), filters)
    daily = attach_rates(daily, rates)
    for name in money:
        daily[name] = daily[name] / daily["rate"]
    if keys:
        converted = daily.groupby(keys, dropna=False, as_index=False)[money].sum()
    else:
        converted = pd.DataFrame([daily[money].sum()])
    base = run_shape(con, Shape(tuple(catalog.components(shape.metrics)), shape.group_by), filters)
    base = base.drop(columns=money)
    result = (
        base.merge(converted, on=keys, how="left")
        if keys
        else base.assign(**{name: converted[name].iloc[0] for name in money})
    )
    for name in shape.metrics:
        metric = catalog.metric(name)
        if metric.type == "ratio":
            denominator = result[metric.denominator].where(result[metric.denominator] != 0)
            result[name] = result[metric.numerator] / denominator
    return result[[*keys, *shape.metrics]]


def daily_rates(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    every_day = Filters(date(1900, 1, 1), date(2999, 12, 31))
    rates = run_shape(con, saved_query(EUR_RATE_QUERY), every_day).dropna()
    if rates.empty:
        raise VeloError("no EUR/USD rates in the serving DB yet: only USD can be shown")
    rates = rates.rename(columns={"eur_usd_rate": "rate", DAY: "day"})
    rates["day"] = pd.to_datetime(rates["day"])
    return rates.sort_values("day")


def attach_rates(frame: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Each row gets the rate of its day, else of the last earlier day, else the earliest rate."""
    ordered = frame.assign(day=pd.to_datetime(frame[DAY])).sort_values("day")
    joined = pd.merge_asof(ordered, rates, on="day", direction="backward")
    joined["rate"] = joined["rate"].fillna(rates["rate"].iloc[0])
    return joined.drop(columns="day")
