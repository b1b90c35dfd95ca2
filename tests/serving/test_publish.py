"""publish(): marts copied into a new file, swapped in atomically; readers read-only."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import velo
from velo.cli import app
from velo.errors import VeloError
from velo.serving import open_serving, publish
from velo.serving.publish import FX_MARTS, REWRITE_GROWTH, SERVED_MARTS, whole_size_path
from velo.settings import Settings
from velo.warehouse.run_results import summary
from velo.warehouse.runner import DBT_PROJECT_DIR, dbt_target_dir, mart_contract


@pytest.fixture
def served(served: Settings, record_dbt_build: Callable[[Settings, dict], None]) -> Settings:
    """The sample, published; then a passed dbt build recorded, so it may be published again."""
    record_dbt_build(served, {"results": []})
    return served


def test_publish_copies_marts_health_and_log(served: Settings) -> None:
    con = open_serving(served)
    try:
        for table in ("obt_sales_order_lines", "fct_fx_rates_hourly", "fct_sentiment_daily"):
            served_rows = con.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0]
            assert served_rows > 0
        published = con.execute("SELECT published_at, tables FROM marts.publish_log").fetchall()
        assert published[0][0] == datetime(2014, 6, 30, 23, 0)
        assert json.loads(published[0][1])["obt_sales_order_lines"] > 0
        health = dict(con.execute("SELECT source, status FROM marts.data_health").fetchall())
        assert health == {"operations": "fresh", "fx": "fresh", "sentiment": "fresh"}
        rows_last = con.execute(
            "SELECT rows_last_load, total_rows FROM marts.data_health WHERE source = 'operations'"
        ).fetchone()
        assert 0 < rows_last[0] < rows_last[1]  # only the orders touched by the last load
    finally:
        con.close()
    leftovers = [p for p in Path(served.serving_path).parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_serving_db_is_read_only(served: Settings) -> None:
    con = open_serving(served)
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM marts.obt_sales_order_lines")
    con.close()


def test_missing_serving_db_says_run_make_run(settings: Settings) -> None:
    with pytest.raises(VeloError, match=r"no serving database at .*: run `make run` first"):
        open_serving(settings)


def test_failed_publish_keeps_the_old_serving_file(served: Settings) -> None:
    before = Path(served.serving_path).read_bytes()
    with duckdb.connect(str(served.warehouse_path)) as wh:
        wh.execute("DROP TABLE marts.fct_sentiment_daily")
    with pytest.raises(VeloError, match=r"lacks marts\.fct_sentiment_daily"):
        publish(served)
    assert Path(served.serving_path).read_bytes() == before
    assert not list(Path(served.serving_path).parent.glob("*.tmp"))


def test_republish_swaps_in_new_data_while_a_reader_is_open(served: Settings) -> None:
    reader = open_serving(served)
    old_rows = reader.execute("SELECT count(*) FROM marts.obt_sales_order_lines").fetchone()[0]
    with duckdb.connect(str(served.warehouse_path)) as wh:
        wh.execute("DELETE FROM marts.obt_sales_order_lines WHERE order_date < DATE '2014-06-01'")
    publish(served)
    # the open reader keeps its consistent (old) snapshot; a new reader sees the new file
    assert (
        reader.execute("SELECT count(*) FROM marts.obt_sales_order_lines").fetchone()[0] == old_rows
    )
    reader.close()
    fresh = open_serving(served)
    assert (
        fresh.execute("SELECT count(*) FROM marts.obt_sales_order_lines").fetchone()[0] < old_rows
    )
    fresh.close()


def test_no_warehouse_is_one_clear_error(settings: Settings) -> None:
    with pytest.raises(VeloError, match="no warehouse at"):
        publish(settings)


def test_run_results_summary_counts_models_and_tests() -> None:
    results = {
        "metadata": {"generated_at": "2014-06-30T23:01:02.5Z"},
        "args": {"which": "build"},
        "elapsed_time": 12.5,
        "results": [
            {"unique_id": "model.velo.obt_sales_order_lines", "status": "success"},
            {"unique_id": "snapshot.velo.products", "status": "success"},
            {"unique_id": "model.velo.broken", "status": "error"},
            {"unique_id": "test.velo.not_null_x", "status": "pass"},
            {"unique_id": "test.velo.freshish", "status": "warn"},
            {"unique_id": "test.velo.unique_y", "status": "fail"},
            {"unique_id": "unit_test.velo.margin", "status": "pass"},
            {"unique_id": "test.velo.skipped", "status": "skipped"},
        ],
    }
    assert summary(results) == (
        datetime(2014, 6, 30, 23, 1, 2, 500000),
        "build",
        12.5,
        2,
        1,
        2,
        1,
        1,
    )


def test_cli_publish(served: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELO_CLOCK", "2014-07-01T08:00:00")
    result = CliRunner().invoke(app, ["publish"])
    assert result.exit_code == 0, result.output
    assert "marts.obt_sales_order_lines" in result.output
    con = open_serving(served)
    assert con.execute("SELECT max(published_at) FROM marts.publish_log").fetchone()[0] == (
        datetime(2014, 7, 1, 8, 0)
    )
    con.close()


def test_a_source_whose_newest_data_is_older_than_its_window_is_stale(served: Settings) -> None:
    with duckdb.connect(str(served.warehouse_path)) as wh:
        # The newest rate's hour 3 h before the served clock (fx: stale after 2 h); loads as
        # recent as they were: freshness is the data's time on the platform clock.
        (newest,) = wh.execute("SELECT max(rate_at) FROM raw.fx_rates").fetchone()
        wh.execute(
            "UPDATE raw.fx_rates SET rate_at = rate_at - (? - ?)",
            [newest, served.clock - timedelta(hours=3)],
        )
        wh.execute("DELETE FROM raw.sentiment")
    publish(served)
    con = open_serving(served)
    health = {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT source, status, age_hours, rows_last_load FROM marts.data_health"
        ).fetchall()
    }
    con.close()
    assert health["fx"][:2] == ("stale", 3.0)
    assert health["sentiment"] == ("never loaded", None, 0)
    assert health["operations"][0] == "fresh"


def test_publish_removes_temp_files_of_dead_publishes_only(served: Settings) -> None:
    import os
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # its pid names no live process now
    folder = Path(served.serving_path).parent
    name = Path(served.serving_path).name
    stale = [folder / f".{name}.{dead.pid}.tmp", folder / f".{name}.{dead.pid}.tmp.wal"]
    in_progress = folder / f".{name}.{os.getppid()}.tmp"  # a live process's publish
    for path in [*stale, in_progress]:
        path.write_bytes(b"partial")
    publish(served)
    assert [path.exists() for path in stale] == [False, False]
    assert in_progress.exists()


def served_rows(settings: Settings, table: str) -> list[tuple]:
    with open_serving(settings) as con:
        return con.execute(f"SELECT * FROM marts.{table} ORDER BY ALL").fetchall()


def test_the_fx_refresh_replaces_only_the_fx_mart(
    served: Settings, record_dbt_build: Callable[[Settings, dict], None]
) -> None:
    """`publish(FX_MARTS, keep_published=True)`: the warehouse's new FX rows are served; every
    other mart and the daily build's results stay as published, though the warehouse moved on."""
    record_dbt_build(served, {"results": [{"unique_id": "test.velo.a_warning", "status": "warn"}]})
    publish(served)  # the daily build, with one warning
    sales, issues = (
        served_rows(served, "obt_sales_order_lines"),
        served_rows(served, "dbt_test_issues"),
    )
    with duckdb.connect(str(served.warehouse_path)) as wh:
        wh.execute("DELETE FROM marts.obt_sales_order_lines WHERE order_date < DATE '2014-06-01'")
        wh.execute(
            "INSERT INTO marts.fct_fx_rates_hourly SELECT rate_hour + INTERVAL 1 HOUR, "
            "base_currency, quote_currency, rate, inverse_rate FROM marts.fct_fx_rates_hourly "
            "ORDER BY rate_hour DESC LIMIT 1"
        )
        fx = wh.execute("SELECT * FROM marts.fct_fx_rates_hourly ORDER BY ALL").fetchall()
    record_dbt_build(served, {"results": [{"unique_id": "test.velo.fx_ok", "status": "pass"}]})

    report = publish(served, FX_MARTS, keep_published=True)

    assert set(report.tables) == {*FX_MARTS, "data_health"}
    assert served_rows(served, "fct_fx_rates_hourly") == fx
    assert served_rows(served, "obt_sales_order_lines") == sales
    assert served_rows(served, "dbt_test_issues") == issues and len(issues) == 1
    (logged,) = served_rows(served, "publish_log")
    assert set(json.loads(logged[-1])) == set(FX_MARTS)


