"""`velo bench dashboard --browser`: what a user waits for, in headless Chromium.

A serving DB is built from the sample warehouse at the scale asked (as in `velo bench dashboard`)
and `velo dashboard`'s Streamlit command serves it on a free loopback port. Timed, from the
moment the browser is told to act until the page is drawn as the browser test defines it
(:func:`velo.testing.browser.wait_until_drawn`: its charts rendered, nothing stale, the script
idle):

- each page's load: cold (its first visit on the fresh server, its queries not cached yet) and
  warm (the median of ``WARM_LOADS`` further visits, every query answered from Streamlit's cache);
- on the overview, a filter change: the USD/EUR toggle and picking one state, each the first time
  (uncached queries) and then back and forth (cached).

Issue #15's goal: a warm page and a filter change each within ``GOAL_SECONDS``. Baseline (same
run): each page's chart queries alone in DuckDB (:func:`velo.bench.dashboard.page_query_seconds`,
the p50s summed). ratio = the overview's warm load / its queries alone — what Streamlit, the
network and the browser add on top of the SQL.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from velo.bench import bench_result
from velo.bench.dashboard import build_serving, page_query_seconds
from velo.duckdb_config import connect_duckdb
from velo.errors import VeloError
from velo.settings import Settings
from velo.testing.browser import (
    launch_chromium,
    pick,
    require_chromium,
    running_dashboard,
    wait_until_drawn,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

GOAL_SECONDS = 1.0  # issue #15: warm page until charts drawn, and a filter change
WARM_LOADS = 5
CACHED_CHANGES = 3  # after the first (uncached) change, back and forth this many times
# page -> (url path, charts it draws, a text it shows once drawn): the browser test's pages
PAGES = {
    "overview": ("", 4, "Velo Cycles — overview"),
    "profitability": ("profitability", 3, "Top products by margin"),
    "data_health": ("data_health", 2, "Last 30 days"),
}
OVERVIEW_CHARTS = PAGES["overview"][1]
STATE = "Texas"
MAP_STATES = "document.querySelectorAll('path.choroplethlocation').length"
# seconds from the navigation's start until the HTML and Streamlit's scripts were loaded
SHELL_LOADED = "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd / 1000"


def lap_seconds(action: Callable[[], object], *stages: Callable[[], None]) -> list[float]:
    """Wall seconds from starting ``action`` until each of ``stages`` (run in turn) returns."""
    start = time.perf_counter()
    action()
    laps = []
    for stage in stages:
        stage()
        laps.append(round(time.perf_counter() - start, 3))
    return laps


def seconds(action: Callable[[], object], until_drawn: Callable[[], None]) -> float:
    return lap_seconds(action, until_drawn)[0]


def visit_laps(page: Page, visit: Callable[[], object], *stages: Callable[[], None]) -> list[float]:
    """One visit's laps: the app shell loaded, then the end of each stage."""
    laps = lap_seconds(visit, *stages)
    return [round(page.evaluate(SHELL_LOADED), 3), *laps]


def page_loads(page: Page, url: str) -> dict[str, dict[str, Any]]:
    """Per page: the first visit, then ``WARM_LOADS`` visits (full navigations: each is a new
    Streamlit session, so only the server's caches carry over).

    Each visit has three laps, to tell what dominates: the app shell loaded (the browser's
    DOMContentLoaded: HTML and Streamlit's JavaScript), the page's title shown (the session
    connected, the script ran the sidebar and sent the title) and the charts drawn."""
    loads: dict[str, dict[str, Any]] = {}
    for name, (path, charts, text) in PAGES.items():
        visit = partial(page.goto, f"{url}/{path}", wait_until="commit")
        shown = page.locator("h1").first.wait_for  # every page's st.title, after the sidebar
        drawn = partial(wait_until_drawn, page, charts, text)
        cold = visit_laps(page, visit, shown, drawn)
        warm = [visit_laps(page, visit, shown, drawn) for _ in range(WARM_LOADS)]
        loads[name] = {
            "cold s": cold[2],
            "warm median s": statistics.median(lap[2] for lap in warm),
            "cold laps s (shell, title, charts)": cold,
            "warm median laps s (shell, title, charts)": [
                statistics.median(lap[stage] for lap in warm) for stage in range(3)
            ],
            "warm s": [lap[2] for lap in warm],
        }
    return loads


