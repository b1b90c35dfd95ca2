"""The simulated operations database of Velo Cycles (`velo sim init`, `sim tick`, `summary`).

Everything is generated column-wise with numpy and bulk-loaded (see :mod:`velo.simulator.bulk`).

Determinism:
- ``init_company`` draws from one generator seeded by (seed, history window, scale).
- ``tick`` draws each simulated day from a generator seeded by (seed, day), so a day's rows do not
  depend on how the days were batched into ticks.
- Facts about an entity that later ticks must recompute without storing them (when an order will
  be approved/shipped, when a work order will finish, whether a customer is a store) are hashes of
  (seed, entity id): an order's status at any instant is a pure function, so ``init`` can state it
  as of the end of history and ``tick`` can replay the changes day by day.

Ids are contiguous from 1 and aligned: customer k has person k, address k and credit card k, and
store customers also store k. The simulator's bookkeeping (clock, seed, scale, history start) lives
in ``sim_state``; the next ids are the current maxima plus one.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from velo.clock import wall_now
from velo.errors import UsageError, VeloError
from velo.ingest.contract import CREATION_MARKER_KEY
from velo.settings import Settings
from velo.simulator import catalog, schema
from velo.simulator.bulk import (
    datetimes,
    insert_batch,
    load_tables,
    open_engine,
    rebuilt_database,
    shown_url,
    sqlite_path,
)
from velo.simulator.clock import SIM_CLOCK_KEY

Batch = dict[str, Any]
# sim_state key naming the real dataset a company was loaded from (absent when simulated)
SOURCE_KEY = "source"

SECONDS_PER_DAY = 86_400
EPOCH = datetime(1970, 1, 1)
NEVER = np.int64(2**62)  # the time of an event that does not happen

ORDER_ID_BASE = 43_659  # order numbers continue AdventureWorks' SO43659
ORDERS_PER_YEAR = 30_000  # at scale 1, averaged over the first year
WORK_ORDERS_PER_YEAR = 70_000
BASE_CUSTOMERS = 3_000  # customers who already exist when the history starts
NEW_CUSTOMER_SHARE = 0.5  # share of orders placed by a first-time customer
STORE_SHARE = 0.04  # share of customers that are bike shops (larger orders, volume discounts)
ANNUAL_GROWTH = 1.25
PRICE_CHANGES_PER_DAY = 0.3  # list-price changes across the whole range; the same for costs
ADDRESS_MOVES_PER_DAY = 3.0  # at scale 1, in ticks
DISCOUNTS_BP = np.array([0, 200, 500, 1000, 1500])  # unit price discounts in basis points
STORE_DISCOUNT_P = (0.35, 0.20, 0.25, 0.15, 0.05)
INDIVIDUAL_DISCOUNT_P = (0.88, 0.03, 0.05, 0.03, 0.01)
TAX_PERCENT = 8
FREIGHT_PERMILLE = 25

BLOCK_DAYS = 28  # init generates and loads history in blocks of this many days
INIT_STREAM, TICK_STREAM = 1, 2
# hash streams: independent per-entity facts
H_OUTCOME, H_DECIDE, H_BACKORDER, H_BACKORDER_AT, H_FINAL, H_STORE, H_WORK_END = range(7)

_GROWTH_MEAN = (ANNUAL_GROWTH - 1) / math.log(ANNUAL_GROWTH)  # mean growth factor in year one


# --- time helpers --------------------------------------------------------------------------------


def _seconds(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds())


def _moment(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=int(seconds))


def _day_number(day: date) -> int:
    return (day - EPOCH.date()).days


# --- deterministic per-entity randomness -------------------------------------------------------

_MASK64 = (1 << 64) - 1


def _hash_uniform(seed: int, ids: np.ndarray, stream: int) -> np.ndarray:
    """Uniform [0, 1) numbers that depend only on (seed, id, stream) (splitmix64 finaliser)."""
    salt = np.uint64((seed * 0x100000001B3 + (stream + 1) * 0xBF58476D1CE4E5B9) & _MASK64)
    with np.errstate(over="ignore"):
        x = np.asarray(ids).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + salt
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _is_store(seed: int, customer_ids: np.ndarray) -> np.ndarray:
    return _hash_uniform(seed, customer_ids, H_STORE) < STORE_SHARE


# --- static reference data -----------------------------------------------------------------------


@cache
def _products() -> catalog.Products:
    return catalog.build_products()


@dataclass(frozen=True)
class _Cities:
    name: np.ndarray
    state_province_id: np.ndarray
    country: np.ndarray
    postal_prefix: np.ndarray
    probability: np.ndarray


@cache
def _cities() -> _Cities:
    share = {code: weight for code, _, weight in catalog.COUNTRIES}
    country_weight = Counter()
    for country, _, _, weight, _ in catalog.REGIONS:
        country_weight[country] += weight
    names, regions, countries, prefixes, probabilities = [], [], [], [], []
    for region_id, (country, _, _, weight, cities) in enumerate(catalog.REGIONS, 1):
        for city, prefix in cities:
            names.append(city)
            regions.append(region_id)
            countries.append(country)
            prefixes.append(prefix)
            probabilities.append(share[country] * weight / country_weight[country] / len(cities))
    return _Cities(
        name=np.array(names),
        state_province_id=np.array(regions),
        country=np.array(countries),
        postal_prefix=np.array(prefixes),
        probability=np.array(probabilities) / sum(probabilities),
    )


def _reference_batches(modified: int) -> dict[str, Batch]:
    """The five small reference tables, all stamped with one modification time."""

    def stamped(rows: list[tuple], columns: tuple[str, ...]) -> Batch:
        batch: Batch = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
        batch["modifieddate"] = datetimes(np.full(len(rows), modified))
        return batch

    return {
        "countryregion": stamped(
            [(code, name) for code, name, _ in catalog.COUNTRIES], ("countryregioncode", "name")
        ),
        "stateprovince": stamped(
            [
                (i, code, country, name)
                for i, (country, code, name, _, _) in enumerate(catalog.REGIONS, 1)
            ],
            ("stateprovinceid", "stateprovincecode", "countryregioncode", "name"),
        ),
        "productcategory": stamped(list(catalog.CATEGORIES), ("productcategoryid", "name")),
        "productsubcategory": stamped(
            list(catalog.SUBCATEGORIES),
            ("productsubcategoryid", "productcategoryid", "name"),
        ),
        "salesreason": stamped(
            [row[:3] for row in catalog.SALES_REASONS], ("salesreasonid", "name", "reasontype")
        ),
    }


# --- text columns --------------------------------------------------------------------------------


def _text(values: np.ndarray) -> pa.Array:
    return pa.array(values).cast(pa.string())


def _join(*parts: Any) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    arrays = [p if isinstance(p, (str, pa.Array)) else pa.array(p) for p in parts]
    return pc.binary_join_element_wise(*arrays, "")


def _pattern(rng: np.random.Generator, pattern: str, n: int) -> pa.Array:
    """Random text following a pattern: 'd' a digit, 'L' an upper-case letter, else literal."""
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
    parts: list[Any] = []
    for char in pattern:
        if char == "d":
            parts.append(_text(rng.integers(0, 10, n)))
        elif char == "L":
            parts.append(pa.array(letters[rng.integers(0, len(letters), n)]))
        else:
            parts.append(char)
    return _join(*parts)


def _street_lines(rng: np.random.Generator, n: int) -> pa.Array:
    streets = np.array(catalog.STREETS)
    suffixes = np.array(catalog.STREET_SUFFIXES)
    return _join(
        _text(rng.integers(1, 10_000, n)),
        " ",
        streets[rng.integers(0, len(streets), n)],
        " ",
        suffixes[rng.integers(0, len(suffixes), n)],
    )


def _card_numbers(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Card types and numbers from real issuer ranges with a valid Luhn check digit."""
    kinds = rng.choice(len(catalog.CARD_TYPES), n, p=[t[3] for t in catalog.CARD_TYPES])
    numbers = np.empty(n, dtype=object)
    for kind, (_, prefixes, length, _) in enumerate(catalog.CARD_TYPES):
        rows = np.flatnonzero(kinds == kind)
        digits = rng.integers(0, 10, (len(rows), length - 1))
        prefix = np.array([[int(c) for c in p] for p in prefixes])[
            rng.integers(0, len(prefixes), len(rows))
        ]
        digits[:, : prefix.shape[1]] = prefix
        # Luhn: double every second digit from the right of the payload, starting with the last.
        doubled = digits[:, ::-1].copy()
        doubled[:, ::2] *= 2
        doubled[doubled > 9] -= 9
        check = (10 - doubled.sum(axis=1) % 10) % 10
        full = np.concatenate([digits, check[:, None]], axis=1).astype(np.uint8) + ord("0")
        numbers[rows] = np.ascontiguousarray(full).view(f"S{length}").ravel().astype(str)
    names = np.array([t[0] for t in catalog.CARD_TYPES])
    return names[kinds], numbers.astype(str)


