"""The dbt project parses for Snowflake (dbt-snowflake in its own cached venv; no connection)."""

from __future__ import annotations

import json
from pathlib import Path

from velo.deploy.static_checks import snowflake_parse
from velo.settings import Settings
from velo.warehouse.runner import ensure_packages


def test_project_parses_for_a_snowflake_target_from_environment_variables(
    settings: Settings, tmp_path: Path
) -> None:
    ensure_packages(settings)

    result = snowflake_parse(tmp_path)

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    nodes = {node["name"]: node for node in manifest["nodes"].values()}
    assert nodes["obt_sales"]["config"]["cluster_by"] == ["order_date"]
    assert nodes["fct_sales_order_lines"]["config"]["contract"]["enforced"] is True
    assert "parse-only" not in json.dumps(manifest)  # the placeholder password stays out
