"""`velo bench dashboard --browser`: the pages and filter changes timed in headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from velo.bench import dashboard_browser
from velo.cli import app
from velo.testing import browser

runner = CliRunner()


def positive(value: object) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool) and value > 0


@pytest.mark.browser
def test_browser_bench_prints_page_and_filter_times(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one warm load and one cached change are enough to check the shape, and keep this quick
    monkeypatch.setattr(dashboard_browser, "WARM_LOADS", 1)
    monkeypatch.setattr(dashboard_browser, "CACHED_CHANGES", 1)
    result = runner.invoke(app, ["bench", "dashboard", "--browser", "--scale", "0.02", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"bench", "scale", "figures", "baseline", "ratio"}
    assert (out["bench"], out["scale"]) == ("dashboard", 0.02)
    figures = out["figures"]
    for name in ("overview", "profitability", "data_health"):
        page = figures[f"{name} page"]
        assert positive(page["cold s"]) and positive(page["warm median s"]), page
        shell, title, charts = page["warm median laps s (shell, title, charts)"]
        assert 0 < shell <= title <= charts == page["warm median s"], page
        assert positive(out["baseline"]["page queries alone in DuckDB (p50s summed) s"][name])
    for change in ("currency change (USD/EUR)", "state filter change (Texas)"):
        assert positive(figures[change]["first (uncached) s"]), figures[change]
        assert positive(figures[change]["cached median s"]), figures[change]
    goal = figures["goal (issue #15)"]
    assert goal["target s"] == 1.0 and isinstance(goal["met"], bool)
    assert positive(figures["server start s"]) and positive(out["ratio"])


def test_browser_bench_without_chromium_is_one_line(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", "/nonexistent/chromium")
    result = runner.invoke(app, ["bench", "dashboard", "--browser", "--scale", "0.02"])
    assert result.exit_code == 1
    assert "Chromium not found at /nonexistent/chromium" in result.output
    assert "Traceback" not in result.output


def test_browser_flag_is_for_the_dashboard_bench_only(data_dir: Path) -> None:
    result = runner.invoke(app, ["bench", "sim", "--browser"])
    assert result.exit_code == 2
    assert "--browser applies to `velo bench dashboard` only" in result.output
