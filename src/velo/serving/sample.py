"""A deterministic sample warehouse that follows the marts contract (docs: notes/CONTRACTS.md).

Used by the serving/dashboard tests and by `velo bench dashboard` when the real pipeline is not
wanted: same tables and columns as the dbt marts (``marts.obt_sales_order_lines``,
``fct_fx_rates_hourly``, ``fct_sentiment_daily``) plus ``raw`` tables carrying ``_loaded_at`` for
the data-health page.
Rows are generated in DuckDB SQL from hashes of the row number, so the same arguments always give
the same data, at any scale, quickly.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from velo.clock import wall_now
from velo.serving.health import HISTORY_DAYS, SOURCE_RAW_TABLES, HealthRecord, save_history
from velo.serving.publish import SERVED_MARTS, PublishReport, publish
from velo.settings import Settings
from velo.warehouse.freshness import freshness_rules
from velo.warehouse.runner import mart_contract

ORDERS_PER_SCALE = 30_000  # scale 1 ≈ AdventureWorks: ~30k orders, ~120k lines a year

PRODUCTS = [
    # (category, subcategory, product base name, list price, standard cost)
    ("Bikes", "Road Bikes", "Road-150", 3578.27, 2171.29),
    ("Bikes", "Road Bikes", "Road-650", 782.99, 486.71),
    ("Bikes", "Mountain Bikes", "Mountain-200", 2294.99, 1251.98),
    ("Bikes", "Mountain Bikes", "Mountain-500", 539.99, 294.58),
    ("Bikes", "Touring Bikes", "Touring-1000", 2384.07, 1481.94),
    ("Components", "Handlebars", "HL Road Handlebars", 120.27, 53.40),
    ("Components", "Wheels", "HL Mountain Front Wheel", 300.22, 133.29),
    ("Components", "Brakes", "Rear Brakes", 106.50, 47.29),
    ("Components", "Chains", "Chain", 20.24, 8.99),
    ("Clothing", "Jerseys", "Long-Sleeve Logo Jersey", 49.99, 38.49),
    ("Clothing", "Caps", "AWC Logo Cap", 8.99, 6.92),
    ("Clothing", "Gloves", "Full-Finger Gloves", 37.99, 15.67),
    ("Clothing", "Shorts", "Women's Mountain Shorts", 69.99, 26.18),
    ("Accessories", "Helmets", "Sport-100 Helmet", 34.99, 13.09),
    ("Accessories", "Bottles and Cages", "Water Bottle", 4.99, 1.87),
    ("Accessories", "Tires and Tubes", "Patch Kit", 2.29, 0.86),
    ("Accessories", "Locks", "Cable Lock", 25.00, 10.31),
    ("Accessories", "Lights", "Headlights - Weatherproof", 44.99, 18.56),
]
SIZES = ("Red, 44", "Black, 48", "Silver, 52")
ADDRESSES = [
    # (country code, country name, state code, state name, city, weight)
    ("US", "United States", "US-CA", "California", "Los Angeles", 20),
    ("US", "United States", "US-WA", "Washington", "Seattle", 12),
    ("US", "United States", "US-OR", "Oregon", "Portland", 6),
    ("US", "United States", "US-TX", "Texas", "Austin", 8),
    ("US", "United States", "US-NY", "New York", "New York", 7),
    ("US", "United States", "US-FL", "Florida", "Miami", 4),
    ("US", "United States", "US-IL", "Illinois", "Chicago", 3),
    ("US", "United States", "US-CO", "Colorado", "Denver", 2),
    ("CA", "Canada", "CA-BC", "British Columbia", "Vancouver", 6),
    ("DE", "Germany", "DE-HH", "Hamburg", "Hamburg", 5),
    ("FR", "France", "FR-75", "Paris", "Paris", 5),
    ("GB", "United Kingdom", "GB-ENG", "England", "London", 5),
    ("AU", "Australia", "AU-NSW", "New South Wales", "Sydney", 7),
]
STATUSES = [
    (1, "in process"),
    (2, "approved"),
    (3, "backordered"),
    (4, "rejected"),
    (5, "shipped"),
    (6, "cancelled"),
]
SAMPLE_SCORER, SAMPLE_SCORER_VERSION = "velo-finance", "1.sample"
HEADLINES = [
    ("Velo Cycles wins best road bike award", 0.7),
    ("Velo Cycles opens a new store in Seattle", 0.4),
    ("Riders praise Velo's new touring range", 0.5),
    ("Velo Cycles recalls batch of brake levers", -0.6),
    ("Delivery delays frustrate Velo customers", -0.4),
    ("Velo Cycles announces quarterly results", 0.0),
]


def build_sample_warehouse(
    path: Path, as_of: date, scale: float = 0.05, days: int = 400, seed: int = 42
) -> Path:
    """Write a warehouse DuckDB file at ``path`` (replacing it) with data up to ``as_of``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    loaded_at = wall_now() - timedelta(hours=1)  # ingestion stamps the wall clock
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA raw")
        write_reference_tables(con)
        write_sales(con, as_of, days, max(int(ORDERS_PER_SCALE * scale), 10), seed)
        write_fx(con, as_of, seed)
        write_sentiment(con, as_of, seed)
        for mart in SERVED_MARTS:  # what readers read, each shaped by its dbt contract
            conform_to_contract(con, mart)
        write_raw(con, loaded_at)
    finally:
        con.close()
    return path