def currency_changes(page: Page) -> list[float]:
    """Toggle USD/EUR on the overview until redrawn; the first change (to EUR) is uncached."""
    sidebar = page.get_by_test_id("stSidebar")
    samples = []
    for number in range(1 + CACHED_CHANGES):
        currency = "EUR" if number % 2 == 0 else "USD"
        click = sidebar.get_by_text(currency, exact=True).click
        # the caption names the currency: it is sent before the charts, which stay stale until
        # redrawn, so this waits for the new run, not the old page
        drawn = partial(wait_until_drawn, page, OVERVIEW_CHARTS, f"amounts in {currency}")
        samples.append(seconds(click, drawn))
    return samples


def state_changes(page: Page) -> list[float]:
    """Pick one state, then clear it and pick it again, until the map is redrawn; the first pick
    is uncached (all states were drawn before)."""
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="State")
    title = PAGES["overview"][2]
    samples = []
    for number in range(1 + CACHED_CHANGES):
        if number % 2 == 0:
            action = partial(pick, page, "State", STATE)
            shown = f"{MAP_STATES} === 1"
        else:  # Backspace in the empty input removes the picked state: all states again
            action = partial(box.locator("input").press, "Backspace")
            shown = f"{MAP_STATES} > 1"
        samples.append(
            seconds(action, partial(wait_until_drawn, page, OVERVIEW_CHARTS, title, shown))
        )
    return samples


def first_and_cached(samples: list[float]) -> dict[str, float]:
    return {"first (uncached) s": samples[0], "cached median s": statistics.median(samples[1:])}


def browse(url: str) -> dict[str, Any]:
    """Drive headless Chromium over the running dashboard: page loads, then filter changes."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            loads = page_loads(page, url)
            page.goto(url)
            wait_until_drawn(page, OVERVIEW_CHARTS, "amounts in USD")
            currency = first_and_cached(currency_changes(page))
            state = first_and_cached(state_changes(page))
        finally:
            browser.close()
    return {"pages": loads, "currency": currency, "state": state}


def html_seconds(url: str) -> float:
    """One GET of the app's HTML (the server's floor: no script run, no browser)."""
    import httpx

    start = time.perf_counter()
    httpx.get(url, timeout=10).raise_for_status()
    return round(time.perf_counter() - start, 4)


def queries_alone(settings: Settings) -> dict[str, float]:
    # closed before Streamlit starts: the app opens the file read-only and must not find it
    # locked by a writer
    con = connect_duckdb(settings, settings.serving_path, read_only=True)
    try:
        return page_query_seconds(con)
    finally:
        con.close()


def goal(browsed: dict[str, Any]) -> dict[str, Any]:
    warm = max(load["warm median s"] for load in browsed["pages"].values())
    change = max(browsed[f]["cached median s"] for f in ("currency", "state"))
    first = max(browsed[f]["first (uncached) s"] for f in ("currency", "state"))
    pages_met = warm <= GOAL_SECONDS
    # a user's first change of a filter is uncached: it counts as much as the cached ones
    changes_met = max(change, first) <= GOAL_SECONDS
    return {
        "target s": GOAL_SECONDS,
        "slowest warm page s": warm,
        "slowest cached filter change s": change,
        "slowest first filter change s": first,
        "warm pages met": pages_met,
        "filter changes met": changes_met,
        "met": pages_met and changes_met,
    }


def require_browser() -> None:
    """Fail with one line before building anything when there is no browser to drive."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise VeloError(
            "--browser needs Playwright: install the dev extras (`pip install -e '.[dev]'`)"
        ) from None
    require_chromium()


def run_in_browser(scale: float) -> dict[str, Any]:
    require_browser()
    with tempfile.TemporaryDirectory(prefix="velo-bench-dashboard-browser-") as tmp:
        settings = build_serving(Path(tmp), scale)
        baseline = queries_alone(settings)
        start = time.perf_counter()
        with running_dashboard(settings.data_dir, Path(tmp) / "streamlit.log") as url:
            started = round(time.perf_counter() - start, 3)
            html = html_seconds(url)
            browsed = browse(url)
    figures: dict[str, Any] = {
        "source": "sample warehouse (velo.serving.sample), headless Chromium",
        "server start s": started,
        "html served s": html,
        **{f"{name} page": load for name, load in browsed["pages"].items()},
        "currency change (USD/EUR)": browsed["currency"],
        f"state filter change ({STATE})": browsed["state"],
        "goal (issue #15)": goal(browsed),
    }
    overview_warm = browsed["pages"]["overview"]["warm median s"]
    return bench_result(
        "dashboard",
        scale,
        figures,
        {"page queries alone in DuckDB (p50s summed) s": baseline},
        overview_warm / baseline["overview"] if baseline["overview"] else None,
    )
