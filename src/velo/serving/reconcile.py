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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from velo.serving.answers import ranking_window
from velo.serving.publish import open_serving
from velo.settings import Settings
from velo.warehouse.runner import DBT_PROJECT_DIR

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
# Both sides become the same lines — (day, is_revenue, country, state, category, units, revenue,
# profit) — and the same DuckDB query sums them into the figures. A batch of source rows
# (SOURCE_LINES_SQL's columns): revenue and profit computed per line as the fact defines them.
SOURCE_LINES = """
select
    cast(cast(orderdate as timestamp) as date) as day,
    status in ({revenue_codes}) as is_revenue,
    country_code as country,
    state_name as state,
    category_name as category,
    orderqty as units,
    round(cast(unitprice as double) * orderqty * (1 - cast(unitpricediscount as double)), 4)
        as revenue,
    revenue - orderqty * cast(unit_cost as double) as profit
from batch
"""
# A batch of served rows (SERVING_LINES_SQL's columns, from any warehouse).
SERVED_LINES = """
select
    cast(order_date as date) as day,
    coalesce(is_revenue_status, false) as is_revenue,
    ship_country_code as country,
    ship_state_name as state,
    category_name as category,
    order_quantity as units,
    cast(revenue as double) as revenue,
    coalesce(cast(profit as double), 0) as profit
from batch
"""
# (figure, key, value) of revenue lines: every month, and the ranking window's state and
# category figures; a missing state or category is the key 'None'. Amounts are summed with
# compensation (fsum): millions of lines summed plainly in parallel drift by a few 0.001.
FIGURES_SQL = """
with lines as ({lines}), revenue_lines as (select * from lines where is_revenue),
ranked as (select * from revenue_lines where day between $start and $end)
select 'revenue per month', strftime(day, '%Y-%m'), fsum(revenue) from revenue_lines group by 2
union all
select 'profit per month', strftime(day, '%Y-%m'), fsum(profit) from revenue_lines group by 2
union all
select 'revenue per US state', coalesce(state, 'None'), fsum(revenue) from ranked
where country = 'US' group by 2
union all
select 'revenue per category', coalesce(category, 'None'), fsum(revenue) from ranked group by 2
union all
select 'units per category', coalesce(category, 'None'), sum(units) from ranked group by 2
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


def figures(batches: Iterable[pa.Table], lines: str, as_of: date) -> Figures:
    """(figure, key) -> value: each batch's lines (``lines``, a query over ``batch``) summed in
    DuckDB, batch by batch, so memory holds one batch."""
    import duckdb

    start, end = ranking_window(as_of)
    totals: Figures = defaultdict(float)
    query = FIGURES_SQL.format(lines=lines)
    with duckdb.connect() as con:
        for batch in batches:
            con.register("batch", batch)
            for figure, key, value in con.execute(query, {"start": start, "end": end}).fetchall():
                totals[(figure, key)] += float(value)
            con.unregister("batch")
    return dict(totals)


def as_arrow(rows: Sequence[Sequence[Any]], names: Sequence[str]) -> pa.Table:
    """Rows (tuples from a database cursor) as an Arrow table: one column at a time."""
    columns = list(zip(*rows, strict=True)) or [()] * len(names)
    return pa.table(
        {name: pa.array(list(column)) for name, column in zip(names, columns, strict=True)}
    )


def source_figures(settings: Settings, as_of: date) -> Figures:
    from velo.ingest.operations import connect_ops_db, contract_for

    until = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    engine = connect_ops_db(settings.ops_db_url)
    try:
        tables = {t.name: t.qualified_name for t in contract_for(settings, engine)}
        with engine.connect() as conn:
            sql = SOURCE_LINES_SQL.format_map(tables)
            # streamed in batches: 10 M order lines held at once would take gigabytes
            result = conn.execution_options(yield_per=ROWS_PER_BATCH).execute(
                sa.text(sql), {"until": until}
            )
            names = list(result.keys())
            batches = (as_arrow(rows, names) for rows in result.partitions(ROWS_PER_BATCH))
            codes = ", ".join(str(code) for code in sorted(revenue_statuses()))
            return figures(batches, SOURCE_LINES.format(revenue_codes=codes), as_of)
    finally:
        engine.dispose()


def served_figures(settings: Settings, as_of: date) -> Figures:
    with open_serving(settings) as con:
        served = con.sql(SERVING_LINES_SQL, params=[as_of + timedelta(days=1)])
        reader = served.to_arrow_reader(ROWS_PER_BATCH)
        batches = (pa.Table.from_batches([batch]) for batch in reader)
        return figures(batches, SERVED_LINES, as_of)


def obt_sales_figures(rows: Sequence[Sequence[Any]], as_of: date) -> Figures:
    """The figures of marts.obt_sales_order_lines rows (SERVING_LINES_SQL's columns), from any
    warehouse."""
    names = ["order_date", "is_revenue_status", "ship_country_code", "ship_state_name",
             "category_name", "order_quantity", "revenue", "profit"]  # fmt: skip
    return figures([as_arrow(rows, names)], SERVED_LINES, as_of)


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
