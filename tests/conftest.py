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

from velo.serving.sample import publish_sample
from velo.settings import Settings, load_settings
from velo.testing.postgres import PostgresCluster, postgres_cluster

SERVED_AS_OF = date(2014, 6, 30)  # the `served` sample's as-of date


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
    """Write a dbt build's run_results.json where publish() reads it (its gate)."""
    from velo.warehouse.runner import dbt_target_dir

    def record(settings: Settings, results: dict[str, Any]) -> None:
        target = dbt_target_dir(settings)
        target.mkdir(parents=True, exist_ok=True)
        (target / "run_results.json").write_text(json.dumps(results))

    return record
