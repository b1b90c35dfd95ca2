"""The platform clock is decided once at the entry points; a new company ends at that instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from velo.clock import FIXED, SIMULATED, WALL, wall_now
from velo.runtime import platform, resolve_clock
from velo.settings import SIMULATED_API_KEY, Settings, load_settings
from velo.simulator import schema
from velo.simulator.bulk import open_engine
from velo.simulator.company import init_company, tick


def newest(settings: Settings, column: sa.Column) -> datetime:
    engine = open_engine(settings.ops_db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(column))).scalar_one()
    finally:
        engine.dispose()


def test_without_a_company_the_clock_is_the_wall_clock_read_once(settings: Settings) -> None:
    before = wall_now()
    resolved = resolve_clock(settings)
    assert resolved.clock_kind == WALL
    assert resolved.clock is not None and before <= resolved.clock <= wall_now()
    assert resolve_clock(resolved) == resolved  # decided once: resolving again changes nothing


def test_as_of_beats_the_clock_setting_which_beats_the_simulated_clock(
    settings: Settings, tmp_path: Path
) -> None:
    init_company(settings, days=3, scale=0.005, as_of=date(2024, 3, 31))
    simulated = resolve_clock(settings)
    assert (simulated.clock_kind, simulated.clock) == (SIMULATED, datetime(2024, 3, 31, 23, 59, 59))

    configured = load_settings(
        env={"VELO_DATA_DIR": str(settings.data_dir), "VELO_CLOCK": "2020-01-02T03:04:05"},
        cwd=tmp_path,
    )
    assert resolve_clock(configured).clock == datetime(2020, 1, 2, 3, 4, 5)
    assert resolve_clock(configured).clock_kind == FIXED

    dated = resolve_clock(configured, as_of=date(2019, 5, 6))
    assert (dated.clock_kind, dated.clock) == (FIXED, datetime(2019, 5, 6, 23, 59, 59))


def test_a_new_company_ends_now_and_its_apis_never_answer_past_it(settings: Settings) -> None:
    before = wall_now()
    init_company(settings, days=30, scale=0.05)
    after = wall_now()
    with platform(settings) as live:
        assert live.clock_kind == SIMULATED
        now = live.clock
        assert now is not None and before <= now <= after  # the current instant, not end of day
        for column in (
            schema.sales_order_header.c.orderdate,
            schema.sales_order_header.c.modifieddate,
            schema.work_order.c.modifieddate,
            schema.product_list_price_history.c.modifieddate,
        ):
            assert newest(settings, column) <= now, column
        # history reaches close to now: a day's orders at this scale are a handful at least
        assert newest(settings, schema.sales_order_header.c.orderdate) > now - timedelta(days=3)

        hours = httpx.get(
            f"{live.fx_api_url}/hourly.json",
            params={
                "app_id": SIMULATED_API_KEY,
                "since": int((now - timedelta(days=2)).replace(tzinfo=UTC).timestamp()),
            },
            timeout=10,
        ).json()["data"]
        newest_hour = datetime.fromtimestamp(max(row["timestamp"] for row in hours), UTC)
        newest_hour = newest_hour.replace(tzinfo=None)
        assert now - timedelta(hours=1) < newest_hour <= now
        feed = httpx.get(
            f"{live.news_api_url}/query",
            # Three days back: the API's default 24 hours can hold no item at all (a day has
            # 3-8, at random times), which failed this test at 10:45 on 2026-12-03.
            params={
                "function": "NEWS_SENTIMENT",
                "apikey": SIMULATED_API_KEY,
                "limit": 1000,
                "time_from": (now - timedelta(days=3)).strftime("%Y%m%dT%H%M"),
            },
            timeout=10,
        ).json()["feed"]
        assert feed and max(item["time_published"] for item in feed) <= now.strftime(
            "%Y%m%dT%H%M%S"
        )


def test_a_tick_moves_the_clock_one_day_from_the_instant_it_stood_at(settings: Settings) -> None:
    init_company(settings, days=10, scale=0.05, as_of=datetime(2024, 3, 31, 9, 30, 15))
    before = resolve_clock(settings).clock
    assert before == datetime(2024, 3, 31, 9, 30, 15)
    tick(settings, days=2)
    assert resolve_clock(settings).clock == before + timedelta(days=2)
    placed = newest(settings, schema.sales_order_header.c.orderdate)
    assert before + timedelta(days=1) < placed <= before + timedelta(days=2)
