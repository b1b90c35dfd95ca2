"""`velo bench reconcile`: what proving the numbers against the source costs.

One run, in a temporary data directory: a company with a year of history at the scale, loaded
into raw (`velo ingest operations`, without the reconciliation), then

- the figures: the reconciliation of raw with the operations DB on an unchanged source (every
  changing table read on both sides, keys and checksums compared), and the operations side of
  `velo reconcile` (the headline figures recomputed from the operations DB with plain SQL);
- the baseline: an unchanged incremental load (what the cursor alone costs each day).

The ratio is reconciliation / unchanged incremental load.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from velo.bench import bench_result, bench_settings, peak_rss_mb, timed
from velo.ingest import run_ingest
from velo.ingest.reconcile import reconcile_raw
from velo.serving.reconcile import source_figures
from velo.simulator.company import init_company

AS_OF = date(2024, 12, 31)  # fixed, so runs on different days compare


def run(scale: float) -> dict[str, Any]:
    with bench_settings("reconcile") as settings:
        init_company(settings, days=365, scale=scale, seed=settings.seed, as_of=AS_OF)
        run_ingest(settings, ["operations"], reconcile=False)
        load_seconds, _ = timed(lambda: run_ingest(settings, ["operations"], reconcile=False))
        seconds, report = timed(lambda: reconcile_raw(settings))
        figures_seconds, figures = timed(lambda: source_figures(settings, AS_OF))
    return bench_result(
        "reconcile",
        scale,
        figures={
            "method": "raw vs operations DB: keys + row checksums, every changing table",
            "rows_compared": report.rows_compared,
            "seconds": round(seconds, 3),
            "rows_per_s": round(report.rows_compared / seconds),
            "repaired": report.repaired,
            "velo_reconcile_source_seconds": round(figures_seconds, 3),
            "headline_figures": len(figures),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        },
        baseline={
            "method": "unchanged incremental load of the operations DB (cursor only)",
            "seconds": round(load_seconds, 3),
        },
        ratio=seconds / load_seconds,
    )