def conform_to_contract(con: duckdb.DuckDBPyConnection, mart: str) -> None:
    """Rebuild a sample mart with exactly its dbt contract's columns, order and types: columns
    the sample does not generate are NULL (the dashboard does not read them)."""
    have = {row[0] for row in con.execute(f"DESCRIBE marts.{mart}").fetchall()}
    columns = ", ".join(
        f"CAST({name if name in have else 'NULL'} AS {data_type}) AS {name}"
        for name, data_type in mart_contract(mart)
    )
    con.execute(f"CREATE OR REPLACE TABLE marts.{mart} AS SELECT {columns} FROM marts.{mart}")


def product_rows() -> list[tuple[object, ...]]:
    """(n, product_id, name, category, subcategory, list price, cost); bikes/clothing in sizes."""
    rows: list[tuple[object, ...]] = []
    for category, subcategory, name, price, cost in PRODUCTS:
        for size in SIZES if category in ("Bikes", "Clothing") else ("",):
            n = len(rows)
            rows.append((n, 700 + n, f"{name} {size}".strip(), category, subcategory, price, cost))
    return rows


def write_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TEMP TABLE products (n INTEGER, product_id INTEGER, product_name VARCHAR, "
        "category_name VARCHAR, subcategory_name VARCHAR, list_price DOUBLE, standard_cost DOUBLE)"
    )
    con.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?)", product_rows())
    con.execute(
        "CREATE TEMP TABLE addresses (n INTEGER, country_code VARCHAR, country_name VARCHAR, "
        "state_code VARCHAR, state_name VARCHAR, city VARCHAR, lo INTEGER, hi INTEGER)"
    )
    bound = 0
    for n, (cc, cn, sc, sn, city, weight) in enumerate(ADDRESSES):
        con.execute(
            "INSERT INTO addresses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [n, cc, cn, sc, sn, city, bound, bound + weight],
        )
        bound += weight
    con.execute("CREATE TEMP TABLE statuses (status_code INTEGER, status_name VARCHAR)")
    con.executemany("INSERT INTO statuses VALUES (?, ?)", STATUSES)


