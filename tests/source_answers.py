"""The six answers computed straight from the sources, to record them once and compare with later.

Nothing here goes through the platform's stages (no raw, no dbt, no serving DB, no metrics): the
sales answers are plain SQL over the operations DB (AdventureWorks' own tables, SQLite), the rate
comes from the FX API over HTTP, the sentiment from the scored JSONL files in the landing zone.
The definitions are the business's, as the README states them: revenue = unit price x quantity x
(1 - discount) per line (rounded to 4 decimals), of orders neither rejected (4) nor cancelled
(6); cost = quantity x the product's standard cost valid at the order date; "last month" is the
calendar month before the as-of date's month; rankings cover the 12 full months ending with last
month; margins rank products with >= 0.1 % of that window's revenue; a day's sentiment is the
relevance-weighted mean of its articles' scores.

Record (rewrites tests/recorded/*.json; run before a change that must keep every number):

    python tests/source_answers.py
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import sqlalchemy as sa

RECORDED = Path(__file__).parent / "recorded"
NOT_REVENUE = (4, 6)  # rejected, cancelled
TOP_N = 10
EPOCH = datetime(1970, 1, 1)  # unix time 0, naive UTC

LINES_SQL = """
with costs as (
    select productid, startdate, standardcost,
           lead(startdate) over (partition by productid order by startdate) as next_start,
           row_number() over (partition by productid order by startdate) as n
    from productcosthistory
)
select h.orderdate, h.status, trim(sp.countryregioncode) as country,
       trim(sp.stateprovincecode) as state_code, sp.name as state_name,
       p.name as product, pc.name as category, d.orderqty as units,
       round(d.unitprice * d.orderqty * (1 - d.unitpricediscount), 4) as revenue,
       d.orderqty * round(coalesce(c.standardcost, p.standardcost), 4) as cost
from salesorderdetail d
join salesorderheader h on h.salesorderid = d.salesorderid
join product p on p.productid = d.productid
left join costs c on c.productid = d.productid and (
    (c.startdate <= h.orderdate and (c.next_start is null or h.orderdate < c.next_start))
    or (c.n = 1 and h.orderdate < c.startdate))
left join productsubcategory ps on ps.productsubcategoryid = p.productsubcategoryid
left join productcategory pc on pc.productcategoryid = ps.productcategoryid
left join address a on a.addressid = h.shiptoaddressid
left join stateprovince sp on sp.stateprovinceid = a.stateprovinceid
where h.orderdate < :until
"""


def month_before(start: date) -> date:
    return (start - timedelta(days=1)).replace(day=1)


def sold_lines(ops_db_url: str, as_of: date) -> pd.DataFrame:
    until = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    engine = sa.create_engine(ops_db_url)
    try:
        with engine.connect() as conn:
            lines = pd.read_sql(sa.text(LINES_SQL), conn, params={"until": until})
    finally:
        engine.dispose()
    lines["day"] = pd.to_datetime(lines.orderdate).dt.date
    lines["profit"] = lines.revenue - lines.cost
    return lines[~lines.status.isin(NOT_REVENUE)]


def money(value: float) -> float:
    return round(float(value), 2)


def month_answer(lines: pd.DataFrame, start: date) -> dict[str, Any]:
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    month = lines[(lines.day >= start) & (lines.day <= end)]
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "revenue": money(month.revenue.sum()),
        "profit": money(month.profit.sum()),
    }


def ranked(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by, ascending=False).head(TOP_N)


def sales_answers(ops_db_url: str, as_of: date) -> dict[str, Any]:
    lines = sold_lines(ops_db_url, as_of)
    last = month_before(as_of.replace(day=1))
    window_start = last
    for _ in range(11):
        window_start = month_before(window_start)
    window_end = as_of.replace(day=1) - timedelta(days=1)
    window = lines[(lines.day >= window_start) & (lines.day <= window_end)]

    products = window.groupby("product")[["revenue", "profit"]].sum().reset_index()
    products = products[
        (products.revenue > 0) & (products.revenue >= 0.001 * products.revenue.sum())
    ].assign(margin=lambda f: f.profit / f.revenue)
    categories = window.groupby("category")[["units", "revenue"]].sum().reset_index()
    us = window[(window.country == "US") & window.state_code.notna()]
    states = us.groupby(["state_name", "state_code"])["revenue"].sum().reset_index()
    return {
        "last_month": month_answer(lines, last),
        "previous_month": month_answer(lines, month_before(last)),
        "top_margin_products": [
            {"product": r.product, "margin": round(r.margin, 4), "revenue": money(r.revenue)}
            for r in ranked(products, ["margin", "revenue"]).itertuples()
        ],
        "top_categories": [
            {"category": r.category, "units": int(r.units), "revenue": money(r.revenue)}
            for r in ranked(categories[categories.units > 0], ["units", "revenue"]).itertuples()
        ],
        "top_states": [
            {"state": r.state_name, "code": f"US-{r.state_code}", "revenue": money(r.revenue)}
            for r in ranked(states[states.revenue > 0], ["revenue"]).itertuples()
        ],
    }


def fx_answer(fx_api_url: str, api_key: str, as_of: date) -> dict[str, Any]:
    """The API's hourly EUR-based quotes of the last three days up to the end of ``as_of``."""
    since = datetime.combine(as_of - timedelta(days=3), datetime.min.time())
    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    hours: dict[datetime, float] = {}
    cursor: int | None = _unix(since)
    while cursor is not None:
        page = httpx.get(
            f"{fx_api_url.rstrip('/')}/hourly.json",
            params={"app_id": api_key, "since": cursor, "limit": 500},
            timeout=30,
        ).json()
        for quote in page["data"]:
            hours[datetime(1970, 1, 1) + timedelta(seconds=quote["timestamp"])] = quote["rates"][
                "USD"
            ]
        cursor = page["next_since"]
    at = max(hour for hour in hours if hour < end)
    day_before = at - timedelta(hours=24)
    return {
        "rate": round(hours[at], 6),
        "at": at.isoformat(),
        "change_24h": round(hours[at] - hours[day_before], 6) if day_before in hours else None,
    }


