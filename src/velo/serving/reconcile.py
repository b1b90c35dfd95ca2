"""`velo reconcile`: the headline figures computed straight from the operations DB, compared with
the serving DB — so a user can prove the numbers they are shown.

The source side is one plain SQL query over the operations tables (no warehouse, no dbt): each
order line with its order's date and status, its ship-to state, its product's category and the
product's standard cost valid at the order's instant (the cost history row started last at or
before it; before the first row, the first row; without history, the product's cost). Revenue
is unit price x quantity x (1 - discount) rounded to 4 decimals per line, as in the fact; orders
rejected or cancelled (the ``order_statuses`` seed) are not revenue. Categories are the
products' current ones. The figures: revenue and profit per month (every month up to the as-of
date), revenue per US ship-to state and per category and units per category over the ranking
window (the 12 full months before the as-of date's month).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from velo.serving.answers import ranking_window
from velo.serving.publish import open_serving
from velo.settings import Settings
from velo.warehouse.runner import DBT_PROJECT_DIR

if TYPE_CHECKING:
    import duckdb

TOLERANCE = 0.01  # a cent
ROWS_PER_BATCH = 50_000
STATUSES_SEED = DBT_PROJECT_DIR / "seeds" / "order_statuses.csv"

# The operations DB's tables and columns (AdventureWorks' own names), in this one query (plain SQL,
# SQLite and PostgreSQL); {table} placeholders become the source contract's qualified names.
SOURCE_LINES_SQL = """
with costs as (
    select
        productid,
        startdate,
        standardcost,
        lead(startdate) over (partition by productid order by startdate) as next_start,
        row_number() over (partition by productid order by startdate) as n
    from {productcosthistory}
)
select
    h.orderdate,
    h.status,
    trim(sp.countryregioncode) as country_code,
    sp.name as state_name,
    pc.name as category_name,
    d.orderqty,
    d.unitprice,
    d.unitpricediscount,
    coalesce(c.standardcost, p.standardcost) as unit_cost
from {salesorderdetail} d
join {salesorderheader} h on h.salesorderid = d.salesorderid
join {product} p on p.productid = d.productid
left join costs c
    on c.productid = d.productid
    and (
        (c.startdate <= h.orderdate and (c.next_start is null or h.orderdate < c.next_start))
        or (c.n = 1 and h.orderdate < c.startdate)
    )
left join {productsubcategory} ps on ps.productsubcategoryid = p.productsubcategoryid
left join {productcategory} pc on pc.productcategoryid = ps.productcategoryid
left join {address} a on a.addressid = h.shiptoaddressid
left join {stateprovince} sp on sp.stateprovinceid = a.stateprovinceid
where h.orderdate < :until
"""
SERVING_LINES_SQL = """
select order_date, is_revenue_status, ship_country_code, ship_state_name, category_name,
       order_quantity, revenue, profit
