"""A data directory kept while the dbt project moves: another clone, virtualenv or image.

dbt's saved parse (partial parsing) holds each file's absolute path; reused after a move, it
makes the seeds load from the old path.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest
from warehouse_helpers import settings_in

from velo.warehouse import runner

SEED = "us_subdivisions"


def copy_project(to: Path) -> Path:
    """The dbt project, its local package included (the link in dbt_packages followed)."""
    shutil.copytree(runner.DBT_PROJECT_DIR, to)
    return to


def seed_rows(csv_path: Path) -> int:
    with csv_path.open(newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_a_moved_project_loads_its_seeds_from_where_it_is_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_in(tmp_path / "data")
    runner.ensure_packages(settings)  # in the project the copies are made from
    first = copy_project(tmp_path / "first" / "dbt_project")
    monkeypatch.setattr(runner, "DBT_PROJECT_DIR", first)
    assert runner.run_dbt(settings, ["seed", "--select", SEED], echo=False).success

    moved = tmp_path / "moved"
    (tmp_path / "first").rename(moved)  # nothing is left at the first path
    monkeypatch.setattr(runner, "DBT_PROJECT_DIR", moved / "dbt_project")
    result = runner.run_dbt(settings, ["seed", "--select", SEED], echo=False)

    assert result.success, [node.message for node in result.failed] or result.error
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        (loaded,) = con.execute(f"select count(*) from staging.{SEED}").fetchone()
    assert loaded == seed_rows(moved / "dbt_project" / "seeds" / f"{SEED}.csv")
