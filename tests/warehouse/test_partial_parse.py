"""dbt's saved parse (partial parsing) reused only where dbt's own checks miss nothing.

It holds each file's absolute path: reused after the project moved (another clone, virtualenv
or image, the same data directory), it made seeds load from the old path. And a singular test
whose SQL changed was parsed again without the properties its YAML gives it.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest
from warehouse_helpers import settings_in

from velo.settings import Settings
from velo.warehouse import runner

SEED = "us_subdivisions"
# A singular test that reads several models: its YAML names the one Dagster shows it as a check of.
SINGULAR_TEST = "assert_order_line_count_matches_raw"


def copy_project(to: Path) -> Path:
    """The dbt project, its local package included (the link in dbt_packages followed)."""
    shutil.copytree(runner.DBT_PROJECT_DIR, to)
    return to


def singular_test_meta(settings: Settings, name: str) -> dict:
    manifest = runner.read_manifest(runner.dbt_target_dir(settings)) or {}
    return manifest["nodes"][f"test.velo.{name}"]["config"]["meta"]


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


def test_a_singular_test_edited_keeps_the_check_its_yaml_declares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_in(tmp_path / "data")
    runner.ensure_packages(settings)
    project = copy_project(tmp_path / "project" / "dbt_project")
    monkeypatch.setattr(runner, "DBT_PROJECT_DIR", project)
    runner.checked(runner.run_dbt(settings, ["parse"], echo=False))
    declared = singular_test_meta(settings, SINGULAR_TEST)
    assert declared["dagster"]["ref"]["name"] == "fct_sales_order_lines"

    with (project / "tests" / f"{SINGULAR_TEST}.sql").open("a") as sql:
        sql.write("-- edited\n")
    runner.checked(runner.run_dbt(settings, ["parse"], echo=False))

    assert singular_test_meta(settings, SINGULAR_TEST) == declared
