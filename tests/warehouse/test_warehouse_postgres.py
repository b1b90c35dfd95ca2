"""The same dbt project on a real PostgreSQL warehouse (raw loaded by dlt's PostgreSQL target)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from warehouse_helpers import create_company, ops_rows, settings_in

from velo.warehouse.runner import transform


def test_project_builds_on_postgres(tmp_path: Path, pg_url: str) -> None:
    settings = settings_in(tmp_path / "data", warehouse="postgres", warehouse_url=pg_url)
    create_company(settings)
    result = transform(settings)
    assert result.success and not result.failed
    assert sum(node.is_test for node in result.nodes) > 111

    (lines,) = ops_rows(settings, "select count(*) from salesorderdetail")
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            schemas = set(conn.execute(sa.text("select nspname from pg_namespace")).scalars())
            assert {"raw", "staging", "intermediate", "snapshots", "marts"} <= schemas
            count = conn.execute(
                sa.text("select count(*) from marts.obt_sales_order_lines")
            ).scalar_one()
            states = (
                conn.execute(
                    sa.text(
                        "select distinct ship_state_code from marts.obt_sales_order_lines "
                        "where ship_country_code = 'US'"
                    )
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    assert count == lines[0]
    assert states and all(code.startswith("US-") for code in states)
