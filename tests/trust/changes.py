"""Real-world changes to the simulated company's operations DB, chosen by a seeded generator.

Each change edits the operations DB as a script or a late system would: retroactive cost and
price corrections, status changes with and without ``modified_date`` bumped, deletes of orders
and lines, a product (and an order line on it) arriving with an old ``modified_date``, a customer
moving (a new address row; the next order ships there, past orders keep theirs), a product
renamed and an address corrected in place (attributes the one-big-tables copy onto old rows), a
row dated 2099.
The operations tables' names are AdventureWorks' own (``velo.simulator.schema``), used here only.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from velo.settings import Settings
from velo.simulator import schema
from velo.simulator.bulk import open_engine
from velo.simulator.clock import read_sim_clock
from velo.simulator.company import tick

FUTURE = datetime(2099, 1, 1)
# Rows inserted here take ids far above the simulator's, which keeps its own id counters.
OWN_IDS = 1_000_000
T = schema.TABLES


def new_id(conn: sa.Connection, column: sa.Column) -> int:
    return max(conn.execute(sa.select(sa.func.max(column))).scalar_one() or 0, OWN_IDS) + 1


def pick(conn: sa.Connection, rng: random.Random, query: sa.Select) -> tuple:
    rows = conn.execute(query).all()
    return tuple(rng.choice(sorted(rows)))


def correct_history(
    conn: sa.Connection, rng: random.Random, clock: datetime, table: str, column: str, factor: float
) -> tuple[int, object]:
    """Multiply ``column`` of one random row of a product history table (bumping its
    modifieddate); returns the row's product and start date."""
    history = T[table]
    product_id, start = pick(conn, rng, sa.select(history.c.productid, history.c.startdate))
    conn.execute(
        history.update()
        .where(history.c.productid == product_id, history.c.startdate == start)
        .values({column: history.c[column] * factor, "modifieddate": clock})
    )
    return product_id, start


def cost_correction(conn: sa.Connection, rng: random.Random, clock: datetime) -> str:
    product_id, start = correct_history(conn, rng, clock, "productcosthistory", "standardcost", 1.2)
    return f"cost of product {product_id} from {start} raised 20 %"


def price_correction(conn: sa.Connection, rng: random.Random, clock: datetime) -> str:
    product_id, start = correct_history(
        conn, rng, clock, "productlistpricehistory", "listprice", 0.9
    )
    return f"list price of product {product_id} from {start} lowered 10 %"


def boundary_disappears(conn: sa.Connection, rng: random.Random, clock: datetime) -> str:
    """A cost row made equal to the one before it: the version boundary it made is gone."""
    history = T["productcosthistory"]
    rows = conn.execute(
        sa.select(history.c.productid, history.c.startdate, history.c.standardcost).order_by(
            history.c.productid, history.c.startdate
        )
    ).all()
    pairs = [(a, b) for a, b in itertools.pairwise(rows) if a[0] == b[0]]
    if not pairs:
        return cost_correction(conn, rng, clock)
    before, row = rng.choice(pairs)
    conn.execute(
        history.update()
        .where(history.c.productid == row[0], history.c.startdate == row[1])
        .values(standardcost=before[2], modifieddate=clock)
    )
    return f"cost of product {row[0]} from {row[1]} set back to the previous row's"


def status_change(bumped: bool) -> Callable[[sa.Connection, random.Random, datetime], str]:
    def change(conn: sa.Connection, rng: random.Random, clock: datetime) -> str:
        header = T["salesorderheader"]
        (order_id,) = pick(conn, rng, sa.select(header.c.salesorderid).where(header.c.status < 4))
        values = {"status": 4 if bumped else 6, **({"modifieddate": clock} if bumped else {})}
        conn.execute(header.update().where(header.c.salesorderid == order_id).values(**values))
        return f"order {order_id} {'rejected' if bumped else 'cancelled without a bump'}"

    return change


def delete_order(conn: sa.Connection, rng: random.Random, clock: datetime) -> str:
    header = T["salesorderheader"]
    (order_id,) = pick(conn, rng, sa.select(header.c.salesorderid).where(header.c.status < 4))
    for name in ("salesorderheadersalesreason", "salesorderdetail", "salesorderheader"):
        conn.execute(T[name].delete().where(T[name].c.salesorderid == order_id))
    return f"order {order_id} deleted"


def delete_line(conn: sa.Connection, rng: random.Random, clock: datetime) -> str:
    detail = T["salesorderdetail"]
    counts = (
        sa.select(detail.c.salesorderid).group_by(detail.c.salesorderid).having(sa.func.count() > 1)
    )
    (line_id,) = pick(
        conn,
        rng,
        sa.select(detail.c.salesorderdetailid).where(detail.c.salesorderid.in_(counts)),
    )
    conn.execute(detail.delete().where(detail.c.salesorderdetailid == line_id))
    return f"order line {line_id} deleted"


