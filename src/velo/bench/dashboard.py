"""`velo bench dashboard`: every page's queries, p50/p95 in ms, one-big-table vs star joins.

For the scale asked and ten times it, a serving DB is built from the contract-following sample
warehouse (:mod:`velo.serving.sample`; deterministic and quick at any scale) under a temporary
VELO_DATA_DIR. Each chart's compiled metric SQL then runs ``REPEATS`` times on
``marts.obt_sales_order_lines`` and — the baseline — the same SQL with ``obt_sales_order_lines``
replaced by the equivalent star-schema join
(a fact table of keys and measures joined to product, address, status and date dimensions, built
from the same rows). ratio = star p95 / OBT p95, summed over the sales queries.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from velo.bench import bench_result
from velo.duckdb_config import connect_duckdb
from velo.serving import metrics as m
from velo.serving.sample import publish_sample
from velo.settings import Settings, load_settings

REPEATS = 30
AS_OF = date(2014, 6, 30)
YEAR = m.Filters(date(2013, 7, 1), AS_OF)
MONTHS = m.Filters(date(2014, 4, 1), date(2014, 5, 31))
WEEK = m.Filters(date(2014, 6, 24), AS_OF)
MONTH = m.Filters(date(2014, 6, 1), AS_OF)
US = YEAR.with_changes(countries=("US",))


@dataclass(frozen=True)
class PageQuery:
    page: str
    chart: str
    shape: m.Shape
    filters: m.Filters


PAGE_QUERIES = (
    PageQuery("overview", "kpi_months", m.saved_query("monthly_sales"), MONTHS),
    PageQuery("overview", "state_map", m.saved_query("sales_by_state"), US),
    PageQuery("overview", "category_bars", m.saved_query("sales_by_category"), YEAR),
    PageQuery("overview", "fx_line", m.saved_query("fx_hourly"), WEEK),
    PageQuery("overview", "sentiment_line", m.saved_query("sentiment_daily"), MONTH),
    PageQuery("profitability", "revenue_profit", m.saved_query("daily_sales"), YEAR),
    PageQuery("profitability", "margin_treemap", m.saved_query("sales_by_subcategory"), YEAR),
    PageQuery("profitability", "profit_donut", m.saved_query("sales_by_category"), YEAR),
    PageQuery("profitability", "top_products", m.saved_query("sales_by_product"), YEAR),
)
HEALTH_QUERIES = (
    "SELECT * FROM marts.data_health",
    "SELECT * FROM marts.dbt_build",
    "SELECT max(published_at) FROM marts.publish_log",
)
# The star schema holding the same rows, and the join giving back obt_sales_order_lines' columns.
STAR_DDL = """
CREATE SCHEMA star;
CREATE TABLE star.dim_product AS
    SELECT row_number() OVER (ORDER BY product_name) AS product_sk, *
    FROM (SELECT DISTINCT product_name, subcategory_name, category_name
          FROM marts.obt_sales_order_lines);
CREATE TABLE star.dim_address AS
    SELECT row_number() OVER (ORDER BY ship_state_code, ship_country_code) AS address_sk, *
    FROM (SELECT DISTINCT ship_state_name, ship_state_code, ship_country_code, ship_country_name
          FROM marts.obt_sales_order_lines);
CREATE TABLE star.dim_order_status AS
    SELECT DISTINCT status_code, is_revenue_status FROM marts.obt_sales_order_lines;
CREATE TABLE star.dim_date AS
    SELECT DISTINCT CAST(strftime(order_date, '%Y%m%d') AS INTEGER) AS date_sk,
           order_date AS date_day FROM marts.obt_sales_order_lines;
CREATE TABLE star.fct_sales_order_lines AS
    SELECT o.sales_order_line_id, o.sales_order_id,
           CAST(strftime(o.order_date, '%Y%m%d') AS INTEGER) AS order_date_sk,
           o.status_code, p.product_sk, a.address_sk, o.order_quantity, o.discount, o.revenue,
           o.cost, o.profit, o.margin
    FROM marts.obt_sales_order_lines o
    JOIN star.dim_product p USING (product_name, subcategory_name, category_name)
    JOIN star.dim_address a
        ON a.ship_state_code IS NOT DISTINCT FROM o.ship_state_code
        AND a.ship_country_code = o.ship_country_code
    ORDER BY o.order_date;