def write_sales(
    con: duckdb.DuckDBPyConnection, as_of: date, days: int, orders: int, seed: int
) -> None:
    total_weight = sum(a[-1] for a in ADDRESSES)
    product_count = con.execute("SELECT count(*) FROM products").fetchone()[0]
    con.execute(
        f"""
        CREATE TEMP TABLE orders AS
        SELECT 43000 + i AS sales_order_id,
               DATE '{as_of}' - CAST(hash(i, {seed}, 'day') % {days} AS INTEGER) AS order_date,
               CASE WHEN hash(i, {seed}, 's') % 100 < 4 THEN 4
                    WHEN hash(i, {seed}, 's') % 100 < 7 THEN 6
                    WHEN hash(i, {seed}, 's') % 100 < 10 THEN 1
                    ELSE 5 END AS status_code,
               CAST(hash(i, {seed}, 'a') % {total_weight} AS INTEGER) AS address_pick,
               11000 + CAST(hash(i, {seed}, 'c') % 5000 AS INTEGER) AS customer_id,
               1 + CAST(hash(i, {seed}, 'n') % 4 AS INTEGER) AS lines
        FROM range({orders}) AS r(i)
        """
    )
    con.execute(
        f"""
        CREATE TABLE marts.obt_sales_order_lines AS
        WITH lines AS (
            SELECT o.*, line,
                   CAST(hash(o.sales_order_id, line, {seed}, 'p') % {product_count} AS INTEGER)
                       AS product_pick,
                   1 + CAST(hash(o.sales_order_id, line, {seed}, 'q') % 4 AS INTEGER)
                       AS order_quantity,
                   CASE WHEN hash(o.sales_order_id, line, {seed}, 'd') % 10 = 0 THEN 0.1
                        ELSE 0.0 END AS discount
            FROM orders o, range(o.lines) AS l(line)
        )
        SELECT row_number() OVER (ORDER BY l.sales_order_id, l.line) + 110000
                   AS sales_order_line_id,
               l.sales_order_id, l.order_date, l.status_code, s.status_name,
               l.status_code NOT IN (4, 6) AS is_revenue_status,
               l.order_quantity,
               CAST(p.list_price AS DECIMAL(19, 4)) AS unit_price,
               CAST(l.discount AS DECIMAL(19, 4)) AS discount,
               CAST(round(p.list_price * l.order_quantity * (1 - l.discount), 4) AS DECIMAL(19, 4))
                   AS revenue,
               CAST(round(p.standard_cost * l.order_quantity, 4) AS DECIMAL(19, 4)) AS cost,
               CAST(round(p.list_price * l.order_quantity * (1 - l.discount), 4)
                    - round(p.standard_cost * l.order_quantity, 4) AS DECIMAL(19, 4)) AS profit,
               round(1 - p.standard_cost / (p.list_price * (1 - l.discount)), 6) AS margin,
               p.product_id, p.product_id * 10 + 1 AS product_key, p.product_name,
               p.subcategory_name, p.category_name,
               l.customer_id,
               CASE WHEN l.customer_id % 7 = 0 THEN 'store' ELSE 'individual' END
                   AS customer_type,
               a.city AS ship_city, a.state_name AS ship_state_name,
               a.state_code AS ship_state_code, a.country_code AS ship_country_code,
               a.country_name AS ship_country_name
        FROM lines l
        JOIN products p ON p.n = l.product_pick
        JOIN addresses a ON l.address_pick >= a.lo AND l.address_pick < a.hi
        JOIN statuses s ON s.status_code = l.status_code
        ORDER BY l.order_date, sales_order_line_id
        """
    )


def write_fx(con: duckdb.DuckDBPyConnection, as_of: date, seed: int) -> None:
    """30 days of hourly EUR-based rates: a smooth deterministic wave around 1.10 USD."""
    end = datetime.combine(as_of, datetime.min.time()) + timedelta(hours=23)
    con.execute(
        f"""
        CREATE TABLE marts.fct_fx_rates_hourly AS
        SELECT TIMESTAMP '{end}' - INTERVAL (h) HOUR AS rate_hour,
               'EUR' AS base_currency, q.quote AS quote_currency,
               round(q.level * (1 + 0.02 * sin((h + {seed}) / 37.0)
                     + 0.002 * ((hash(h, q.quote, {seed}) % 100) / 100.0 - 0.5)), 6) AS rate
        FROM range({30 * 24}) AS r(h),
             (VALUES ('USD', 1.10), ('GBP', 0.86), ('CHF', 0.95)) AS q(quote, level)
        ORDER BY rate_hour, quote_currency
        """
    )


def write_sentiment(con: duckdb.DuckDBPyConnection, as_of: date, seed: int) -> None:
    con.execute("CREATE TEMP TABLE headlines (n INTEGER, title VARCHAR, score DOUBLE)")
    con.executemany(
        "INSERT INTO headlines VALUES (?, ?, ?)", [(n, t, s) for n, (t, s) in enumerate(HEADLINES)]
    )
    con.execute(
        f"""
        CREATE TABLE marts.fct_sentiment_daily AS
        WITH days AS (
            SELECT DATE '{as_of}' - CAST(d AS INTEGER) AS sentiment_date,
                   CAST(hash(d, {seed}, 'h') % {len(HEADLINES)} AS INTEGER) AS pick,
                   3 + CAST(hash(d, {seed}, 'k') % 6 AS INTEGER) AS article_count
            FROM range(60) AS r(d)
        )
        , scored AS (
            SELECT d.*, h.title, h.score,
                   round(h.score * 0.8 + ((hash(d.sentiment_date, {seed}) % 100) / 500.0 - 0.1),
                         4) AS mean_score,
                   0.6 * d.article_count AS weight_sum
            FROM days d JOIN headlines h ON h.n = d.pick
        )
        SELECT sentiment_date,
               mean_score,
               CASE WHEN score * 0.8 >= 0.05 THEN 'positive'
                    WHEN score * 0.8 <= -0.05 THEN 'negative' ELSE 'neutral' END AS label,
               article_count,
               weight_sum,
               mean_score * weight_sum AS score_weighted_sum,
               round(mean_score * 0.7, 4) AS vendor_mean_score,
               weight_sum AS vendor_weight_sum,
               round(mean_score * 0.7, 4) * weight_sum AS vendor_score_weighted_sum,
               '{SAMPLE_SCORER}' AS scorer,
               '{SAMPLE_SCORER_VERSION}' AS scorer_version,
               CASE WHEN score >= 0 THEN title END AS top_positive_headline,
               CASE WHEN score < 0 THEN title END AS top_negative_headline,
               title AS top_headline
        FROM scored
        ORDER BY sentiment_date
        """
    )