from marts.obt_sales_order_lines
where order_date < ?
"""


@dataclass(frozen=True)
class Difference:
    figure: str
    key: str
    source: float
    served: float

    @property
    def delta(self) -> float:
        return round(self.served - self.source, 4)


Figures = dict[tuple[str, str], float]


@cache
def revenue_statuses() -> frozenset[int]:
    with Path(STATUSES_SEED).open() as handle:
        return frozenset(
            int(row["status_code"])
            for row in csv.DictReader(handle)
            if row["is_revenue_status"] == "true"
        )


def as_day(value: date | datetime | str) -> date:
    if isinstance(value, str):
        return datetime.fromisoformat(value).date()
    return value.date() if isinstance(value, datetime) else value


def figures(
    lines: Iterable[tuple[date, str, str | None, str | None, int, float, float]],
    as_of: date,
) -> Figures:
    """(figure, key) -> value from lines (day, country, state, category, units, revenue, profit)
    of revenue orders only."""
    start, end = ranking_window(as_of)
    totals: Figures = defaultdict(float)
    for day, country, state, category, units, revenue, profit in lines:
        month = day.replace(day=1).isoformat()[:7]
        totals[("revenue per month", month)] += revenue
        totals[("profit per month", month)] += profit
        if start <= day <= end:
            if country == "US":
                totals[("revenue per US state", str(state))] += revenue
            totals[("revenue per category", str(category))] += revenue
            totals[("units per category", str(category))] += units
    return dict(totals)


def source_figures(settings: Settings, as_of: date) -> Figures:
    from velo.ingest.operations import connect_ops_db, contract_for

    until = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    engine = connect_ops_db(settings.ops_db_url)
    try:
        tables = {t.name: t.qualified_name for t in contract_for(settings, engine)}
        with engine.connect() as conn:
            sql = SOURCE_LINES_SQL.format_map(tables)
            # streamed in batches: 10 M order lines held at once would take gigabytes
            rows = conn.execution_options(yield_per=ROWS_PER_BATCH).execute(
                sa.text(sql), {"until": until}
            )
            return figures(revenue_lines(rows), as_of)
    finally:
        engine.dispose()


def revenue_lines(
    rows: Iterable[Sequence[Any]],
) -> Iterator[tuple[date, str, str | None, str | None, int, float, float]]:
    """Source lines (SOURCE_LINES_SQL's columns) of revenue orders, with their revenue and
    profit computed here."""
    revenue_codes = revenue_statuses()
    for day, status, country, state, category, qty, price, discount, cost in rows:
        if status not in revenue_codes:
            continue
        revenue = round(float(price) * qty * (1 - float(discount)), 4)
        yield as_day(day), country, state, category, qty, revenue, revenue - qty * float(cost)


def served_figures(settings: Settings, as_of: date) -> Figures:
    with open_serving(settings) as con:
        con.execute(SERVING_LINES_SQL, [as_of + timedelta(days=1)])
        return obt_sales_figures(in_batches(con), as_of)


def in_batches(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[Any, ...]]:
    """The rows of the connection's last query, fetched ROWS_PER_BATCH at a time."""
    while batch := con.fetchmany(ROWS_PER_BATCH):
        yield from batch


def obt_sales_figures(rows: Iterable[tuple], as_of: date) -> Figures:
    """The figures of marts.obt_sales_order_lines rows (SERVING_LINES_SQL's columns), from any
    warehouse."""
    return figures(
        (
            (as_day(day), country, state, category, qty, float(revenue), float(profit or 0))
            for day, is_revenue, country, state, category, qty, revenue, profit in rows
            if is_revenue
        ),
        as_of,
    )


def differences(source: Figures, served: Figures) -> list[Difference]:
    return [
        Difference(figure, key, source.get((figure, key), 0.0), served.get((figure, key), 0.0))
        for figure, key in sorted(source.keys() | served.keys())
        if abs(source.get((figure, key), 0.0) - served.get((figure, key), 0.0)) > TOLERANCE
    ]


def reconcile(settings: Settings, as_of: date | None = None) -> tuple[date, int, list[Difference]]:
    """(as-of date, figures compared, differences above a cent) between source and serving."""
    from velo.clock import now

    as_of = as_of or now(settings).date()
    source = source_figures(settings, as_of)
    served = served_figures(settings, as_of)
    return as_of, len(source.keys() | served.keys()), differences(source, served)


def print_differences(
    console: Console, as_of: date, compared: int, found: list[Difference]
) -> None:
    if not found:
        console.print(
            f"reconciled {compared} headline figures as of {as_of}: the serving DB equals the "
            "operations DB (within a cent)",
            highlight=False,
        )
        return
    table = Table(title=f"{len(found)} of {compared} figures differ as of {as_of}")
    for column in ("figure", "key", "operations DB", "serving DB", "difference"):
        table.add_column(column, justify="right" if column[0] in "osd" else "left")
    for diff in found:
        table.add_row(
            diff.figure,
            diff.key,
            f"{diff.source:,.2f}",
            f"{diff.served:,.2f}",
            f"{diff.delta:+,.2f}",
        )
    console.print(table)
