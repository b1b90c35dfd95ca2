"""The dashboard in a real browser: Streamlit on a free loopback port, headless Chromium.

One implementation for the browser test (tests/dashboard/test_browser.py) and
`velo bench dashboard --browser`: what "the page is drawn" means must be the same in both, or
the bench would time something the test does not check.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from velo.errors import VeloError
from velo.testing.postgres import free_port

if TYPE_CHECKING:  # playwright is a dev dependency: imported only where a browser is driven
    from playwright.sync_api import Browser, Page, Playwright

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
STARTUP_SECONDS = 60
DRAWN_TIMEOUT_MS = 60_000
# Drawn: the page shows ``text``, at least ``charts`` plots hold a rendered .main-svg layer (each
# drawn plot holds several, so plots are counted, not layers), no element is stale (a rerun keeps
# the previous elements, marked stale, until it has sent the new ones) and the script is not
# running. EXTRA is one more JavaScript condition, e.g. how many states the map shows.
DRAWN = """([charts, text]) => document.body.innerText.includes(text)
    && [...document.querySelectorAll('.js-plotly-plot')]
        .filter(p => p.querySelector('.main-svg')).length >= charts
    && !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
    && (EXTRA)"""


@contextmanager
def running_dashboard(data_dir: Path, log_path: Path) -> Iterator[str]:
    """`velo dashboard`'s Streamlit command for this VELO_DATA_DIR on a free loopback port;
    yields its URL once its health endpoint answers, stops it afterwards."""
    from velo.dashboard.server import streamlit_command

    port = free_port()
    env = {**os.environ, "VELO_DATA_DIR": str(data_dir)}
    with log_path.open("w") as log:
        process = subprocess.Popen(streamlit_command(port), env=env, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, process, log_path)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise VeloError(f"streamlit exited: {log_tail(log)}")
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise VeloError(f"streamlit did not answer on {url} in {STARTUP_SECONDS} s: {log_tail(log)}")


def log_tail(log: Path) -> str:
    """The end of the server's log, on one line (the CLI prints errors as one line)."""
    return " | ".join(log.read_text().strip().splitlines()[-5:]) or "(empty log)"


def require_chromium() -> str:
    """The system's Chromium (not one Playwright downloads: the machine may be offline)."""
    if not Path(CHROMIUM).exists():
        raise VeloError(
            f"Chromium not found at {CHROMIUM}: install it (`apt-get install chromium`, "
            "as `make test` does)"
        )
    return CHROMIUM


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Chromium without network side traffic."""
    return playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)


def wait_until_drawn(page: Page, charts: int, text: str, extra: str = "true") -> None:
    """Wait until the page shows ``text`` and its ``charts`` charts, drawn and not stale (and
    the JavaScript condition ``extra`` holds)."""
    predicate = DRAWN.replace("EXTRA", extra)
    page.wait_for_function(predicate, arg=[charts, text], timeout=DRAWN_TIMEOUT_MS, polling="raf")


def pick(page: Page, label: str, option: str) -> None:
    """Choose ``option`` in the sidebar multiselect labelled ``label``."""
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text=label)
    box.locator("input").fill(option)
    page.get_by_role("option", name=option, exact=False).first.click()
    page.keyboard.press("Escape")
