"""`velo bench transform`: the dbt build, full and incremental after one simulated day.

One run, in a temporary data directory: a company with a year of history at the scale goes
through the real path into raw (simulator -> sentiment function -> `velo ingest`), then

- the figure: a full `dbt build`, then one simulated day (tick + ingest) and the incremental
  `dbt build` that follows it;
- the baseline: a full-refresh build of the same (post-tick) data.

The ratio is incremental / full refresh: it should stay small and shrink as history grows,
since incremental facts only re-process what was loaded or modified within the lookback window.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from velo.bench import bench_result, bench_settings, peak_rss_mb, timed
from velo.ingest import run_ingest
from velo.runtime import platform
from velo.settings import Settings
from velo.simulator.company import init_company, tick
from velo.warehouse.runner import DbtResult, transform

AS_OF = date(2014, 6, 30)  # fixed, so runs on different days compare
HISTORY_DAYS = 365
NEWS_DAYS = 7


def land_news(settings: Settings, as_of: date, days: int) -> None:
    """Run the sentiment function for the last `days` simulated days (landing-zone files)."""
    from velo.functions import sentiment

    end = datetime.combine(as_of, datetime.min.time()) + timedelta(hours=23, minutes=59)
    for back in range(days):
        sentiment.run({"now": (end - timedelta(days=back)).isoformat()}, settings, base_delay=0)


def prepare_company(
    settings: Settings, *, days: int, scale: float, seed: int, as_of: date, news_days: int
) -> None:
    """A simulated company loaded into raw the platform's way (operations, fx, sentiment)."""
    init_company(settings, days=days, scale=scale, seed=seed, as_of=as_of)
    with platform(settings) as live:  # the benchmark is an entry point: the company's clock
        land_news(live, as_of, news_days)
        run_ingest(live, ["operations", "fx", "sentiment"])


def run(scale: float) -> dict[str, Any]:
    with bench_settings("transform") as settings:
        prepare_company(
            settings,
            days=HISTORY_DAYS,
            scale=scale,
            seed=settings.seed,
            as_of=AS_OF,
            news_days=NEWS_DAYS,
        )
        full_seconds, full = timed(lambda: transform(settings, echo=False))
        tick(settings, days=1)
        with platform(settings) as live:
            run_ingest(live, ["operations", "fx"])
        incremental_seconds, incremental = timed(lambda: transform(settings, echo=False))
        refresh_seconds, refresh = timed(lambda: transform(settings, full_refresh=True, echo=False))
        lines = order_lines(settings)
    return bench_result(
        "transform",
        scale,
        figures={
            "method": "dbt build (DuckDB): full, then incremental after 1 simulated day",
            "order_lines": lines,
            "models": count(full, "model", "snapshot", "seed"),
            "data_tests": count(full, "test"),
            "full_build_seconds": round(full_seconds, 3),
            "incremental_build_seconds": round(incremental_seconds, 3),
            "incremental_facts_seconds": facts_seconds(incremental),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        },
        baseline={
            "method": "dbt build --full-refresh of the same data",
            "seconds": round(refresh_seconds, 3),
            "facts_seconds": facts_seconds(refresh),
        },
        ratio=incremental_seconds / refresh_seconds,
    )


def count(result: DbtResult, *kinds: str) -> int:
    return sum(node.resource_type in kinds for node in result.nodes)


def facts_seconds(result: DbtResult) -> float:
    """Seconds spent building the incremental fact models (what the lookback window bounds)."""
    facts = ("fct_sales_order_lines", "fct_work_orders")
    return round(sum(node.seconds for node in result.nodes if node.name in facts), 3)


def order_lines(settings: Settings) -> int:
    from velo.duckdb_config import connect_duckdb

    with connect_duckdb(settings, settings.warehouse_path, read_only=True) as con:
        (lines,) = con.execute("select count(*) from marts.fct_sales_order_lines").fetchone()
    return int(lines)
