"""`velo reconcile`'s joins and arithmetic on hand-made rows: each side's figures, worked out by
hand."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pyarrow as pa
import pytest

from velo.serving.reconcile import (
    SOURCE_LINES_SQL,
    Difference,
    as_arrow,
    differences,
    figures,
    obt_sales_figures,
    registered,
    revenue_statuses,
    source_figures_of,
    source_lines_of,
)

AS_OF = date(2024, 6, 15)  # ranking window: 2023-06-01 .. 2024-05-31

# SERVING_LINES_SQL's columns: day, is revenue, country, state, category, units, revenue, profit
SERVED_ROWS = [
    (date(2024, 5, 3), True, "US", "Texas", "Bikes", 2, 1000.0, 300.0),
    (date(2024, 5, 20), True, "US", "Texas", "Bikes", 1, 500.0, 100.0),
    (date(2024, 5, 21), True, "US", None, "Clothing", 4, 40.0, 10.0),
    (date(2024, 5, 22), True, "GB", "England", "Bikes", 1, 700.0, 200.0),
    (date(2024, 5, 23), False, "US", "Texas", "Bikes", 9, 9000.0, 900.0),  # rejected
    (date(2023, 5, 31), True, "US", "Ohio", "Bikes", 1, 80.0, None),  # before the window
    (date(2024, 6, 2), True, "US", "Ohio", "Bikes", 1, 60.0, 6.0),  # after the window
]


def test_served_lines_sum_to_the_figures() -> None:
    assert obt_sales_figures(SERVED_ROWS, AS_OF) == pytest.approx(
        {
            ("revenue per month", "2023-05"): 80.0,
            ("revenue per month", "2024-05"): 2240.0,
            ("revenue per month", "2024-06"): 60.0,
            ("profit per month", "2023-05"): 0.0,  # a line without profit counts 0
            ("profit per month", "2024-05"): 610.0,
            ("profit per month", "2024-06"): 6.0,
            ("revenue per US state", "Texas"): 1500.0,
            ("revenue per US state", "None"): 40.0,
            ("revenue per category", "Bikes"): 2200.0,
            ("revenue per category", "Clothing"): 40.0,
            ("units per category", "Bikes"): 4.0,
            ("units per category", "Clothing"): 4.0,
        }
    )


def test_source_lines_price_each_line_as_the_fact_does() -> None:
    """Revenue = unit price x quantity x (1 - discount), rounded to 4 decimals per line; profit
    = revenue - quantity x cost; only revenue statuses count; batches add up."""
    assert 5 in revenue_statuses() and 4 not in revenue_statuses()
    names = ["orderdate", "status", "country_code", "state_name", "category_name", "orderqty",
             "unitprice", "unitpricediscount", "unit_cost"]  # fmt: skip
    first = as_arrow(
        [
            ("2024-05-03 10:00:00.000000", 5, "US", "Texas", "Bikes", 3, 33.33333, 0.1, 20.0),
            ("2024-05-04 00:00:00.000000", 4, "US", "Texas", "Bikes", 1, 999.0, 0.0, 1.0),
        ],
        names,
    )
    second = as_arrow(
        [(datetime(2024, 5, 31, 23, 59), 5, "US", "Texas", "Bikes", 1, 10.0, 0.0, 4.0)], names
    )

    found = figures([first, second], source_lines_of("batch"), AS_OF)

    revenue = round(33.33333 * 3 * (1 - 0.1), 4) + 10.0  # 89.9999910 -> 90.0 per line, + 10
    assert found[("revenue per month", "2024-05")] == pytest.approx(revenue)
    assert found[("profit per month", "2024-05")] == pytest.approx(revenue - 3 * 20.0 - 4.0)
    assert found[("revenue per US state", "Texas")] == pytest.approx(revenue)
    assert found[("units per category", "Bikes")] == 4


def test_differences_above_a_cent_are_reported() -> None:
    source = {("revenue per month", "2024-05"): 100.0, ("revenue per month", "2024-04"): 5.0}
    served = {("revenue per month", "2024-05"): 100.009, ("revenue per US state", "Ohio"): 1.0}

    assert differences(source, served) == [
        Difference("revenue per US state", "Ohio", 0.0, 1.0),
        Difference("revenue per month", "2024-04", 5.0, 0.0),
    ]


def test_no_lines_no_figures() -> None:
    assert obt_sales_figures([], AS_OF) == {}


def source_tables(costs: list[tuple]) -> dict[str, pa.Table]:
    """Two products (1 with ``costs`` as its cost history, 2 with none), three orders of one
    line each: before, between and after the history's rows."""
    return {
        "salesorderheader": pa.table(
            {
                "salesorderid": [10, 11, 12, 13],
                "orderdate": [datetime(2024, 1, 5), datetime(2024, 3, 1),
                              datetime(2024, 6, 30, 23), datetime(2024, 7, 1)],
                "status": [5, 5, 4, 5],
                "shiptoaddressid": [100, 101, None, 100],
            }
        ),
        "salesorderdetail": pa.table(
            {
                "salesorderid": [10, 11, 12, 12, 13],
                "productid": [1, 1, 1, 2, 1],
                "orderqty": [1, 2, 3, 4, 5],
                "unitprice": [10.0, 10.0, 10.0, 7.0, 10.0],
                "unitpricediscount": [0.0, 0.0, 0.5, 0.0, 0.0],
            }
        ),
        "product": pa.table(
            {"productid": [1, 2], "productsubcategoryid": [7, None], "standardcost": [9.0, 6.0]}
        ),
        "productcosthistory": pa.table(
            {
                "productid": [row[0] for row in costs],
                "startdate": [row[1] for row in costs],
                "standardcost": [row[2] for row in costs],
            }
        ),
        "productsubcategory": pa.table({"productsubcategoryid": [7], "productcategoryid": [70]}),
        "productcategory": pa.table({"productcategoryid": [70], "name": ["Bikes"]}),
        "address": pa.table({"addressid": [100, 101], "stateprovinceid": [1, 2]}),
        "stateprovince": pa.table(
            {"stateprovinceid": [1, 2], "countryregioncode": ["US ", "FR"],
             "name": ["Texas", "Alsace"]}
        ),
    }  # fmt: skip