# --- customers -----------------------------------------------------------------------------------


def _customers(
    rng: np.random.Generator, seed: int, ids: np.ndarray, created: np.ndarray
) -> dict[str, Batch]:
    """Person, store, customer, address and credit card rows for new customers (ids aligned)."""
    n = len(ids)
    modified = datetimes(created)
    store = _is_store(seed, ids)
    first = np.array(catalog.FIRST_NAMES)[rng.integers(0, len(catalog.FIRST_NAMES), n)]
    last = np.array(catalog.LAST_NAMES)[rng.integers(0, len(catalog.LAST_NAMES), n)]
    cities = _cities()
    city = rng.choice(len(cities.name), n, p=cities.probability)
    postal_parts = np.empty(n, dtype=object)
    for country, pattern in catalog.POSTAL_SUFFIX.items():
        rows = np.flatnonzero(cities.country[city] == country)
        suffix = _pattern(rng, pattern, len(rows))
        postal_parts[rows] = _join(pa.array(cities.postal_prefix[city[rows]]), suffix).to_numpy(
            zero_copy_only=False
        )
    postal = pa.array(postal_parts, type=pa.string())
    line2 = _join("Apt ", _text(rng.integers(1, 1000, n)))
    card_type, card_number = _card_numbers(rng, n)
    created_year = created.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    words = [np.array(w) for w in catalog.STORE_WORDS]
    store_ids = ids[store]
    store_names = _join(
        words[0][rng.integers(0, len(words[0]), len(store_ids))],
        " ",
        words[1][rng.integers(0, len(words[1]), len(store_ids))],
    )
    no_apartment = rng.random(n) >= 0.1
    return {
        "person": {
            "businessentityid": ids,
            "persontype": np.where(store, "SC", "IN"),
            "firstname": first,
            "lastname": last,
            "modifieddate": modified,
        },
        "store": {
            "businessentityid": store_ids,
            "name": store_names,
            "modifieddate": modified[store],
        },
        "customer": {
            "customerid": ids,
            "personid": ids,
            "storeid": pa.array(ids, mask=~store),
            "modifieddate": modified,
        },
        "address": {
            "addressid": ids,
            "addressline1": _street_lines(rng, n),
            "addressline2": pc.if_else(pa.array(no_apartment), pa.nulls(n, pa.string()), line2),
            "city": cities.name[city],
            "stateprovinceid": cities.state_province_id[city],
            "postalcode": postal,
            "modifieddate": modified,
        },
        "creditcard": {
            "creditcardid": ids,
            "cardtype": card_type,
            "cardnumber": card_number,
            "expmonth": rng.integers(1, 13, n),
            "expyear": created_year + rng.integers(1, 6, n),
            "modifieddate": modified,
        },
    }