"""
STAR_JOIN = """(
    SELECT f.sales_order_line_id, f.sales_order_id, d.date_day AS order_date, s.status_code,
           s.is_revenue_status, f.order_quantity, f.revenue, f.profit, p.product_name,
           p.subcategory_name, p.category_name, a.ship_state_code, a.ship_state_name,
           a.ship_country_code, a.ship_country_name
    FROM star.fct_sales_order_lines f
    JOIN star.dim_date d ON d.date_sk = f.order_date_sk
    JOIN star.dim_order_status s ON s.status_code = f.status_code
    JOIN star.dim_product p ON p.product_sk = f.product_sk
    JOIN star.dim_address a ON a.address_sk = f.address_sk
)"""


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return round(statistics.median(samples), 2), round(cuts[18], 2)  # p50, p95 (ms)


def time_sql(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[float]:
    con.execute(sql, params).fetchall()  # warm-up: the first run reads the file
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        con.execute(sql, params).fetchall()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def compiled_sql(catalog: m.Catalog, query: PageQuery) -> tuple[str, dict[str, Any]]:
    """The chart's compiled metric SQL and its bind parameters for the query's filters."""
    _, compiled = catalog.compiled(query.shape)
    return compiled.sql, query.filters.params(compiled.params)


def page_query_seconds(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Per page: the p50s of its chart queries (health queries for data_health), summed — what
    drawing the page costs in DuckDB alone, the baseline of `--browser`."""
    catalog = m.load_catalog()
    totals: dict[str, float] = {}
    for query in PAGE_QUERIES:
        p50, _ = percentiles(time_sql(con, *compiled_sql(catalog, query)))
        totals[query.page] = totals.get(query.page, 0.0) + p50
    totals["data_health"] = sum(percentiles(time_sql(con, sql, {}))[0] for sql in HEALTH_QUERIES)
    return {page: round(ms / 1000, 4) for page, ms in totals.items()}


def measure(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, Any], dict[str, Any], float, float]:
    """Per chart: OBT p50/p95, star p50/p95; plus the summed sales p95s of both."""
    catalog = m.load_catalog()
    obt_figures: dict[str, Any] = {}
    star_figures: dict[str, Any] = {}
    obt_sum = star_sum = 0.0
    for query in PAGE_QUERIES:
        sql, params = compiled_sql(catalog, query)
        name = f"{query.page}.{query.chart}"
        obt_p50, obt_p95 = percentiles(time_sql(con, sql, params))
        obt_figures[name] = {"p50_ms": obt_p50, "p95_ms": obt_p95}
        if "marts.obt_sales_order_lines" in sql:
            star_sql = sql.replace("marts.obt_sales_order_lines", STAR_JOIN)
            star_p50, star_p95 = percentiles(time_sql(con, star_sql, params))
            star_figures[name] = {"p50_ms": star_p50, "p95_ms": star_p95}
            obt_sum += obt_p95
            star_sum += star_p95
    for number, sql in enumerate(HEALTH_QUERIES, start=1):
        p50, p95 = percentiles(time_sql(con, sql, {}))
        obt_figures[f"data_health.q{number}"] = {"p50_ms": p50, "p95_ms": p95}
    return obt_figures, star_figures, obt_sum, star_sum


def build_serving(root: Path, scale: float) -> Settings:
    settings = load_settings(
        env={"VELO_DATA_DIR": str(root / f"scale-{scale:g}")}, cwd=root
    ).with_overrides(clock=datetime(2014, 6, 30, 23, 0))
    publish_sample(settings, AS_OF, scale=scale)
    return settings


def run(scale: float, browser: bool = False) -> dict[str, Any]:
    if browser:  # `--browser`: the pages themselves in headless Chromium
        from velo.bench.dashboard_browser import run_in_browser

        return run_in_browser(scale)
    figures: dict[str, Any] = {
        "source": "sample warehouse (velo.serving.sample)",
        "repeats": REPEATS,
    }
    baseline: dict[str, Any] = {}
    ratios = []
    with tempfile.TemporaryDirectory(prefix="velo-bench-dashboard-") as tmp:
        for size in (scale, scale * 10):
            settings = build_serving(Path(tmp), size)
            # The bench's own copy of the serving DB, writable: it adds the star schema.
            con = connect_duckdb(settings, settings.serving_path)
            try:
                rows = con.execute("SELECT count(*) FROM marts.obt_sales_order_lines").fetchone()[0]
                con.execute(STAR_DDL)
                obt, star, obt_sum, star_sum = measure(con)
            finally:
                con.close()
            label = f"scale {size:g}"
            figures[label] = {
                "obt_sales_order_lines rows": rows,
                "max p95 ms": max(q["p95_ms"] for q in obt.values()),
                **obt,
            }
            baseline[label] = {"max p95 ms": max(q["p95_ms"] for q in star.values()), **star}
            ratios.append(star_sum / obt_sum if obt_sum else None)
            figures[label]["star/obt p95 ratio"] = round(ratios[-1], 3) if ratios[-1] else None
    return bench_result("dashboard", scale, figures, baseline, ratios[0])