def readers_text() -> str:
    """The dashboard's, the answers', the reconciliation's and the compiled metrics' code."""
    package = Path(velo.__file__).parent
    readers = [
        package / "serving/compiled_metrics.json",
        *(package / "serving").glob("[!_]*.py"),
        *(package / "dashboard").rglob("*.py"),
    ]
    writers = {"publish.py", "sample.py", "semantic.py"}  # they write marts, or compile the SQL
    return "\n".join(path.read_text() for path in readers if path.name not in writers)


def test_publish_copies_the_marts_the_readers_read_and_no_other() -> None:
    """Every dbt mart named by the dashboard, the answers, the reconciliation or the compiled
    metrics is published, and nothing else (each publish copies every row it publishes)."""
    dbt_marts = {path.stem for path in (DBT_PROJECT_DIR / "models/marts").glob("*.sql")}
    read = set(re.findall(r"marts\.(\w+)", readers_text()))
    assert read & dbt_marts == set(SERVED_MARTS)


def test_publish_copies_the_columns_the_readers_read_and_the_key() -> None:
    """A mart served in part has every column of its contract that a reader names, the key it
    is updated by, and no other, in the contract's order."""
    text = readers_text()
    for mart, columns in SERVED_MARTS.items():
        if columns is None:
            continue
        contract = [name for name, _ in mart_contract(mart)]
        named = {name for name in contract if re.search(rf"\b{name}\b", text)}
        sql = (DBT_PROJECT_DIR / "models/marts" / f"{mart}.sql").read_text()
        (key,) = re.findall(r"unique_key\s*=\s*['\"](\w+)['\"]", sql)
        assert set(columns) == {*named, key}, mart
        assert list(columns) == [name for name in contract if name in columns], mart