def late_product(conn: sa.Connection, rng: random.Random, clock: datetime) -> str:
    """A product, its cost and an order line on it, inserted with an old modified_date."""
    product, cost, detail = T["product"], T["productcosthistory"], T["salesorderdetail"]
    (template_id,) = pick(conn, rng, sa.select(detail.c.productid).distinct())
    row = dict(
        conn.execute(product.select().where(product.c.productid == template_id)).one()._mapping
    )
    product_id = new_id(conn, product.c.productid)
    old = row["sellstartdate"]
    conn.execute(
        product.insert().values(
            {
                **row,
                "productid": product_id,
                "name": f"Late {product_id}",
                "productnumber": f"LATE-{product_id}",
                "modifieddate": old,
            }
        )
    )
    conn.execute(
        cost.insert().values(
            productid=product_id,
            startdate=old,
            enddate=None,
            standardcost=row["standardcost"],
            modifieddate=old,
        )
    )
    # A line like one on the template (so ordered after the copied sell start), on the new product.
    line = dict(
        conn.execute(detail.select().where(detail.c.productid == template_id).limit(1))
        .one()
        ._mapping
    )
    line_id = new_id(conn, detail.c.salesorderdetailid)
    conn.execute(
        detail.insert().values(
            {
                **line,
                "salesorderdetailid": line_id,
                "productid": product_id,
                "modifieddate": old,
            }
        )
    )
    return f"product {product_id} and order line {line_id} arrived late (modified {old})"


def customer_moves(conn: sa.Connection, rng: random.Random, clock: datetime) -> str:
    """A customer moves: a new address row in another state, and one of their orders ships
    there (their other orders keep the address they shipped to)."""
    header, address = T["salesorderheader"], T["address"]
    order_id, address_id = pick(
        conn, rng, sa.select(header.c.salesorderid, header.c.shiptoaddressid)
    )
    old = dict(
        conn.execute(address.select().where(address.c.addressid == address_id)).one()._mapping
    )
    (state_id,) = pick(
        conn,
        rng,
        sa.select(T["stateprovince"].c.stateprovinceid).where(
            T["stateprovince"].c.stateprovinceid != old["stateprovinceid"]
        ),
    )
    address_id = new_id(conn, address.c.addressid)
    conn.execute(
        address.insert().values(
            {**old, "addressid": address_id, "stateprovinceid": state_id, "modifieddate": clock}
        )
    )
    conn.execute(
        header.update()
        .where(header.c.salesorderid == order_id)
        .values(shiptoaddressid=address_id, billtoaddressid=address_id, modifieddate=clock)
    )
    return f"order {order_id}'s customer moved to address {address_id} (state {state_id})"


def product_renamed(conn: sa.Connection, rng: random.Random, clock: datetime) -> str:
    """A product that has sold is renamed in place: its old order lines carry the new name."""
    product, line = T["product"], T["salesorderdetail"]
    (product_id,) = pick(conn, rng, sa.select(line.c.productid).distinct())
    conn.execute(
        product.update()
        .where(product.c.productid == product_id)
        .values(name=product.c.name + " Mk II", modifieddate=clock)
    )
    return f"product {product_id} renamed"


def address_corrected(conn: sa.Connection, rng: random.Random, clock: datetime) -> str:
    """An address orders shipped to is corrected in place (another state): revenue by state
    moves for those past orders."""
    header, address = T["salesorderheader"], T["address"]
    (address_id,) = pick(conn, rng, sa.select(header.c.shiptoaddressid).distinct())
    (state_id,) = pick(
        conn,
        rng,
        sa.select(T["stateprovince"].c.stateprovinceid).where(
            T["stateprovince"].c.stateprovinceid
            != sa.select(address.c.stateprovinceid)
            .where(address.c.addressid == address_id)
            .scalar_subquery()
        ),
    )
    conn.execute(
        address.update()
        .where(address.c.addressid == address_id)
        .values(stateprovinceid=state_id, modifieddate=clock)
    )
    return f"address {address_id} corrected to state {state_id}"


def future_dated(conn: sa.Connection, rng: random.Random, clock: datetime) -> str:
    header = T["salesorderheader"]
    (order_id,) = pick(conn, rng, sa.select(header.c.salesorderid).where(header.c.status < 4))
    conn.execute(
        header.update()
        .where(header.c.salesorderid == order_id)
        .values(status=4, modifieddate=FUTURE)
    )
    return f"order {order_id} rejected, modified_date typed as {FUTURE:%Y-%m-%d}"


EDITS: dict[str, Callable[[sa.Connection, random.Random, datetime], str]] = {
    "cost correction": cost_correction,
    "price correction": price_correction,
    "version boundary disappears": boundary_disappears,
    "status change, bumped": status_change(bumped=True),
    "status change, not bumped": status_change(bumped=False),
    "order deleted": delete_order,
    "order line deleted": delete_line,
    "late-arriving product": late_product,
    "customer moves": customer_moves,
    "product renamed": product_renamed,
    "address corrected": address_corrected,
    "future-dated row": future_dated,
}


def apply(settings: Settings, rng: random.Random, kinds: list[str]) -> list[str]:
    """Apply the named changes (``tick`` = one simulated day) to the operations DB."""
    done = []
    for kind in kinds:
        if kind == "tick":
            tick(settings, days=1)
            done.append("one simulated day")
            continue
        clock = read_sim_clock(settings.ops_db_url) - timedelta(minutes=1)
        engine = open_engine(settings.ops_db_url)
        try:
            with engine.begin() as conn:
                done.append(EDITS[kind](conn, rng, clock))
        finally:
            engine.dispose()
    return done
