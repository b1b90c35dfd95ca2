"""The reconciliation skips its reads only when neither the source nor raw changed since it last
found them equal; any write to either side brings the full comparison back."""

from __future__ import annotations

import time

import duckdb
import pytest
import sqlalchemy as sa
from ingest_helpers import raw_query

from velo.ingest import reconcile, reconciled, run_ingest
from velo.ingest.reconcile import RepairReport, reconcile_raw
from velo.ingest.reconciled import SETTLED_SECONDS, postgres_wal_position, reconciled_path
from velo.settings import Settings
from velo.simulator import schema
from velo.simulator.bulk import open_engine

LINES = schema.sales_order_detail


def settle() -> None:
    """Let the source's file times age past the point where a version can be trusted."""
    time.sleep(SETTLED_SECONDS + 0.1)


def loaded_and_reconciled(company: Settings) -> Settings:
    """The company loaded into raw, reconciled once with its source settled (so recorded)."""
    settle()
    run_ingest(company, ["operations"])
    assert reconciled_path(company).exists()
    return company


def oldest_line(settings: Settings) -> tuple[int, int]:
    engine = open_engine(settings.ops_db_url)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(LINES.c.salesorderid, LINES.c.salesorderdetailid)
            .order_by(LINES.c.modifieddate)
            .limit(1)
        ).one()
    engine.dispose()
    return row[0], row[1]


def change_source(settings: Settings, statement: sa.Executable) -> None:
    engine = open_engine(settings.ops_db_url)
    with engine.begin() as conn:
        conn.execute(statement)
    engine.dispose()


def raw_line_ids(settings: Settings) -> set[int]:
    return {
        row[0] for row in raw_query(settings, "select salesorderdetailid from raw.salesorderdetail")
    }


def reads_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_read(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the reconciliation read a side it had no reason to read")

    monkeypatch.setattr(reconcile, "source_arrow", no_read)
    monkeypatch.setattr(reconcile, "raw_arrow", no_read)


def test_unchanged_sides_are_not_read_again(
    company: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded_and_reconciled(company)
    reads_forbidden(monkeypatch)
    report = reconcile_raw(company)
    assert report.unchanged_since is not None
    assert report.rows_compared == 0
    assert "neither has changed since" in report.summary()


def test_a_row_deleted_in_the_source_is_found_after_a_skip(company: Settings) -> None:
    loaded_and_reconciled(company)
    assert reconcile_raw(company).unchanged_since is not None
    order_id, line_id = oldest_line(company)
    # the cursor cannot see a delete: only the comparison finds it
    change_source(
        company,
        sa.delete(LINES).where(
            LINES.c.salesorderid == order_id, LINES.c.salesorderdetailid == line_id
        ),
    )
    report = reconcile_raw(company)
    assert report.unchanged_since is None
    assert report.tables["salesorderdetail"].deleted == 1
    assert line_id not in raw_line_ids(company)


def test_a_change_without_a_bumped_cursor_is_found_after_a_skip(company: Settings) -> None:
    loaded_and_reconciled(company)
    order_id, line_id = oldest_line(company)
    change_source(
        company,
        sa.update(LINES)
        .where(LINES.c.salesorderid == order_id, LINES.c.salesorderdetailid == line_id)
        .values(orderqty=LINES.c.orderqty + 7),
    )
    report = reconcile_raw(company)
    assert report.tables["salesorderdetail"].reread == 1


def test_a_row_gone_from_raw_is_read_again(company: Settings) -> None:
    loaded_and_reconciled(company)
    _, line_id = oldest_line(company)
    with duckdb.connect(str(company.warehouse_path)) as con:
        con.execute("delete from raw.salesorderdetail where salesorderdetailid = ?", [line_id])
    report = reconcile_raw(company)
    assert report.unchanged_since is None
    assert report.tables["salesorderdetail"].reread == 1
    assert line_id in raw_line_ids(company)


def test_a_source_written_within_the_settling_time_is_compared_and_not_recorded(
    company: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded_and_reconciled(company)
    order_id, line_id = oldest_line(company)
    condition = (LINES.c.salesorderid == order_id) & (LINES.c.salesorderdetailid == line_id)
    change_source(company, sa.update(LINES).where(condition).values(orderqty=LINES.c.orderqty + 1))
    # the write is within the settling time (an hour, so however slow this machine): its file
    # times could not tell it from a write in the same tick, so they prove nothing
    monkeypatch.setattr(reconciled, "SETTLED_SECONDS", 3600.0)
    first = reconcile_raw(company)
    assert first.unchanged_since is None and first.tables["salesorderdetail"].reread == 1
    assert not reconciled_path(company).exists()
    assert reconcile_raw(company).rows_compared > 0


def test_an_unreadable_record_means_compare_again(company: Settings) -> None:
    loaded_and_reconciled(company)
    reconciled_path(company).write_text("{not json")
    report: RepairReport = reconcile_raw(company)
    assert report.unchanged_since is None and report.rows_compared > 0


def test_postgres_write_ahead_position_moves_with_every_committed_write(
    pg_company: Settings,
) -> None:
    engine = open_engine(pg_company.ops_db_url)
    try:
        before = postgres_wal_position(engine)
        order_id, line_id = oldest_line(pg_company)
        change_source(
            pg_company,
            sa.update(LINES)
            .where(LINES.c.salesorderid == order_id, LINES.c.salesorderdetailid == line_id)
            .values(orderqty=LINES.c.orderqty),
        )
        after = postgres_wal_position(engine)
    finally:
        engine.dispose()
    assert before is not None and after is not None
    assert before != after