# --- prices --------------------------------------------------------------------------------------


class PriceHistory:
    """One price of every product over time (list price or standard cost), as SCD2 rows.

    Rows are [start, end (-1 while current), value, modified] per product, in start order.
    """

    def __init__(self, rows: dict[int, list[list[Any]]]) -> None:
        self.rows = rows

    @classmethod
    def starting(cls, starts: np.ndarray, values: np.ndarray) -> PriceHistory:
        return cls(
            {
                pid: [[int(s), -1, float(v), int(s)]]
                for pid, (s, v) in enumerate(zip(starts, values, strict=True), 1)
            }
        )

    def current(self, product_id: int) -> float:
        return self.rows[product_id][-1][2]

    def last_start(self, product_id: int) -> int:
        return self.rows[product_id][-1][0]

    def change(self, product_id: int, at: int, value: float) -> None:
        last = self.rows[product_id][-1]
        last[1] = last[3] = at
        self.rows[product_id].append([at, -1, value, at])

    def changed_since(self, first: int) -> tuple[list[tuple[int, int, int]], list[list[Any]]]:
        """Rows closed since ``first`` that started before (pid, start, end), and rows started
        since ``first`` ([pid, start, end, value, modified])."""
        closed, started = [], []
        for pid, rows in self.rows.items():
            for start, end, value, modified in rows:
                if start >= first:
                    started.append([pid, start, end, value, modified])
                elif end >= first:
                    closed.append((pid, start, end))
        return closed, started

    def value_at(self, product_ids: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Each product's value in force at each time (vectorised lookup)."""
        pids, starts, values = [], [], []
        for pid in sorted(self.rows):
            for start, _, value, _ in self.rows[pid]:
                pids.append(pid)
                starts.append(start)
                values.append(value)
        span = np.int64(1 << 36)  # > any time in seconds we simulate
        keys = np.array(pids, dtype=np.int64) * span + np.array(starts, dtype=np.int64)
        found = np.searchsorted(keys, product_ids.astype(np.int64) * span + times, side="right") - 1
        return np.array(values)[found]

    def batch(self, value_column: str) -> Batch:
        flat = [(pid, *row) for pid in sorted(self.rows) for row in self.rows[pid]]
        pid, start, end, value, modified = (np.array(col) for col in zip(*flat, strict=True))
        return {
            "productid": pid,
            "startdate": datetimes(start),
            "enddate": datetimes(end),
            value_column: value,
            "modifieddate": datetimes(modified),
        }


def _next_list_price(old: float, factor: float) -> float:
    price = old * factor
    price = math.floor(price) + 0.99 if price >= 20 else round(price, 2)
    if abs(price - old) < 0.005:  # a change must change something
        price = old + (1.0 if old >= 20 else 0.1)
    return round(price, 2)


def _change_prices(
    rng: np.random.Generator, list_prices: PriceHistory, costs: PriceHistory, first: int, last: int
) -> dict[int, int]:
    """Random list-price and cost changes between two instants; returns product -> last change.

    A product without both a list-price and a cost history (possible in a database the simulator
    did not create) is left alone; the draws stay the same, so the other products' changes do too.
    """
    n_days = (last - first + 1) / SECONDS_PER_DAY
    n_list = rng.poisson(PRICE_CHANGES_PER_DAY * n_days)
    n = n_list + rng.poisson(PRICE_CHANGES_PER_DAY * n_days)
    times = rng.integers(first, last + 1, n)
    product_ids = rng.integers(1, len(_products()) + 1, n)
    factors = 1 + np.clip(rng.normal(0.03, 0.03, n), -0.08, 0.12)
    changed: dict[int, int] = {}
    for i in np.lexsort((product_ids, times)):
        pid, at, factor = int(product_ids[i]), int(times[i]), float(factors[i])
        if pid not in list_prices.rows or pid not in costs.rows:
            continue
        history = list_prices if i < n_list else costs
        if history.last_start(pid) >= at:  # two changes in the same second: keep the first
            continue
        if i < n_list:
            value = _next_list_price(list_prices.current(pid), factor)
        else:
            value = round(min(costs.current(pid) * factor, 0.95 * list_prices.current(pid)), 4)
        history.change(pid, at, value)
        changed[pid] = at
    return changed


def _product_batch(list_prices: PriceHistory, costs: PriceHistory, sell_start: np.ndarray) -> Batch:
    products = _products()
    ids = products.product_id
    modified = [max(list_prices.rows[pid][-1][0], costs.rows[pid][-1][0]) for pid in ids.tolist()]
    return {
        "productid": ids,
        "name": products.name,
        "productnumber": products.product_number,
        "color": products.color,
        "size": products.size,
        "productsubcategoryid": products.subcategory_id,
        "standardcost": np.array([costs.current(pid) for pid in ids.tolist()]),
        "listprice": np.array([list_prices.current(pid) for pid in ids.tolist()]),
        "sellstartdate": datetimes(sell_start),
        "sellenddate": datetimes(np.full(len(ids), -1)),
        "modifieddate": datetimes(np.array(modified)),
    }


# --- arrivals ------------------------------------------------------------------------------------


def _daily_rate(days: np.ndarray, start_day: int) -> np.ndarray:
    """Relative intake per day: growth, busier weekends, a summer peak (mean ~1 in year one)."""
    growth = ANNUAL_GROWTH ** ((days - start_day) / 365) / _GROWTH_MEAN
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    weekly = np.where(weekday >= 5, 1.35, 0.86)
    seasonal = 1 + 0.2 * np.cos(2 * np.pi * (days - 171) / 365.25)  # peak near the solstice
    return growth * weekly * seasonal


def _arrivals(
    rng: np.random.Generator, first: int, last: int, start_day: int, per_day: float
) -> np.ndarray:
    """Sorted arrival instants (unix seconds) from ``first`` to ``last`` (inclusive), mostly in
    business hours: drawn for the whole days the range touches, then cut to it."""
    days = np.arange(first // SECONDS_PER_DAY, last // SECONDS_PER_DAY + 1)
    counts = rng.poisson(per_day * _daily_rate(days, start_day))
    day = np.repeat(days, counts)
    hours = np.clip(rng.normal(14.0, 4.0, len(day)), 0.0, 23.999)
    instants = np.sort(day * SECONDS_PER_DAY + (hours * 3600).astype(np.int64))
    return instants[(instants >= first) & (instants <= last)]


# --- orders --------------------------------------------------------------------------------------


def _order_state(
    seed: int, order_ids: np.ndarray, placed: np.ndarray, at: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Status, ship time (-1 if unshipped), last change and revision of orders at instant ``at``.

    Lifecycle: in_process -> approved (or rejected, 1 %) within 1-37 h -> backordered (6 %)
    -> shipped, or cancelled (1.5 %), within 2 weeks of the order.
    """
    outcome = _hash_uniform(seed, order_ids, H_OUTCOME)
    rejected = outcome < 0.01
    cancelled = (outcome >= 0.01) & (outcome < 0.025)
    hour = 3600
    decided = (
        placed + hour + (_hash_uniform(seed, order_ids, H_DECIDE) * 36 * hour).astype(np.int64)
    )
    backordered = ~rejected & (_hash_uniform(seed, order_ids, H_BACKORDER) < 0.06)
    delay = (_hash_uniform(seed, order_ids, H_BACKORDER_AT) * 12 * hour).astype(np.int64)
    backorder_at = np.where(backordered, decided + delay, NEVER)
    ready = np.where(backordered, backorder_at + 3 * SECONDS_PER_DAY, decided + SECONDS_PER_DAY)
    span = np.where(backordered, 7, 5) * SECONDS_PER_DAY
    final_at = ready + (_hash_uniform(seed, order_ids, H_FINAL) * span).astype(np.int64)
    final_at = np.where(rejected, NEVER, final_at)

    status = np.ones(len(order_ids), dtype=np.int64)
    changed = placed.copy()
    revision = np.ones(len(order_ids), dtype=np.int64)
    steps = (
        (decided, np.where(rejected, 4, 2)),
        (backorder_at, 3),
        (final_at, np.where(cancelled, 6, 5)),
    )
    for when, new_status in steps:
        hit = when <= at
        status = np.where(hit, new_status, status)
        changed = np.where(hit, when, changed)
        revision += hit
    ship = np.where(status == 5, final_at, -1)
    return status, ship, changed, revision


@dataclass(frozen=True)
class _NextIds:
    customer: int
    order: int
    line: int
    work_order: int


def _orders(
    rng: np.random.Generator,
    seed: int,
    placed: np.ndarray,
    next_ids: _NextIds,
    list_prices: PriceHistory,
    at: int,
) -> tuple[list[tuple[str, Batch]], _NextIds]:
    """Orders placed at the given instants (with their new customers), as of instant ``at``.

    Returns (table, batch) pairs in load order and the ids that follow the batch's.
    """
    n = len(placed)
    products = _products()
    order_id = next_ids.order + np.arange(n)
    existing = next_ids.customer - 1
    is_new = rng.random(n) < NEW_CUSTOMER_SHARE
    is_new |= existing + np.cumsum(is_new) - is_new == 0  # the very first order needs a customer
    new_before = np.cumsum(is_new) - is_new
    returning = 1 + (rng.random(n) * (existing + new_before)).astype(np.int64)
    customer_id = np.where(is_new, next_ids.customer + new_before, returning)
    store = _is_store(seed, customer_id)

    n_lines = np.where(store, 1 + rng.poisson(10.0, n), 1 + rng.poisson(2.5, n)).clip(max=60)
    line_order = np.repeat(np.arange(n), n_lines)
    m = len(line_order)
    line_store = store[line_order]
    product_id = products.product_id[rng.choice(len(products), m, p=products.line_weight)]
    qty = np.where(line_store, 1 + rng.poisson(3.0, m), 1 + rng.poisson(0.2, m))
    discount_bp = np.where(
        line_store,
        rng.choice(DISCOUNTS_BP, m, p=STORE_DISCOUNT_P),
        rng.choice(DISCOUNTS_BP, m, p=INDIVIDUAL_DISCOUNT_P),
    )
    # money in exact integer units of 1/10 000 (the columns' 4 decimals)
    unit = np.round(list_prices.value_at(product_id, placed[line_order]) * 10_000).astype(np.int64)
    line_total = (unit * qty * (10_000 - discount_bp) + 5_000) // 10_000
    first_line = np.cumsum(n_lines) - n_lines
    sub_total = np.add.reduceat(line_total, first_line) if n else np.zeros(0, dtype=np.int64)
    tax = (sub_total * TAX_PERCENT + 50) // 100
    freight = (sub_total * FREIGHT_PERMILLE + 500) // 1000

    reasons = len(catalog.SALES_REASONS)
    n_reasons = np.where(store, 0, rng.choice(3, n, p=(0.25, 0.55, 0.20)))
    reason1 = rng.choice(reasons, n, p=[r[3] for r in catalog.SALES_REASONS])
    reason2 = (reason1 + 1 + rng.integers(0, reasons - 1, n)) % reasons
    with_reason = np.concatenate([np.flatnonzero(n_reasons >= 1), np.flatnonzero(n_reasons == 2)])
    reason_id = np.concatenate([reason1[n_reasons >= 1], reason2[n_reasons == 2]]) + 1

    status, ship, changed, revision = _order_state(seed, order_id, placed, at)
    order_day = placed // SECONDS_PER_DAY * SECONDS_PER_DAY
    batches = list(_customers(rng, seed, customer_id[is_new], placed[is_new]).items())
    header = {
        "salesorderid": order_id,
        "revisionnumber": revision,
        "orderdate": datetimes(placed),
        "duedate": datetimes(order_day + 12 * SECONDS_PER_DAY),
        "shipdate": datetimes(ship),
        "status": status,
        "onlineorderflag": ~store,
        "customerid": customer_id,
        "billtoaddressid": customer_id,
        "shiptoaddressid": customer_id,
        "creditcardid": pa.array(customer_id, mask=store),  # shops pay on invoice
        "subtotal": sub_total / 10_000,
        "taxamt": tax / 10_000,
        "freight": freight / 10_000,
        "totaldue": (sub_total + tax + freight) / 10_000,
        "modifieddate": datetimes(changed),
    }
    detail = {
        "salesorderdetailid": next_ids.line + np.arange(m),
        "salesorderid": order_id[line_order],
        "orderqty": qty,
        "productid": product_id,
        "unitprice": unit / 10_000,
        "unitpricediscount": discount_bp / 10_000,
        "modifieddate": datetimes(placed[line_order]),
    }
    reason = {
        "salesorderid": order_id[with_reason],
        "salesreasonid": reason_id,
        "modifieddate": datetimes(placed[with_reason]),
    }
    batches += [
        ("salesorderheader", header),
        ("salesorderdetail", detail),
        ("salesorderheadersalesreason", reason),
    ]
    following = replace(
        next_ids,
        customer=next_ids.customer + int(is_new.sum()),
        order=next_ids.order + n,
        line=next_ids.line + m,
    )
    return batches, following


# --- work orders ---------------------------------------------------------------------------------


def _work_order_end(seed: int, ids: np.ndarray, started: np.ndarray) -> np.ndarray:
    duration = (1 + _hash_uniform(seed, ids, H_WORK_END) * 9) * SECONDS_PER_DAY
    return started + duration.astype(np.int64)


def _work_orders(
    rng: np.random.Generator, seed: int, started: np.ndarray, first_id: int, at: int
) -> Batch:
    """Manufacturing orders for bikes and components started at the given instants."""
    n = len(started)
    products = _products()
    ids = first_id + np.arange(n)
    index = rng.choice(len(products), n, p=products.work_weight)
    bike = products.category_id[index] == 1
    qty = np.where(bike, 1 + rng.poisson(6.0, n), 10 + rng.poisson(40.0, n))
    scrapped = np.where(rng.random(n) < 0.03, rng.integers(1, 4, n), 0).clip(max=qty)
    end = _work_order_end(seed, ids, started)
    ended = end <= at
    return {
        "workorderid": ids,
        "productid": products.product_id[index],
        "orderqty": qty,
        "scrappedqty": scrapped,
        "startdate": datetimes(started),
        "enddate": datetimes(np.where(ended, end, -1)),
        "duedate": datetimes(started // SECONDS_PER_DAY * SECONDS_PER_DAY + 14 * SECONDS_PER_DAY),
        "modifieddate": datetimes(np.where(ended, end, started)),
    }


# --- database access -----------------------------------------------------------------------------


def _missing(settings: Settings) -> VeloError:
    return VeloError(
        f"no operations database at {shown_url(settings.ops_db_url)}: run `velo sim init`"
    )


@dataclass(frozen=True)
class _SimState:
    seed: int
    scale: float
    start_day: int
    now: datetime
    source: str | None = None  # the dataset a real company's data was loaded from


def _open_company(settings: Settings) -> tuple[sa.Engine, _SimState]:
    """An engine on an initialised operations DB and the simulator's state, or a clear error."""
    path = sqlite_path(settings.ops_db_url)
    if path is not None and not path.exists():
        raise _missing(settings)
    engine = open_engine(settings.ops_db_url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("sim_state"):
                raise _missing(settings)
            values = dict(
                conn.execute(sa.select(schema.sim_state.c.key, schema.sim_state.c.value)).all()
            )
    except sa.exc.OperationalError:
        engine.dispose()
        raise _missing(settings) from None
    except VeloError:
        engine.dispose()
        raise
    try:
        state = _SimState(
            seed=int(values["seed"]),
            scale=float(values["scale"]),
            start_day=_day_number(date.fromisoformat(values["history_start"])),
            now=datetime.fromisoformat(values[SIM_CLOCK_KEY]),
            source=values.get(SOURCE_KEY),
        )
    except (KeyError, ValueError):
        engine.dispose()
        raise VeloError(
            f"operations database at {shown_url(settings.ops_db_url)} has no valid simulator "
            "state: run `velo sim init`"
        ) from None
    return engine, state


def write_state(conn: sa.Connection, values: dict[str, str]) -> None:
    """Set these simulator bookkeeping values (``sim_state``), keeping the others."""
    table = schema.sim_state
    conn.execute(table.delete().where(table.c.key.in_(list(values))))
    conn.execute(table.insert(), [{"key": k, "value": v} for k, v in values.items()])


def creation_marker() -> dict[str, str]:
    """A new value for the creation marker: ingestion tells a re-created company from the old."""
    return {CREATION_MARKER_KEY: uuid.uuid4().hex}


def row_counts(conn: sa.Connection) -> dict[str, int]:
    """Rows per company table."""
    return {
        name: conn.execute(sa.select(sa.func.count()).select_from(schema.TABLES[name])).scalar_one()
        for name in schema.COMPANY_TABLES
    }


# --- public API ----------------------------------------------------------------------------------


def init_company(
    settings: Settings,
    *,
    days: int = 365,
    scale: float = 1.0,
    seed: int | None = None,
    as_of: date | None = None,
) -> dict[str, int | str]:
    """(Re)create the operations DB with ``days`` of history ending at ``as_of``: that instant
    (a datetime), the end of that day (a date), or by default the current instant (wall clock),
    so a new company holds no order, price change or work order from the future."""
    if days < 1:
        raise UsageError(f"--days must be at least 1 (got {days})")
    if not scale > 0:
        raise UsageError(f"--scale must be positive (got {scale})")
    seed = settings.seed if seed is None else seed
    if seed < 0:
        raise UsageError(f"--seed must not be negative (got {seed})")
    state, batches = _history(seed, days, scale, _history_end(as_of))

    with rebuilt_database(settings.ops_db_url, schema.metadata) as conn:
        load_tables(conn, schema.metadata, batches)
        write_state(conn, {**state, **creation_marker()})
        counts = row_counts(conn)
    return {**counts, "now": state["now"], "seed": seed, "history_start": state["history_start"]}


def _history_end(as_of: date | None) -> datetime:
    if isinstance(as_of, datetime):
        return as_of.replace(microsecond=0)
    if as_of is not None:
        return datetime.combine(as_of, datetime.max.time()).replace(microsecond=0)
    return wall_now()


def _history(
    seed: int, days: int, scale: float, end: datetime
) -> tuple[dict[str, str], Iterator[tuple[str, Batch]]]:
    """The simulator state and every row of a company with ``days`` of history up to ``end``
    (the last of those days ends at ``end``).

    Rows come as (table, batch) pairs generated block by block of days, so memory stays bounded
    at any scale.
    """
    end_day = _day_number(end.date())
    rng = np.random.default_rng([seed, INIT_STREAM, end_day, days, round(scale * 1e6)])
    start_day = end_day - days + 1
    start = start_day * SECONDS_PER_DAY
    at = _seconds(end)
    products = _products()

    # Products were launched one to two years before the history starts.
    sell_start = (start_day - 730 + (products.product_id * 37) % 365) * SECONDS_PER_DAY
    list_prices = PriceHistory.starting(sell_start, products.list_price)
    costs = PriceHistory.starting(sell_start, products.standard_cost)
    _change_prices(rng, list_prices, costs, start, at)

    def rows() -> Iterator[tuple[str, Batch]]:
        yield from _reference_batches(start - 730 * SECONDS_PER_DAY).items()
        yield "product", _product_batch(list_prices, costs, sell_start)
        yield "productlistpricehistory", list_prices.batch("listprice")
        yield "productcosthistory", costs.batch("standardcost")
        n_base = max(1, round(BASE_CUSTOMERS * scale))
        base_created = np.sort(rng.integers(start - 365 * SECONDS_PER_DAY, start, n_base))
        yield from _customers(rng, seed, np.arange(1, n_base + 1), base_created).items()
        next_ids = _NextIds(customer=n_base + 1, order=ORDER_ID_BASE, line=1, work_order=1)
        for block_start in range(start, at + 1, BLOCK_DAYS * SECONDS_PER_DAY):
            block_end = min(block_start + BLOCK_DAYS * SECONDS_PER_DAY - 1, at)
            placed = _arrivals(
                rng, block_start, block_end, start_day, ORDERS_PER_YEAR / 365 * scale
            )
            batches, next_ids = _orders(rng, seed, placed, next_ids, list_prices, at)
            yield from batches
            started = _arrivals(
                rng, block_start, block_end, start_day, WORK_ORDERS_PER_YEAR / 365 * scale
            )
            yield "workorder", _work_orders(rng, seed, started, next_ids.work_order, at)
            next_ids = replace(next_ids, work_order=next_ids.work_order + len(started))

    state = {
        SIM_CLOCK_KEY: _moment(at).isoformat(),
        "seed": str(seed),
        "scale": repr(float(scale)),
        "history_start": _moment(start).date().isoformat(),
    }
    return state, rows()


def tick(settings: Settings, *, days: int = 1) -> dict[str, int | str]:
    """Advance the business ``days`` days; returns the rows inserted and updated per table."""
    if days < 1:
        raise UsageError(f"--days must be at least 1 (got {days})")
    engine, state = _open_company(settings)
    counts: Counter[str] = Counter()
    try:
        if state.source is not None:  # ticking would invent rows in a real company's data
            raise UsageError(
                f"the operations DB at {shown_url(settings.ops_db_url)} holds real data loaded "
                f"from {state.source}; `velo sim tick` only advances the simulated company"
            )
        for _ in range(days):
            now = state.now + timedelta(days=1)
            with engine.begin() as conn:
                _simulate_day(conn, state, _seconds(state.now) + 1, _seconds(now), counts)
                write_state(conn, {SIM_CLOCK_KEY: now.isoformat()})
            state = replace(state, now=now)
    finally:
        engine.dispose()
    return {"days": days, "now": state.now.isoformat(), **dict(sorted(counts.items()))}


def _max_id(conn: sa.Connection, column: sa.Column) -> int:
    return conn.execute(sa.select(sa.func.max(column))).scalar_one() or 0


def _load_history(conn: sa.Connection, table: sa.Table, value_column: str) -> PriceHistory:
    rows: dict[int, list[list[Any]]] = {}
    query = sa.select(
        table.c.productid,
        table.c.startdate,
        table.c.enddate,
        table.c[value_column],
        table.c.modifieddate,
    ).order_by(table.c.productid, table.c.startdate)
    for pid, start, end, value, modified in conn.execute(query):
        rows.setdefault(pid, []).append(
            [
                _seconds(start),
                -1 if end is None else _seconds(end),
                float(value),
                _seconds(modified),
            ]
        )
    return PriceHistory(rows)


def _simulate_day(
    conn: sa.Connection, state: _SimState, first: int, at: int, counts: Counter[str]
) -> None:
    """One business day, from instant ``first`` to ``at``: price changes, new customers and
    orders, order progress, work orders."""
    # keyed by the day the window starts: a company's tick windows are 24 h apart, so one each
    rng = np.random.default_rng([state.seed, TICK_STREAM, first // SECONDS_PER_DAY])

    list_prices = _load_history(conn, schema.product_list_price_history, "listprice")
    costs = _load_history(conn, schema.product_cost_history, "standardcost")
    changed = _change_prices(rng, list_prices, costs, first, at)
    for history, table, column in (
        (list_prices, schema.product_list_price_history, "listprice"),
        (costs, schema.product_cost_history, "standardcost"),
    ):
        closed, started = history.changed_since(first)
        _update(
            conn,
            table,
            counts,
            [
                {
                    "b_productid": pid,
                    "b_startdate": _moment(start),
                    "enddate": _moment(end),
                    "modifieddate": _moment(end),
                }
                for pid, start, end in closed
            ],
            keys=("productid", "startdate"),
        )
        if started:
            pid, start, end, value, modified = (np.array(c) for c in zip(*started, strict=True))
            counts[f"{table.name} inserted"] += insert_batch(
                conn,
                table,
                {
                    "productid": pid,
                    "startdate": datetimes(start),
                    "enddate": datetimes(end),
                    column: value,
                    "modifieddate": datetimes(modified),
                },
            )
    _update(
        conn,
        schema.product,
        counts,
        [
            {
                "b_productid": pid,
                "listprice": Decimal(f"{list_prices.current(pid):.4f}"),
                "standardcost": Decimal(f"{costs.current(pid):.4f}"),
                "modifieddate": _moment(when),
            }
            for pid, when in sorted(changed.items())
        ],
        keys=("productid",),
    )

    next_ids = _NextIds(
        customer=_max_id(conn, schema.customer.c.customerid) + 1,
        order=max(_max_id(conn, schema.sales_order_header.c.salesorderid) + 1, ORDER_ID_BASE),
        line=_max_id(conn, schema.sales_order_detail.c.salesorderdetailid) + 1,
        work_order=_max_id(conn, schema.work_order.c.workorderid) + 1,
    )
    _progress_orders(conn, state.seed, first, at, counts)
    _finish_work_orders(conn, state.seed, at, counts)
    _move_customers(rng, conn, next_ids.customer - 1, state.scale, first, counts)

    placed = _arrivals(rng, first, at, state.start_day, ORDERS_PER_YEAR / 365 * state.scale)
    batches, _ = _orders(rng, state.seed, placed, next_ids, list_prices, at)
    for name, batch in batches:
        counts[f"{name} inserted"] += insert_batch(conn, schema.TABLES[name], batch)
    started = _arrivals(rng, first, at, state.start_day, WORK_ORDERS_PER_YEAR / 365 * state.scale)
    work = _work_orders(rng, state.seed, started, next_ids.work_order, at)
    counts["workorder inserted"] += insert_batch(conn, schema.work_order, work)


def _update(
    conn: sa.Connection,
    table: sa.Table,
    counts: Counter[str],
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
) -> None:
    """Update rows by primary key; each row dict holds b_<key> values and the new column values."""
    if not rows:
        return
    values = {name: sa.bindparam(name) for name in rows[0] if not name.startswith("b_")}
    where = [table.c[key] == sa.bindparam(f"b_{key}") for key in keys]
    conn.execute(table.update().where(*where).values(values), rows)
    counts[f"{table.name} updated"] += len(rows)


def _progress_orders(
    conn: sa.Connection, seed: int, first: int, at: int, counts: Counter[str]
) -> None:
    """Move open orders along their lifecycle to where they stand at the end of the day."""
    header = schema.sales_order_header
    open_orders = conn.execute(
        sa.select(header.c.salesorderid, header.c.orderdate, header.c.status)
        .where(header.c.status.in_((1, 2, 3)), header.c.orderdate < _moment(first))
        .order_by(header.c.salesorderid)
    ).all()
    if not open_orders:
        return
    ids = np.array([row[0] for row in open_orders], dtype=np.int64)
    placed = np.array([_seconds(row[1]) for row in open_orders], dtype=np.int64)
    before = np.array([row[2] for row in open_orders])
    status, ship, changed, revision = _order_state(seed, ids, placed, at)
    moved = np.flatnonzero(status != before)
    _update(
        conn,
        header,
        counts,
        [
            {
                "b_salesorderid": int(ids[i]),
                "status": int(status[i]),
                "revisionnumber": int(revision[i]),
                "shipdate": _moment(ship[i]) if ship[i] >= 0 else None,
                "modifieddate": _moment(changed[i]),
            }
            for i in moved
        ],
        keys=("salesorderid",),
    )


def _finish_work_orders(conn: sa.Connection, seed: int, at: int, counts: Counter[str]) -> None:
    work = schema.work_order
    running = conn.execute(
        sa.select(work.c.workorderid, work.c.startdate)
        .where(work.c.enddate.is_(None))
        .order_by(work.c.workorderid)
    ).all()
    if not running:
        return
    ids = np.array([row[0] for row in running], dtype=np.int64)
    end = _work_order_end(
        seed, ids, np.array([_seconds(row[1]) for row in running], dtype=np.int64)
    )
    _update(
        conn,
        work,
        counts,
        [
            {
                "b_workorderid": int(ids[i]),
                "enddate": _moment(end[i]),
                "modifieddate": _moment(end[i]),
            }
            for i in np.flatnonzero(end <= at)
        ],
        keys=("workorderid",),
    )


def _move_customers(
    rng: np.random.Generator,
    conn: sa.Connection,
    n_customers: int,
    scale: float,
    first: int,
    counts: Counter[str],
) -> None:
    """A few customers move house within their city: their address row changes."""
    n = min(rng.poisson(ADDRESS_MOVES_PER_DAY * scale), n_customers)
    ids = (
        np.sort(rng.choice(n_customers, n, replace=False) + 1) if n else np.zeros(0, dtype=np.int64)
    )
    lines = _street_lines(rng, n).to_pylist()
    when = np.sort(first + rng.integers(0, SECONDS_PER_DAY, n))
    _update(
        conn,
        schema.address,
        counts,
        [
            {
                "b_addressid": int(ids[i]),
                "addressline1": lines[i],
                "modifieddate": _moment(when[i]),
            }
            for i in range(n)
        ],
        keys=("addressid",),
    )


def company_summary(settings: Settings) -> dict[str, int | str]:
    """Row counts per table and the simulated clock, or a clear error when there is no company."""
    engine, state = _open_company(settings)
    try:
        with engine.connect() as conn:
            counts = row_counts(conn)
    finally:
        engine.dispose()
    return {
        "ops_db": shown_url(settings.ops_db_url),
        **counts,
        "now": state.now.isoformat(),
        "seed": state.seed,
    }
