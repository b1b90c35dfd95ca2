"""Benchmarks: `velo bench NAME [--scale N] [--json]`.

Every benchmark measures the platform's path and, in the same run, a baseline doing the same
work another way, and reports both with their ratio. Benchmarks live in one module each, with a
``run(scale: float) -> dict`` built by :func:`bench_result`.
"""

from __future__ import annotations

import importlib
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from velo.errors import UsageError
from velo.settings import Settings, load_settings

# name -> (module, default scale). Modules are imported only when their benchmark runs.
BENCHMARKS: dict[str, tuple[str, float]] = {
    "sim": ("velo.bench.sim", 1.0),
    "run": ("velo.bench.run", 1.0),
    "ingest": ("velo.bench.ingest", 1.0),
    "transform": ("velo.bench.transform", 1.0),
    "dashboard": ("velo.bench.dashboard", 1.0),
    "sentiment": ("velo.bench.sentiment", 1.0),
    "reconcile": ("velo.bench.reconcile", 1.0),
}

T = TypeVar("T")


def bench_result(
    name: str, scale: float, figures: dict[str, Any], baseline: dict[str, Any], ratio: float | None
) -> dict[str, Any]:
    return {
        "bench": name,
        "scale": scale,
        "figures": figures,
        "baseline": baseline,
        "ratio": None if ratio is None else round(ratio, 3),
    }


@contextmanager
def bench_settings(name: str) -> Iterator[Settings]:
    """Settings rooted in a temporary data directory, removed afterwards.

    Only VELO_DATA_DIR is set: a benchmark never touches ./data nor inherits the caller's
    velo.toml or VELO_* variables, so runs compare.
    """
    with tempfile.TemporaryDirectory(prefix=f"velo-bench-{name}-") as tmp:
        root = Path(tmp)
        yield load_settings(env={"VELO_DATA_DIR": str(root / "data")}, cwd=root)


def timed(func: Callable[[], T]) -> tuple[float, T]:
    """Wall seconds of one call, and its result."""
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_benchmark(name: str, scale: float | None = None, **options: Any) -> dict[str, Any]:
    """Run one benchmark; ``options`` (``browser=True`` for dashboard) go to its ``run``."""
    if name not in BENCHMARKS:
        raise UsageError(f"unknown benchmark '{name}' (known: {', '.join(sorted(BENCHMARKS))})")
    module_name, default_scale = BENCHMARKS[name]
    module = importlib.import_module(module_name)
    return module.run(default_scale if scale is None else scale, **options)
