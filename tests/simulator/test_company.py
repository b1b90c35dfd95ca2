"""The simulated operations database, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from velo.cli import app
from velo.errors import UsageError, VeloError
from velo.settings import Settings
from velo.simulator import schema
from velo.simulator.bulk import open_engine
from velo.simulator.company import company_summary, init_company, prices, tick
from velo.simulator.company.instants import SECONDS_PER_DAY

SMALL: dict[str, Any] = {"days": 60, "scale": 0.02, "seed": 7, "as_of": date(2024, 3, 31)}
FINAL_STATUSES = {4, 5, 6}
# position of each status in the lifecycle: a status never moves to a lower one
LIFECYCLE_RANK = {1: 0, 2: 1, 3: 2, 4: 3, 5: 3, 6: 3}
CENT = Decimal("0.0001")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ops(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Settings whose operations DB is SQLite (the default) or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return settings
    return settings.with_overrides(ops_db_url=request.getfixturevalue("pg_url"))


def dump(settings: Settings) -> dict[str, list[tuple]]:
    """Every row of every company table, in primary-key order."""
    engine = open_engine(settings.ops_db_url)
    try:
        with engine.connect() as conn:
            return {
                name: [
                    tuple(row)
                    for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
                ]
                for name, table in schema.TABLES.items()
                if name in schema.COMPANY_TABLES
            }
    finally:
        engine.dispose()


def query(settings: Settings, statement: str | sa.Executable) -> list[sa.Row]:
    """Rows of a query; Core statements come back typed (datetimes, decimals) on every database."""
    engine = open_engine(settings.ops_db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.text(statement) if isinstance(statement, str) else statement
            ).all()
    finally:
        engine.dispose()


def columns(settings: Settings, table: sa.Table, *names: str) -> list[sa.Row]:
    return query(settings, sa.select(*(table.c[name] for name in names)))


def clock(settings: Settings) -> datetime:
    return datetime.fromisoformat(str(company_summary(settings)["now"]))


def test_init_is_deterministic_and_depends_on_the_seed(ops: Settings) -> None:
    summary = init_company(ops, **SMALL)
    first = dump(ops)
    assert summary["now"] == "2024-03-31T23:59:59"
    assert summary["salesorderheader"] == len(first["salesorderheader"]) > 50
    assert summary["salesorderdetail"] > summary["salesorderheader"]
    init_company(ops, **SMALL)
    assert dump(ops) == first
    init_company(ops, **{**SMALL, "seed": 8})
    other = dump(ops)
    assert other["salesorderheader"] != first["salesorderheader"]
    assert [row[:3] for row in other["product"]] == [row[:3] for row in first["product"]]


def test_every_foreign_key_resolves_and_primary_keys_are_unique(ops: Settings) -> None:
    init_company(ops, **SMALL)
    tick(ops, days=3)
    checked = 0
    for table in schema.metadata.sorted_tables:
        pk = ", ".join(c.name for c in table.primary_key.columns)
        duplicates = query(ops, f"SELECT {pk} FROM {table.name} GROUP BY {pk} HAVING COUNT(*) > 1")
        assert duplicates == [], table.name
        for fk in table.foreign_keys:
            child, parent = fk.parent, fk.column
            orphans = query(
                ops,
                f"SELECT COUNT(*) FROM {table.name} c WHERE c.{child.name} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {parent.table.name} p "
                f"WHERE p.{parent.name} = c.{child.name})",
            )[0][0]
            assert orphans == 0, f"{table.name}.{child.name} -> {parent.table.name}"
            checked += 1
    assert checked == sum(len(t.foreign_keys) for t in schema.metadata.tables.values()) >= 15


def test_tick_inserts_and_updates_with_new_modified_dates(ops: Settings) -> None:
    init_company(ops, **SMALL)
    before, clock_before = dump(ops), clock(ops)
    counts = tick(ops, days=3)
    after = dump(ops)

    assert clock(ops) == clock_before + timedelta(days=3)
    assert counts["now"] == (clock_before + timedelta(days=3)).isoformat()
    for name in ("salesorderheader", "salesorderdetail", "workorder", "customer"):
        assert counts[f"{name} inserted"] > 0, name
    for name in ("salesorderheader", "workorder"):
        assert counts[f"{name} updated"] > 0, name
    changed_total = 0
    for name, rows in after.items():
        table = schema.TABLES[name]
        position = list(table.columns.keys()).index("modifieddate")
        old_max = max((row[position] for row in before[name]), default=datetime.min)
        old = set(before[name])
        changed = [row for row in rows if row not in old]
        assert all(row[position] > clock_before for row in changed), name
        assert all(row[position] > old_max for row in changed), name
        inserted = counts.get(f"{name} inserted", 0)
        # a row updated on two of the days counts twice in the counts, once in the diff
        assert inserted <= len(changed) <= inserted + counts.get(f"{name} updated", 0), name
        # rows only ever get added: an untouched row is unchanged, nothing disappears
        assert len(rows) == len(before[name]) + counts.get(f"{name} inserted", 0), name
        changed_total += len(changed)
    assert changed_total > 0


def test_order_status_lifecycle_is_valid(ops: Settings) -> None:
    init_company(ops, **SMALL)
    header = sa.select(
        *(
            schema.sales_order_header.c[n]
            for n in ("salesorderid", "status", "orderdate", "shipdate")
        )
    )
    before = {row[0]: row for row in query(ops, header)}
    now = clock(ops)
    old = [row for row in before.values() if row[2] < now - timedelta(days=14)]
    assert old and all(row[1] in FINAL_STATUSES for row in old)
    assert any(row[1] in (1, 2, 3) for row in before.values())
    tick(ops, days=4)
    after = {row[0]: row for row in query(ops, header)}
    for order_id, (_, status, ordered, shipped) in after.items():
        assert status in schema.ORDER_STATUS
        assert (status == 5) == (shipped is not None)
        assert shipped is None or shipped >= ordered
        if order_id in before:
            old_status = before[order_id][1]
            assert LIFECYCLE_RANK[status] >= LIFECYCLE_RANK[old_status]
            if old_status in FINAL_STATUSES:
                assert after[order_id] == before[order_id]
    moved = [i for i in before if after[i][1] != before[i][1]]
    assert moved


def test_tick_does_not_depend_on_how_days_are_batched(ops: Settings) -> None:
    init_company(ops, **SMALL)
    tick(ops, days=2)
    together = dump(ops)
    init_company(ops, **SMALL)
    tick(ops, days=1)
    tick(ops, days=1)
    assert dump(ops) == together


def test_order_money_adds_up(ops: Settings) -> None:
    init_company(ops, **SMALL)
    tick(ops, days=2)
    detail, header = schema.sales_order_detail, schema.sales_order_header
    lines = query(
        ops,
        sa.select(
            detail.c.salesorderid,
            detail.c.orderqty,
            detail.c.unitprice,
            detail.c.unitpricediscount,
            header.c.orderdate,
            detail.c.productid,
        ).join_from(detail, header),
    )
    prices = columns(
        ops, schema.product_list_price_history, "productid", "startdate", "enddate", "listprice"
    )
    sums: dict[int, Decimal] = {}
    discounts = set()
    for order_id, qty, unit, discount, ordered, productid in lines:
        # the line total (a computed column in AdventureWorks) to the cent, as the order sums it
        total = (Decimal(unit) * qty * (1 - Decimal(discount))).quantize(CENT, ROUND_HALF_UP)
        in_force = [
            p
            for pid, start, end, p in prices
            if pid == productid and start <= ordered and (end is None or ordered < end)
        ]
        assert in_force == [Decimal(unit)]
        sums[order_id] = sums.get(order_id, Decimal(0)) + Decimal(total)
        discounts.add(Decimal(discount))
    assert (
        {Decimal(0), Decimal("0.05")}
        <= discounts
        <= {Decimal(d) for d in ("0", "0.02", "0.05", "0.1", "0.15")}
    )
    headers = columns(ops, header, "salesorderid", "subtotal", "taxamt", "freight", "totaldue")
    assert len(headers) == len(sums)
    for order_id, subtotal, tax, freight, total in headers:
        assert Decimal(subtotal) == sums[order_id]
        assert Decimal(tax) == (Decimal(subtotal) * Decimal("0.08")).quantize(CENT, ROUND_HALF_UP)
        assert Decimal(freight) == (Decimal(subtotal) * Decimal("0.025")).quantize(
            CENT, ROUND_HALF_UP
        )
        assert Decimal(total) == Decimal(subtotal) + Decimal(tax) + Decimal(freight)


def test_price_history_is_a_valid_scd2_that_ticks_extend(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_company(settings, **{**SMALL, "days": 120})
    closed = "SELECT COUNT(*) FROM productlistpricehistory WHERE enddate IS NOT NULL"
    assert query(settings, closed)[0][0] > 5
    tick(settings, days=8)
    # a price storm: many products change twice or more within one day
    monkeypatch.setattr(prices, "PRICE_CHANGES_PER_DAY", 300.0)
    counts = tick(settings, days=2)
    assert counts["productlistpricehistory inserted"] > counts["product updated"]
    first_order = min(row[0] for row in columns(settings, schema.sales_order_header, "orderdate"))
    current = {
        pid: (price, cost)
        for pid, price, cost in columns(
            settings, schema.product, "productid", "listprice", "standardcost"
        )
    }
    for table, column in ((schema.product_list_price_history, 0), (schema.product_cost_history, 1)):
        value = ("listprice", "standardcost")[column]
        rows = sorted(
            columns(settings, table, "productid", "startdate", "enddate", "modifieddate", value)
        )
        by_product: dict[int, list] = {}
        for row in rows:
            by_product.setdefault(row[0], []).append(row)
        assert set(by_product) == set(current)
        for pid, history in by_product.items():
            assert history[0][1] <= first_order
            assert [row[2] for row in history[:-1]] == [row[1] for row in history[1:]]
            assert history[-1][2] is None
            assert history[-1][4] == current[pid][column]
            assert all(row[3] == (row[2] or row[1]) for row in history)
        assert max(row[1] for row in rows) > clock(settings) - timedelta(days=10)


def test_revenue_geography_and_mix_look_like_the_business(settings: Settings) -> None:
    init_company(settings, days=120, scale=0.1, seed=3, as_of=date(2024, 6, 30))
    by_country = dict(
        query(
            settings,
            """
        SELECT sp.countryregioncode, SUM(h.subtotal) FROM salesorderheader h
        JOIN address a ON a.addressid = h.shiptoaddressid
        JOIN stateprovince sp ON sp.stateprovinceid = a.stateprovinceid GROUP BY 1""",
        )
    )
    total = sum(by_country.values())
    assert 0.6 < by_country["US"] / total < 0.8
    assert set(by_country) == {"US", "CA", "GB", "DE", "FR", "AU"}
    top_states = [
        code
        for code, _ in query(
            settings,
            """
        SELECT sp.stateprovincecode, SUM(h.subtotal) FROM salesorderheader h
        JOIN address a ON a.addressid = h.shiptoaddressid
        JOIN stateprovince sp ON sp.stateprovinceid = a.stateprovinceid
        WHERE sp.countryregioncode = 'US' GROUP BY 1 ORDER BY 2 DESC LIMIT 5""",
        )
    ]
    assert top_states[0] == "CA" and len({"TX", "NY", "FL", "WA", "IL"} & set(top_states)) >= 2
    by_category = dict(
        query(
            settings,
            """
        SELECT c.name, SUM(d.orderqty * d.unitprice * (1 - d.unitpricediscount))
        FROM salesorderdetail d
        JOIN product p ON p.productid = d.productid
        JOIN productsubcategory s ON s.productsubcategoryid = p.productsubcategoryid
        JOIN productcategory c ON c.productcategoryid = s.productcategoryid GROUP BY 1""",
        )
    )
    assert max(by_category, key=by_category.get) == "Bikes"
    margins = dict(
        query(
            settings,
            """
        SELECT c.name, 1 - SUM(p.standardcost) / SUM(p.listprice) FROM product p
        JOIN productsubcategory s ON s.productsubcategoryid = p.productsubcategoryid
        JOIN productcategory c ON c.productcategoryid = s.productcategoryid GROUP BY 1""",
        )
    )
    assert 0.08 < margins["Bikes"] < 0.27 < 0.38 < margins["Accessories"] < 0.62
    weekdays = query(
        settings,
        "SELECT strftime('%w', orderdate) IN ('0', '6'), COUNT(*) FROM salesorderheader GROUP BY 1",
    )
    per_day = {weekend: count / (2 if weekend else 5) for weekend, count in weekdays}
    assert per_day[1] > 1.2 * per_day[0]


def test_reference_data(settings: Settings) -> None:
    init_company(settings, **SMALL)
    us = query(
        settings, "SELECT stateprovincecode FROM stateprovince WHERE countryregioncode = 'US'"
    )
    assert len(us) == 51 and all(len(code) == 2 for (code,) in us)
    assert {code for (code,) in us} >= {"CA", "TX", "WA", "NY", "FL", "IL", "DC"}
    categories = query(settings, "SELECT name FROM productcategory ORDER BY productcategoryid")
    assert [name for (name,) in categories] == ["Bikes", "Components", "Clothing", "Accessories"]
    assert 100 <= query(settings, "SELECT COUNT(*) FROM product")[0][0] <= 140
    for (number,) in query(settings, "SELECT cardnumber FROM creditcard"):
        assert number.isdigit() and 14 <= len(number) <= 16
        digits = [int(d) for d in reversed(number)]
        luhn = sum(
            d if i % 2 == 0 else (2 * d - 9 if d > 4 else 2 * d) for i, d in enumerate(digits)
        )
        assert luhn % 10 == 0


def test_missing_database_is_one_clear_error(ops: Settings) -> None:
    with pytest.raises(VeloError, match=r"no operations database at .*: run `velo sim init`"):
        company_summary(ops)
    with pytest.raises(VeloError, match="run `velo sim init`"):
        tick(ops)


def test_cli_init_summary_and_bad_scale(data_dir) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["summary"])
    assert missing.exit_code == 1 and "velo sim init" in missing.output
    result = runner.invoke(
        app, ["sim", "init", "--scale", "0.01", "--days", "30", "--as-of", "2024-01-31"]
    )
    assert result.exit_code == 0, result.output
    assert "salesorderheader" in result.output and "2024-01-31T23:59:59" in result.output
    result = runner.invoke(app, ["summary"])
    assert result.exit_code == 0 and "salesorderdetail" in result.output
    result = runner.invoke(app, ["sim", "tick", "--days", "2"])
    assert result.exit_code == 0 and "2024-02-02T23:59:59" in result.output
    bad = runner.invoke(app, ["sim", "init", "--scale", "-1"])
    assert bad.exit_code == 2
    assert (data_dir / "ops.db").exists()  # the bad call did not touch the existing company


def test_bench_reports_rows_per_second_against_a_baseline(data_dir) -> None:
    from velo.bench import run_benchmark

    result = run_benchmark("sim", scale=0.01)
    assert result["bench"] == "sim" and result["scale"] == 0.01
    assert result["figures"]["rows"] > 1_000 and result["figures"]["rows_per_s"] > 0
    assert 0 < result["baseline"]["rows"] <= result["figures"]["rows"]
    assert result["ratio"] == pytest.approx(
        result["figures"]["rows_per_s"] / result["baseline"]["rows_per_s"], rel=0.01
    )


def test_unusable_database_url_is_a_usage_error(settings: Settings) -> None:
    broken = settings.with_overrides(ops_db_url="nosuchdb://velo:s3cret@host/db")
    with pytest.raises(UsageError, match="not a usable database URL") as raised:
        init_company(broken, **SMALL)
    assert "s3cret" not in str(raised.value)
    with pytest.raises(UsageError, match="not a usable database URL"):
        company_summary(broken)


def test_price_changes_skip_products_without_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """A database the simulator did not create may lack a product's history: leave it alone."""
    monkeypatch.setattr(prices, "PRICE_CHANGES_PER_DAY", 50.0)  # every product is drawn often

    def history(values: dict[int, float]) -> prices.PriceHistory:
        return prices.PriceHistory({pid: [[0, -1, v, 0]] for pid, v in values.items()})

    list_prices = history({1: 100.0, 2: 50.0, 3: 20.0})
    costs = history({1: 60.0, 3: 12.0})  # product 2 has no cost history, the rest none at all
    first = 10 * SECONDS_PER_DAY
    changed = prices._change_prices(
        np.random.default_rng(1), list_prices, costs, first, first + 30 * SECONDS_PER_DAY
    )
    assert set(changed) == {1, 3}
    assert (set(list_prices.rows), set(costs.rows)) == ({1, 2, 3}, {1, 3})
    assert list_prices.rows[2] == [[0, -1, 50.0, 0]]
    for pid in (1, 3):
        assert len(list_prices.rows[pid]) > 2 and len(costs.rows[pid]) > 2
        assert changed[pid] == max(list_prices.last_start(pid), costs.last_start(pid))