def write_raw(con: duckdb.DuckDBPyConnection, loaded_at: datetime) -> None:
    """Just enough of `raw` for data health: loads with `_loaded_at` per source."""
    earlier = loaded_at - timedelta(days=1)
    con.execute(
        f"""
        CREATE TABLE raw.salesorderheader AS
        SELECT sales_order_id AS salesorderid, max(order_date)::TIMESTAMP AS modifieddate,
               CASE WHEN sales_order_id % 10 = 0 THEN TIMESTAMP '{loaded_at}'
                    ELSE TIMESTAMP '{earlier}' END AS _loaded_at
        FROM marts.obt_sales_order_lines
        GROUP BY sales_order_id;
        CREATE TABLE raw.product AS
        SELECT DISTINCT product_id AS productid, TIMESTAMP '{loaded_at}' AS _loaded_at
        FROM marts.obt_sales_order_lines;
        CREATE TABLE raw.fx_rates AS
        SELECT epoch(rate_hour)::BIGINT AS rate_timestamp, rate_hour AS rate_at,
               base_currency AS base, quote_currency AS quote, rate,
               TIMESTAMP '{loaded_at}' AS _loaded_at
        FROM marts.fct_fx_rates_hourly;
        CREATE TABLE raw.sentiment AS
        SELECT top_headline AS title, sentiment_date::TIMESTAMP AS time_published,
               TIMESTAMP '{earlier}' AS _loaded_at
        FROM marts.fct_sentiment_daily;
        """
    )


# Days on which a source's run was skipped in the sample history (its data ages into "stale").
SKIPPED_RUNS = {"fx": (20,), "operations": (12, 11), "sentiment": ()}


def sample_history(
    as_of: datetime, published_at: datetime, warn_hours: dict[str, float]
) -> list[HealthRecord]:
    """Daily publishes over the days before ``as_of`` (wall clock), each a few minutes after
    its loads, with a few skipped runs; row counts vary by a fixed rule; each source stale
    after ``warn_hours[source]`` (its dbt freshness)."""
    records, last, totals = [], {}, dict.fromkeys(SOURCE_RAW_TABLES, 0)
    for days_ago in range(HISTORY_DAYS - 1, 0, -1):
        checked_at = as_of - timedelta(days=days_ago)
        for source in sorted(SOURCE_RAW_TABLES):
            if source not in last or days_ago not in SKIPPED_RUNS[source]:
                rows = {"fx": 24, "operations": 120 + days_ago * 37 % 80}.get(
                    source, 3 + days_ago % 6
                )
                totals[source] += rows
                last[source] = (checked_at - timedelta(minutes=5 + days_ago % 20), rows)
            loaded_at, rows = last[source]
            age = round((checked_at - loaded_at).total_seconds() / 3600, 2)
            published = published_at - timedelta(days=days_ago)
            status = "fresh" if age <= warn_hours[source] else "stale"
            records.append(
                HealthRecord(
                    checked_at,
                    published,
                    source,
                    loaded_at,
                    rows,
                    totals[source],
                    warn_hours[source],
                    age,
                    status,
                )
            )
    return records


def publish_sample(settings: Settings, as_of: date, scale: float = 0.05) -> PublishReport:
    """Build the sample warehouse at settings.warehouse_path and a data-health history of the
    days before, then publish (tests, benchmarks)."""
    build_sample_warehouse(Path(settings.warehouse_path), as_of, scale=scale)
    checked_at = wall_now()
    published_at = settings.clock or datetime.combine(as_of, datetime.min.time())
    warn_hours = {
        rule.source: rule.warn_after / timedelta(hours=1) for rule in freshness_rules(settings)
    }
    save_history(settings, sample_history(checked_at, published_at, warn_hours), checked_at)
    return publish(settings, require_passed_build=False)  # no dbt build: a sample
