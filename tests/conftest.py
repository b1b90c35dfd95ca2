"""Shared fixtures: an isolated data directory per test, a real PostgreSQL cluster and a published
sample serving DB."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from velo.serving.sample import publish_sample
from velo.settings import Settings, load_settings
from velo.testing.postgres import PostgresCluster, postgres_cluster

SERVED_AS_OF = date(2014, 6, 30)  # the `served` sample's as-of date


class FileOrFaultSuiteScheduling(LoadScopeScheduling):
    """`make test` spreads the suite over pytest-xdist workers: one file's tests, and the whole
    fault suite, go to one worker, so a module's or the fault suite's expensive fixture (a built
    warehouse, a company run end to end) is built once. (`--dist loadgroup` with xdist_group
    marks does not group under pytest 9: its node-id suffix is lost.)"""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return "tests/faults" if path.startswith("tests/faults/") else path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first: the fault suite, then files with end-to-end (`slow`) tests. Workers take
    files in this order, so short tests fill the gaps at the end instead of one long test
    finishing alone."""
    items.sort(key=start_order)


def start_order(item: pytest.Item) -> int:
    if "faults" in item.path.parts:
        return 0
    return 1 if item.get_closest_marker("slow") else 2


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling:
    return FileOrFaultSuiteScheduling(config, log)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated VELO_DATA_DIR; no velo.toml or other VELO_* variables leak in."""
    import os

    for name in list(os.environ):
        if name.startswith("VELO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    monkeypatch.setenv("VELO_DATA_DIR", str(data))
    return data


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """One real PostgreSQL cluster for the whole session, started by the suite itself."""
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster) -> str:
    """A fresh, empty database on the session's cluster (SQLAlchemy URL, psycopg 3 driver)."""
    return pg_cluster.create_database(f"velo_{uuid.uuid4().hex[:10]}")


@pytest.fixture
def served_as_of() -> date:
    return SERVED_AS_OF


@pytest.fixture
def served(settings: Settings) -> Settings:
    """Settings whose serving DB holds the sample marts, published as of SERVED_AS_OF 23:00."""
    settings = settings.with_overrides(clock=datetime.combine(SERVED_AS_OF, time(23)))
    publish_sample(settings, SERVED_AS_OF, scale=0.05)
    return settings


@pytest.fixture
def record_dbt_build() -> Callable[[Settings, dict[str, Any]], None]:
    """Write a dbt build's run_results.json and merge it into the node-status record publish()
    is gated on, as the platform does after each dbt invocation."""
    from velo.warehouse.run_results import record_run
    from velo.warehouse.runner import dbt_target_dir

    def record(settings: Settings, results: dict[str, Any]) -> None:
        results = {"args": {"which": "build"}, **results}
        target = dbt_target_dir(settings)
        target.mkdir(parents=True, exist_ok=True)
        (target / "run_results.json").write_text(json.dumps(results))
        record_run(settings, results)

    return record
