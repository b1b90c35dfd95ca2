"""`velo bench ingest` at a tiny scale: both paths copy the same rows (no timing asserts)."""

from __future__ import annotations

from velo.bench import run_benchmark


def test_bench_ingest_reports_both_paths_over_the_same_rows() -> None:
    result = run_benchmark("ingest", scale=0.02)
    assert result["bench"] == "ingest"
    assert result["figures"]["rows"] == result["baseline"]["rows"] > 0
    assert result["figures"]["rows_per_s"] > 0 and result["baseline"]["rows_per_s"] > 0
    assert result["ratio"] > 0
