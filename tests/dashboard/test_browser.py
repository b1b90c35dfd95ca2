"""A real browser on the running app: headless Chromium loads every page, waits for the charts,
and saves the screenshots README shows (docs/screenshots/<page>.png)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from velo.settings import Settings
from velo.testing.browser import launch_chromium, pick, running_dashboard, wait_until_drawn

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# page url path -> (screenshot name, charts it must draw, a text it must show)
PAGES = {
    "": ("overview", 4, "Velo Cycles — overview"),
    "profitability": ("profitability", 3, "Top products by margin"),
    "data_health": ("data_health", 2, "Last 30 days"),
}

pytestmark = pytest.mark.browser


@pytest.fixture
def dashboard_url(
    served: Settings,
    failing_build: dict,
    dagster_webserver: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[str]:
    """The sample after a dbt build with a warning and a failing test, the Dagster UI (a
    loopback stand-in) answering: the data-health screenshot shows both."""
    monkeypatch.setenv("VELO_DAGSTER_URL", dagster_webserver)
    with running_dashboard(served.data_dir, tmp_path / "streamlit.log") as url:
        yield url


def check_page(page: Page, url: str | None, charts: int, text: str) -> None:
    """Open ``url`` (None: stay, the page was reached by a click) and wait for its charts."""
    if url is not None:
        page.goto(url, wait_until="domcontentloaded")
    page.get_by_text(text, exact=False).first.wait_for(timeout=60_000)
    if charts:
        wait_until_drawn(page, charts, text)
        assert page.locator(".js-plotly-plot").count() == charts
    page.wait_for_timeout(1500)  # let the plotly transitions settle for the screenshot
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Traceback").count() == 0


def screenshot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def check_build_and_dagster(page: Page) -> None:
    """The recorded build's failing and warning tests are listed, the Dagster UI is linked."""
    page.get_by_text("Open the Dagster UI").wait_for(timeout=10_000)
    assert page.get_by_text("dbt tests failing or warning in the last build").count() == 1
    # tables: sources, test issues, sentiment scorer. The grid draws on a canvas; its accessible
    # table holds the raw values (the display formats are checked in test_pages).
    issues = page.get_by_test_id("stDataFrame").nth(1).locator("td").all_text_contents()
    assert issues[:3] == ["assert_revenue_reconciles", "fail", "1234"], issues
    assert issues[4:7] == ["accepted_range_qty", "warn", "3"], issues


def colour_bar_ticks(page: Page) -> list[str]:
    return page.locator(".js-plotly-plot .colorbar .cbaxis text").all_text_contents()


def hover_text(page: Page, target: str) -> str:
    page.locator(target).first.hover(force=True)
    page.locator(".hoverlayer .hovertext").first.wait_for(timeout=10_000)
    return " ".join(page.locator(".hoverlayer .hovertext").all_text_contents())


def test_every_page_renders_in_chromium(dashboard_url: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            for path, (name, charts, text) in PAGES.items():
                check_page(page, f"{dashboard_url}/{path}", charts, text)
                if name == "overview":  # the map shape came from the app's own static file
                    assert page.locator("path.choroplethlocation").count() >= 8
                    assert "Revenue: $" in hover_text(page, ".js-plotly-plot .bars path")
                if name == "data_health":
                    check_build_and_dagster(page)
                screenshot(page, name)
        finally:
            browser.close()


def test_one_state_in_euros_in_chromium(dashboard_url: str) -> None:
    """A user narrows to Texas and switches to EUR; the choice follows to the next page."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            check_page(page, dashboard_url, 4, "Velo Cycles — overview")
            pick(page, "State", "Texas")
            page.wait_for_function(
                "document.querySelectorAll('path.choroplethlocation').length === 1",
                timeout=60_000,
            )
            page.get_by_test_id("stSidebar").get_by_text("EUR", exact=True).click()
            check_page(page, None, 4, "amounts in EUR")
            ticks = colour_bar_ticks(page)
            assert len(ticks) >= 3 and all(tick.startswith("€") for tick in ticks[1:]), ticks
            assert len(set(ticks)) == len(ticks), ticks  # a real scale, not one value repeated
            tooltip = hover_text(page, ".js-plotly-plot .bars path")
            assert "Revenue: €" in tooltip and "," in tooltip, tooltip
            screenshot(page, "overview_one_state_eur")

            page.get_by_test_id("stSidebarNav").get_by_text("Profitability").click()
            check_page(page, None, 3, "Top products by margin")
            assert page.get_by_test_id("stSidebar").get_by_text("Texas").count() >= 1
            assert page.get_by_text("amounts in EUR").count() == 1
            screenshot(page, "profitability_one_state_eur")
        finally:
            browser.close()