def source_lines(
    con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table], until: datetime
) -> pa.Table:
    """SOURCE_LINES_SQL's lines of orders before ``until``, given the source tables as read."""
    with registered(con, tables):
        return con.sql(SOURCE_LINES_SQL, params={"until": until}).to_arrow_table()


def test_source_lines_take_the_cost_valid_at_the_order_and_its_ship_to_state() -> None:
    costs = [(1, datetime(2024, 2, 1), 4.0), (1, datetime(2024, 6, 30, 23), 5.0)]
    with duckdb.connect() as con:
        lines = source_lines(con, source_tables(costs), datetime(2024, 7, 1)).to_pylist()

    by_quantity = {line["orderqty"]: line for line in lines}
    assert set(by_quantity) == {1, 2, 3, 4}  # order 13 is not before 2024-07-01
    assert by_quantity[1]["unit_cost"] == 4.0  # before the first row: the first row
    assert by_quantity[2]["unit_cost"] == 4.0  # the row started last before the order
    assert by_quantity[3]["unit_cost"] == 5.0  # a row starting at the order's instant counts
    assert by_quantity[4]["unit_cost"] == 6.0  # no history: the product's cost
    assert (by_quantity[1]["country_code"], by_quantity[1]["state_name"]) == ("US", "Texas")
    assert by_quantity[2]["state_name"] == "Alsace" and by_quantity[3]["state_name"] is None
    assert by_quantity[1]["category_name"] == "Bikes" and by_quantity[4]["category_name"] is None


def test_source_lines_without_any_cost_history_use_the_products_cost() -> None:
    empty = pa.table(
        {
            "productid": pa.array([], pa.int64()),
            "startdate": pa.array([], pa.timestamp("us")),
            "standardcost": pa.array([], pa.float64()),
        }
    )
    tables = {**source_tables([(1, datetime(2024, 1, 1), 1.0)]), "productcosthistory": empty}
    with duckdb.connect() as con:
        lines = source_lines(con, tables, datetime(2024, 7, 1)).to_pylist()

    assert {line["orderqty"]: line["unit_cost"] for line in lines} == {1: 9.0, 2: 9.0, 3: 9.0,
                                                                        4: 6.0}  # fmt: skip


def test_source_figures_are_summed_where_the_lines_are_joined() -> None:
    """Order 10 (January, Texas) and 11 (March, Alsace) at the history's first cost 4.0; order
    12 is rejected, order 13 after the as-of date."""
    costs = [(1, datetime(2024, 2, 1), 4.0), (1, datetime(2024, 6, 30, 23), 5.0)]
    with duckdb.connect() as con:
        found = source_figures_of(con, source_tables(costs), date(2024, 6, 30))

    assert found == pytest.approx(
        {
            ("revenue per month", "2024-01"): 10.0,
            ("revenue per month", "2024-03"): 20.0,
            ("profit per month", "2024-01"): 10.0 - 4.0,
            ("profit per month", "2024-03"): 20.0 - 2 * 4.0,
            ("revenue per US state", "Texas"): 10.0,
            ("revenue per category", "Bikes"): 30.0,
            ("units per category", "Bikes"): 3.0,
        }
    )