def test_publish_serves_the_declared_columns_and_the_warehouse_keeps_all(
    served: Settings,
) -> None:
    for mart, columns in SERVED_MARTS.items():
        contract = [name for name, _ in mart_contract(mart)]
        with open_serving(served) as con:
            described = [row[0] for row in con.execute(f"DESCRIBE marts.{mart}").fetchall()]
        with duckdb.connect(str(served.warehouse_path), read_only=True) as wh:
            built = [row[0] for row in wh.execute(f"DESCRIBE marts.{mart}").fetchall()]
        assert described == list(columns or contract), mart
        assert built == contract, mart


def record_unique_keys(settings: Settings, keys: dict[str, str]) -> None:
    """The part of dbt's manifest.json publish reads: the models' unique keys."""
    nodes = {
        f"model.velo.{name}": {
            "name": name,
            "resource_type": "model",
            "config": {"unique_key": key},
        }
        for name, key in keys.items()
    }
    (dbt_target_dir(settings) / "manifest.json").write_text(json.dumps({"nodes": nodes}))


def change_sales_in_warehouse(settings: Settings) -> None:
    """Lines deleted, lines whose values change (a product renamed, a status corrected), and
    new lines: what a daily build does to the sales one-big-table."""
    with duckdb.connect(str(settings.warehouse_path)) as wh:
        wh.execute("DELETE FROM marts.obt_sales_order_lines WHERE order_date < DATE '2014-06-03'")
        wh.execute(
            "UPDATE marts.obt_sales_order_lines SET product_name = product_name || ' Mk II' "
            "WHERE product_id = (SELECT min(product_id) FROM marts.obt_sales_order_lines)"
        )
        wh.execute(
            "UPDATE marts.obt_sales_order_lines SET status_code = 4, is_revenue_status = false "
            "WHERE sales_order_line_id % 7 = 0"
        )
        wh.execute(
            "INSERT INTO marts.obt_sales_order_lines SELECT * REPLACE "
            "(sales_order_line_id + 10000000 AS sales_order_line_id) "
            "FROM marts.obt_sales_order_lines WHERE order_date >= DATE '2014-06-29'"
        )


