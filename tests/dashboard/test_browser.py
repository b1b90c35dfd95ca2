"""A real browser on the running app: headless Chromium loads every page, waits for the charts,
and saves the screenshots README shows (docs/screenshots/<page>.png)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from velo.dashboard.server import streamlit_command
from velo.settings import Settings

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
# page url path -> (screenshot name, charts it must draw, a text it must show)
PAGES = {
    "": ("overview", 4, "Velo Cycles — overview"),
    "profitability": ("profitability", 3, "Top products by margin"),
    "data_health": ("data_health", 0, "Sources"),
}

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dashboard_url(served: Settings, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "VELO_DATA_DIR": str(served.data_dir)}
    log = (tmp_path / "streamlit.log").open("w")
    process = subprocess.Popen(streamlit_command(port), env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, tmp_path / "streamlit.log")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"streamlit exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"streamlit did not answer on {url}: {log.read_text()}")


def check_page(page: Page, url: str, charts: int, text: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text(text, exact=False).first.wait_for(timeout=60_000)
    if charts:
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}",
            timeout=60_000,
        )
        assert page.locator(".js-plotly-plot").count() == charts
    page.wait_for_timeout(1500)  # let the plotly transitions settle for the screenshot
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Traceback").count() == 0


def test_every_page_renders_in_chromium(dashboard_url: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            for path, (name, charts, text) in PAGES.items():
                check_page(page, f"{dashboard_url}/{path}", charts, text)
                if name == "overview":  # the map shape came from the app's own static file
                    assert page.locator("path.choroplethlocation").count() >= 8
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
                assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
        finally:
            browser.close()
