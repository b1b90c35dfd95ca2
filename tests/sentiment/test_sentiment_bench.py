"""`velo bench sentiment` at a tiny scale: both scorers score the same items (no timing asserts)."""

from __future__ import annotations

from velo.bench import run_benchmark
from velo.sentiment.model import load_model


def test_bench_sentiment_reports_both_scorers_over_the_same_items() -> None:
    result = run_benchmark("sentiment", scale=0.01)
    assert set(result) == {"bench", "scale", "figures", "baseline", "ratio"}
    assert result["bench"] == "sentiment" and result["figures"]["items"] == 100
    assert result["figures"]["scorer"] == f"velo-finance {load_model().version}"
    assert result["baseline"]["scorer"].startswith("vader ")
    for side in (result["figures"], result["baseline"]):
        assert side["items_per_s"] > 0 and side["peak_rss_mb"] > 0
    assert result["ratio"] > 0