def warehouse_rows(settings: Settings, table: str) -> list[tuple]:
    """The warehouse's rows of ``table`` as publish serves them (its served columns)."""
    columns = ", ".join(SERVED_MARTS.get(table) or ["*"])
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as wh:
        return wh.execute(f"SELECT {columns} FROM marts.{table} ORDER BY ALL").fetchall()


def test_the_daily_publish_updates_the_sales_table_by_key(served: Settings) -> None:
    """Published whole once, then the warehouse's lines deleted, changed and added: the next
    publish updates the served copy by key, and it equals the warehouse's table row for row."""
    record_unique_keys(served, {"obt_sales_order_lines": "sales_order_line_id"})
    publish(served)  # written whole: this is the size it may grow from
    change_sales_in_warehouse(served)
    fx = warehouse_rows(served, "fct_fx_rates_hourly")

    report = publish(served)

    assert report.updated == ("obt_sales_order_lines",)
    assert served_rows(served, "obt_sales_order_lines") == warehouse_rows(
        served, "obt_sales_order_lines"
    )
    assert served_rows(served, "fct_fx_rates_hourly") == fx
    with open_serving(served) as con:
        logged = json.loads(con.execute("SELECT tables FROM marts.publish_log").fetchone()[0])
    assert logged["obt_sales_order_lines"] == len(warehouse_rows(served, "obt_sales_order_lines"))


def test_publish_copies_whole_when_keys_are_unknown_columns_changed_or_the_file_grew(
    served: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(served)
    assert publish(served).updated == ()  # no manifest: no unique keys known
    record_unique_keys(served, {"obt_sales_order_lines": "sales_order_line_id"})
    with duckdb.connect(str(served.warehouse_path)) as wh:
        wh.execute("ALTER TABLE marts.obt_sales_order_lines ADD COLUMN note VARCHAR DEFAULT 'x'")
    assert publish(served).updated == ("obt_sales_order_lines",)  # a column nobody reads
    with duckdb.connect(str(served.warehouse_path)) as wh:
        wh.execute("ALTER TABLE marts.obt_sales_order_lines ALTER order_quantity TYPE BIGINT")
    assert publish(served).updated == ()  # a served column's type changed
    with open_serving(served) as con:
        assert con.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'obt_sales_order_lines' AND column_name = 'order_quantity'"
        ).fetchall() == [("BIGINT",)]
    assert publish(served).updated == ("obt_sales_order_lines",)
    # the sample is small (`velo.serving.publish` names the function: the module by import)
    monkeypatch.setattr(importlib.import_module("velo.serving.publish"), "REWRITE_SLACK_BYTES", 0)
    size = Path(served.serving_path).stat().st_size
    whole_size_path(served).write_text(json.dumps({"bytes": int(size / REWRITE_GROWTH) - 1}))
    assert publish(served).updated == ()  # grown past REWRITE_GROWTH: written whole again
    assert json.loads(whole_size_path(served).read_text())["bytes"] == (
        Path(served.serving_path).stat().st_size
    )