def _unix(naive_utc: datetime) -> int:
    return int((naive_utc - EPOCH).total_seconds())


def landed_articles(landing_dir: Path) -> pd.DataFrame:
    """Every scored article in the landing zone, once per url (its latest scoring)."""
    rows = [
        json.loads(line)
        for path in sorted(landing_dir.glob("sentiment/**/*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    articles = pd.DataFrame(rows).sort_values("scored_at").drop_duplicates("url", keep="last")
    articles["day"] = pd.to_datetime(articles.time_published, utc=True).dt.tz_localize(None).dt.date
    articles["weight"] = articles.relevance.fillna(1.0)
    return articles


def weighted_score(articles: pd.DataFrame) -> float | None:
    weight = articles.weight.sum()
    return None if articles.empty else float((articles.weight * articles.score).sum() / weight)


def sentiment_answer(landing_dir: Path, as_of: date) -> dict[str, Any] | None:
    articles = landed_articles(landing_dir)
    month = articles[(articles.day > as_of - timedelta(days=30)) & (articles.day <= as_of)]
    if month.empty:
        return None
    latest_day = month[month.day == month.day.max()]
    score = weighted_score(latest_day)
    mean_30d = weighted_score(month)
    recent = weighted_score(month[month.day > as_of - timedelta(days=7)])
    delta = recent - mean_30d if recent is not None and mean_30d is not None else 0.0
    return {
        "label": "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral",
        "score": round(score, 4),
        "mean_30d": round(mean_30d, 4),
        "trend": "up" if delta > 0.05 else "down" if delta < -0.05 else "flat",
        "scorer": f"{latest_day.scorer.min()} {latest_day.scorer_version.min()}",
    }


def answers_from_source(
    ops_db_url: str, fx_api_url: str, fx_api_key: str, landing_dir: Path, as_of: date
) -> dict[str, Any]:
    sales = sales_answers(ops_db_url, as_of)
    return {
        "as_of": as_of.isoformat(),
        "last_month": sales["last_month"],
        "previous_month": sales["previous_month"],
        "eur_usd": fx_answer(fx_api_url, fx_api_key, as_of),
        "sentiment": sentiment_answer(landing_dir, as_of),
        "top_margin_products": sales["top_margin_products"],
        "top_categories": sales["top_categories"],
        "top_states": sales["top_states"],
    }


def recorded(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / f"{name}.json").read_text())


# --- recording: the two companies the tests run, made the way the tests make them -------------


@contextmanager
def fresh_data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        for name in [name for name in os.environ if name.startswith("VELO_")]:
            del os.environ[name]
        os.chdir(tmp)
        os.environ["VELO_DATA_DIR"] = str(Path(tmp) / "data")
        yield Path(tmp) / "data"


def record(name: str, settings: Any, as_of: date, news_days: int = 1) -> None:
    """Score ``news_days`` of news into the landing zone, then record the answers."""
    from velo.functions.sentiment import run as score_news
    from velo.simulator.apis import running_apis

    with running_apis(settings) as live:
        score_news({"source": "record", "window_hours": news_days * 24}, live)
        answers = answers_from_source(
            settings.ops_db_url, live.fx_api_url, live.fx_api_key, Path(settings.landing_url), as_of
        )
    RECORDED.mkdir(exist_ok=True)
    (RECORDED / f"{name}.json").write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n")
    print(f"recorded {name}: last month revenue {answers['last_month']['revenue']:,.2f}")


def record_all() -> None:
    from velo.orchestration.sentiment import BACKFILL_DAYS
    from velo.settings import load_settings
    from velo.simulator.adventureworks import default_source_dir, load_adventureworks
    from velo.simulator.company import init_company

    # As tests/serving/test_real_pipeline.py makes its company.
    with fresh_data_dir():
        clock = datetime(2014, 6, 30, 23, 59, 59)
        settings = load_settings().with_overrides(clock=clock)
        init_company(settings, days=90, scale=0.02, seed=7, as_of=clock.date())
        record("simulated-seed7-2014-06-30", settings, clock.date())
    # As tests/test_adventureworks_platform.py loads AdventureWorks and runs (the first run
    # scores BACKFILL_DAYS of news).
    with fresh_data_dir():
        settings = load_settings().with_overrides(clock=datetime(2014, 6, 30, 23, 59, 59))
        load_adventureworks(settings, default_source_dir())
        record("adventureworks-2014-06-30", settings, date(2014, 6, 30), BACKFILL_DAYS)


if __name__ == "__main__":
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8")
    record_all()
