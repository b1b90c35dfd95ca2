"""The dbt project on DuckDB, built from a small simulated company through the real path."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner
from warehouse_helpers import (
    AS_OF,
    mart_tables,
    ops_rows,
    settings_in,
    table_columns,
    warehouse_rows,
)

from velo.bench.run import execute_compiled_sql
from velo.cli import app
from velo.clock import FIXED, end_of_day
from velo.duckdb_config import SPILL_DIR
from velo.errors import VeloError
from velo.ingest import run_ingest
from velo.orchestration import fx_rates, operations, sentiment
from velo.orchestration.resources import SettingsResource
from velo.runtime import platform
from velo.sentiment.model import load_model
from velo.serving.publish import SERVED_MARTS, publish
from velo.settings import Settings
from velo.simulator.company import tick
from velo.warehouse import runner
from velo.warehouse.run_results import last_build
from velo.warehouse.runner import (
    DbtResult,
    TransformError,
    dbt_log_dir,
    dbt_target_dir,
    invoke,
    mart_contract,
    transform,
)


def test_dbt_log_file_has_each_node_result_but_not_each_statement(
    built: tuple[Settings, DbtResult],
) -> None:
    settings, result = built
    log = (dbt_log_dir(settings) / "dbt.log").read_text()
    models = [node for node in result.nodes if node.resource_type == "model"]
    assert all(f".{node.unique_id.split('.')[-1]} " in log for node in models)
    assert '"app": "dbt"' not in log  # dbt's comment on every statement it logs at debug


def test_build_passes_with_more_than_111_data_tests(built: tuple[Settings, DbtResult]) -> None:
    _, result = built
    assert result.success and not result.failed and not result.warned
    kinds = defaultdict(int)
    for node in result.nodes:
        kinds[node.resource_type] += 1
    assert kinds["test"] > 111
    assert kinds["unit_test"] >= 2
    assert kinds["snapshot"] == 1
    assert kinds["saved_query"] >= 11  # the dashboard's questions (no exports: no-op nodes)
    assert all(
        node.status in ("success", "pass")
        for node in result.nodes
        if node.resource_type != "saved_query"
    )


def test_schemas_are_the_layer_names(built: tuple[Settings, DbtResult]) -> None:
    settings, _ = built
    schemas = {
        name
        for (name,) in warehouse_rows(
            settings, "select schema_name from information_schema.schemata"
        )
    }
    assert {"raw", "staging", "intermediate", "snapshots", "marts"} <= schemas
    assert not [name for name in schemas if name.startswith("main_")]
    assert {
        "fct_sales_order_lines",
        "fct_work_orders",
        "dim_product",
        "dim_customer",
        "dim_address",
        "dim_credit_card",
        "dim_order_status",
        "dim_date",
        "obt_sales_order_lines",
        "obt_work_orders",
        "fct_fx_rates_hourly",
        "fct_sentiment_daily",
    } <= set(mart_tables(settings))


def test_marts_have_the_contract_columns(built: tuple[Settings, DbtResult]) -> None:
    settings, _ = built
    for table in SERVED_MARTS:
        expected = [name for name, _ in mart_contract(table)]
        assert table_columns(settings, table) == expected, table
        (rows,) = warehouse_rows(settings, f"select count(*) from marts.{table}")
        assert rows[0] > 0, table


def test_every_order_line_arrives_once(built: tuple[Settings, DbtResult]) -> None:
    settings, _ = built
    (ops,) = ops_rows(settings, "select count(*) from salesorderdetail")
    for table in ("fct_sales_order_lines", "obt_sales_order_lines"):
        (count,) = warehouse_rows(
            settings, f"select count(distinct sales_order_line_id) from marts.{table}"
        )
        assert count == ops


def test_no_full_card_number_in_any_model(built: tuple[Settings, DbtResult]) -> None:
    settings, _ = built
    numbers = {number for (number,) in ops_rows(settings, "select cardnumber from creditcard")}
    assert len(numbers) > 10
    for schema in ("staging", "intermediate", "snapshots", "marts"):
        for table in mart_tables(settings, schema):
            for column in table_columns(settings, table, schema):
                values = warehouse_rows(
                    settings,
                    f'select distinct cast("{column}" as varchar) from {schema}."{table}" '
                    f'where "{column}" is not null',
                )
                leaked = {value for (value,) in values if any(n in value for n in numbers)}
                assert not leaked, f"{schema}.{table}.{column} holds card numbers"
    (last_four,) = warehouse_rows(settings, "select count(*) from marts.dim_credit_card")
    assert last_four[0] == len(numbers)


def money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def cost_at(histories: dict[int, list[tuple[datetime, Decimal]]], product: int, at: datetime):
    """The standard cost in force at `at`: the latest history row started at or before it."""
    valid = [cost for start, cost in histories[product] if start <= at]
    return valid[-1] if valid else histories[product][0][1]


def test_revenue_and_profit_per_month_match_the_ops_db(built: tuple[Settings, DbtResult]) -> None:
    """Computed independently from the operations DB: line price and discount, not list price;
    rejected (4) and cancelled (6) orders excluded; cost valid at the order's instant."""
    settings, _ = built
    histories: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for product, start, cost in ops_rows(
        settings,
        "select productid, startdate, standardcost from productcosthistory "
        "order by productid, startdate",
    ):
        histories[product].append((as_datetime(start), Decimal(str(cost))))
    expected_revenue: dict[str, Decimal] = defaultdict(Decimal)
    expected_profit: dict[str, Decimal] = defaultdict(Decimal)
    lines = ops_rows(
        settings,
        "select h.orderdate, h.status, d.productid, d.orderqty, d.unitprice, "
        "d.unitpricediscount from salesorderdetail d "
        "join salesorderheader h on h.salesorderid = d.salesorderid",
    )
    for ordered, status, product, qty, price, discount in lines:
        if status in (4, 6):
            continue
        ordered = as_datetime(ordered)
        revenue = money(Decimal(str(price)) * qty * (1 - Decimal(str(discount))))
        month = ordered.strftime("%Y-%m")
        expected_revenue[month] += revenue
        expected_profit[month] += revenue - qty * cost_at(histories, product, ordered)
    actual = {
        month: (revenue, profit)
        for month, revenue, profit in warehouse_rows(
            settings,
            "select strftime(order_month, '%Y-%m'), sum(revenue), sum(profit) "
            "from marts.obt_sales_order_lines where is_revenue_status group by 1",
        )
    }
    assert set(actual) == set(expected_revenue)
    for month, (revenue, profit) in actual.items():
        assert abs(revenue - expected_revenue[month]) < Decimal("0.01"), month
        assert abs(profit - expected_profit[month]) < Decimal("0.01"), month


def as_datetime(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_us_states_carry_iso_codes(built: tuple[Settings, DbtResult]) -> None:
    settings, _ = built
    rows = warehouse_rows(
        settings,
        "select distinct ship_state_name, ship_state_code from marts.obt_sales_order_lines "
        "where ship_country_code = 'US'",
    )
    assert rows
    assert all(code.startswith("US-") and len(code) == 5 for _, code in rows)
    assert ("California", "US-CA") in rows or all(name != "California" for name, _ in rows)


def test_dim_product_versions_cover_price_changes(built: tuple[Settings, DbtResult]) -> None:
    settings, _ = built
    (changed,) = ops_rows(
        settings,
        "select count(distinct productid) from productcosthistory where enddate is not null",
    )
    (multi,) = warehouse_rows(
        settings,
        "select count(*) from (select product_id from marts.dim_product group by product_id "
        "having count(*) > 1)",
    )
    assert changed[0] > 0 and multi[0] >= changed[0]
    (current,) = warehouse_rows(
        settings,
        "select count(*) = count(distinct product_id) from marts.dim_product where is_current",
    )
    assert current[0]


def test_fx_and_sentiment_marts(built: tuple[Settings, DbtResult]) -> None:
    settings, _ = built
    pairs = warehouse_rows(
        settings,
        "select base_currency, quote_currency, count(*) from marts.fct_fx_rates_hourly "
        "group by 1, 2",
    )
    assert ("EUR", "USD") in {(base, quote) for base, quote, _ in pairs}
    days = warehouse_rows(
        settings,
        "select label, article_count, top_headline from marts.fct_sentiment_daily",
    )
    assert days and all(label in ("positive", "neutral", "negative") for label, _, _ in days)
    assert all(count >= 1 and headline for _, count, headline in days)
    scorers = warehouse_rows(
        settings,
        "select distinct scorer, scorer_version, vendor_mean_score is not null "
        "from marts.fct_sentiment_daily",
    )
    assert scorers == [("velo-finance", load_model().version, True)]


def test_every_mart_and_column_is_described_under_contract(
    built: tuple[Settings, DbtResult],
) -> None:
    settings, _ = built
    manifest = json.loads((dbt_target_dir(settings) / "manifest.json").read_text())
    marts = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    ]
    assert len(marts) == 12
    for node in marts:
        assert node["description"].strip(), node["name"]
        assert node["config"]["contract"]["enforced"], node["name"]
        columns = node["columns"]
        assert columns and all(column["description"].strip() for column in columns.values())
        assert all(column["data_type"] for column in columns.values()), node["name"]
        assert len(table_columns(settings, node["name"])) == len(columns), node["name"]


def copy_warehouse(settings: Settings, directory: Path) -> Settings:
    """The built warehouse file copied into another data directory (its own dbt state)."""
    copy = settings_in(directory)
    copy.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(settings.warehouse_path, copy.warehouse_path)
    return copy.with_overrides(ops_db_url=settings.ops_db_url)


# What the sources YAML declares (read back from dbt's manifest by every consumer).
DECLARED_FRESHNESS = {
    "fx.fx_rates": ("rate_at", 2),
    "operations.salesorderheader": ("modifieddate", 26),
    "sentiment.sentiment": ("time_published", 36),
}


def newest_data_times(settings: Settings) -> dict[str, datetime]:
    """Each declared table's newest data time, read straight from the warehouse."""
    newest = {}
    for name, (column, _) in DECLARED_FRESHNESS.items():
        table = name.split(".")[1]
        ((value,),) = warehouse_rows(settings, f"select max({column}) from raw.{table}")
        newest[name] = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return newest


def expected_status(newest: datetime, clock: datetime, hours: float) -> str:
    return "fresh" if clock - newest <= timedelta(hours=hours) else "stale"


def verdicts_of_every_consumer(
    settings: Settings, directory: Path, as_of: date
) -> dict[str, dict[str, str]]:
    """Each source's status at the end of ``as_of`` by `velo freshness`, Dagster's freshness
    checks and the serving DB's data health."""
    at = settings.with_overrides(clock=end_of_day(as_of), clock_kind=FIXED)
    outcome = CliRunner().invoke(
        app,
        ["freshness", "--as-of", as_of.isoformat(), "--format", "json"],
        env={"VELO_DATA_DIR": str(directory)},
    )
    assert outcome.exit_code == 0, outcome.output
    cli = {f"{row['source']}.{row['table']}": row["status"] for row in json.loads(outcome.stdout)}
    dagster = {}
    for module in (fx_rates, operations, sentiment):
        for check in module.definitions(at).asset_checks:
            (key,) = check.check_keys
            result = check(velo=SettingsResource.from_settings(at))
            name = f"{module.SOURCE}.{key.asset_key.path[-1]}"
            dagster[name] = "fresh" if result.passed else "stale"
    publish(at, require_passed_build=False)  # a copied warehouse: its build was elsewhere
    with duckdb.connect(str(at.serving_path), read_only=True) as con:
        health = dict(con.execute("select source, status from marts.data_health").fetchall())
    return {"velo freshness": cli, "Dagster": dagster, "data health": health}


def by_source(statuses: dict[str, str]) -> dict[str, str]:
    return {name.split(".")[0]: status for name, status in statuses.items()}


def test_every_consumer_judges_freshness_alike_on_the_platform_clock(
    built: tuple[Settings, DbtResult], tmp_path: Path
) -> None:
    directory = tmp_path / "fresh"
    settings = copy_warehouse(built[0], directory)
    newest = newest_data_times(settings)
    # The company's own day, two days later, and an --as-of long before the data's end.
    seen = {}
    for as_of in (AS_OF, AS_OF + timedelta(days=2), date(2014, 5, 1)):
        expected = {
            name: expected_status(newest[name], end_of_day(as_of), hours)
            for name, (_, hours) in DECLARED_FRESHNESS.items()
        }
        verdicts = verdicts_of_every_consumer(settings, directory, as_of)
        assert verdicts["velo freshness"] == expected, as_of
        assert verdicts["Dagster"] == expected, as_of
        assert verdicts["data health"] == by_source(expected), as_of
        seen[as_of] = set(expected.values())
    # The clocks cover both verdicts: on the company's day all is fresh, two days on stale.
    assert seen[AS_OF] == {"fresh"}
    assert seen[AS_OF + timedelta(days=2)] == {"stale"}


def test_a_freshness_changed_in_the_sources_yaml_changes_every_consumer(
    built: tuple[Settings, DbtResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "changed"
    settings = copy_warehouse(built[0], directory)
    as_of = AS_OF + timedelta(days=2)  # every source is stale by the project's declarations
    project = tmp_path / "dbt_project"
    shutil.copytree(runner.DBT_PROJECT_DIR, project, symlinks=True)
    staging = project / "models" / "staging"
    fx_yaml = staging / "fx" / "_fx__sources.yml"
    # fx may be 30 days old; sentiment is measured by its load time (wall clock, years after
    # the 2014 clock, so it counts as current).
    fx_yaml.write_text(
        fx_yaml.read_text().replace("{count: 2, period: hour}", "{count: 30, period: day}")
    )
    sentiment_yaml = staging / "sentiment" / "_sentiment__sources.yml"
    sentiment_yaml.write_text(
        sentiment_yaml.read_text().replace(
            "loaded_at_field: time_published", "loaded_at_field: _loaded_at"
        )
    )
    monkeypatch.setattr(runner, "DBT_PROJECT_DIR", project)
    verdicts = verdicts_of_every_consumer(settings, directory, as_of)
    expected = {
        "fx.fx_rates": "fresh",
        "operations.salesorderheader": "stale",
        "sentiment.sentiment": "fresh",
    }
    assert verdicts["velo freshness"] == expected
    assert verdicts["Dagster"] == expected
    assert verdicts["data health"] == by_source(expected)


def test_bad_input_fails_the_build_with_its_keys_never_dropped_nor_published(
    built: tuple[Settings, DbtResult], tmp_path: Path
) -> None:
    settings = copy_warehouse(built[0], tmp_path / "bad")
    with duckdb.connect(str(settings.warehouse_path)) as con:
        (order_id,) = con.execute("select min(salesorderid) from raw.salesorderheader").fetchone()
        # An order line naming an unknown product with a negative quantity, and an order shipping
        # to an unknown address.
        con.execute(
            "insert into raw.salesorderdetail by name select 990001 as salesorderdetailid, "
            "990002 as salesorderid, -2 as orderqty, 99999 as productid, 10 as unitprice, "
            "0 as unitpricediscount, timestamp '2014-06-01' as modifieddate, "
            "now() as _loaded_at, 'bad' as _dlt_load_id"
        )
        con.execute(
            "insert into raw.salesorderheader by name select * replace ("
            "990002 as salesorderid, 880001 as shiptoaddressid) "
            "from raw.salesorderheader where salesorderid = ?",
            [order_id],
        )
    with pytest.raises(TransformError) as caught:
        transform(settings)
    result = caught.value.result
    failed = {node.name: node for node in result.failed}
    # A served number would be wrong: errors. An unknown address only warns.
    expected = {
        "not_null_fct_sales_order_lines_product_key",
        "not_null_fct_sales_order_lines_unit_cost",
        "velo_utils_positive_fct_sales_order_lines_order_quantity",
        "assert_each_order_line_finds_one_product_version",
    }
    assert expected <= set(failed), sorted(failed)
    assert "fct_sales_order_lines_ship_to_address_key_known" in {n.name for n in result.warned}
    stored = failed["assert_each_order_line_finds_one_product_version"].relation_name
    assert stored and warehouse_rows(settings, f"select sales_order_line_id from {stored}") == [
        (990001,)
    ]
    kept = warehouse_rows(
        settings,
        "select order_quantity, revenue, product_key from marts.fct_sales_order_lines "
        "where sales_order_line_id = 990001",
    )
    assert kept == [(-2, Decimal("-20.0000"), None)]
    with pytest.raises(VeloError, match="the serving DB was left as it was"):
        publish(settings)


def test_a_fact_built_by_an_older_project_asks_for_a_full_refresh(
    built: tuple[Settings, DbtResult], tmp_path: Path
) -> None:
    """A warehouse built before a column was renamed: the incremental build stops on that fact
    with what to do (merging would fail on the missing key or leave old rows without the column),
    and the full refresh it names brings back every row."""
    settings = copy_warehouse(built[0], tmp_path / "older")
    lines = "select count(*), sum(order_quantity) from marts.fct_sales_order_lines"
    before = warehouse_rows(settings, lines)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("alter table marts.fct_sales_order_lines rename order_quantity to quantity")

    with pytest.raises(TransformError) as caught:
        transform(settings)

    assert [node.name for node in caught.value.result.failed] == ["fct_sales_order_lines"]
    assert (
        "fct_sales_order_lines has no column order_quantity (built by an older version): "
        "run `velo transform --full-refresh`"
    ) in str(caught.value)
    transform(settings, full_refresh=True)
    assert warehouse_rows(settings, lines) == before


def test_transform_without_raw_fails_with_one_clear_line(tmp_path: Path) -> None:
    directory = tmp_path / "empty"
    directory.mkdir()
    outcome = CliRunner().invoke(app, ["transform"], env={"VELO_DATA_DIR": str(directory)})
    assert outcome.exit_code == 1
    assert "node(s) failed" in outcome.output and "stg_" in outcome.output
    assert "log:" in outcome.output and "Traceback" not in outcome.output


def test_incremental_after_a_tick_equals_a_full_rebuild(
    built: tuple[Settings, DbtResult], tmp_path: Path
) -> None:
    """Runs last: it advances the shared company by a day."""
    settings, _ = built
    (before,) = warehouse_rows(settings, "select max(order_date) from marts.obt_sales_order_lines")
    tick(settings, days=1)
    with platform(settings) as live:
        run_ingest(live, ["operations", "fx"])
    clock = datetime(2030, 1, 2, 3, 4, 5)  # no model's output depends on it: only the anchor
    incremental = transform(settings.with_overrides(clock=clock))
    assert not incremental.failed
    # The lookback anchor is bounded by the platform clock the runner passed (not the DB's).
    compiled = dbt_target_dir(settings) / "compiled/velo/models/marts/fct_sales_order_lines.sql"
    assert "cast('2030-01-02 03:04:05' as timestamp)" in compiled.read_text()
    (after,) = warehouse_rows(settings, "select max(order_date) from marts.obt_sales_order_lines")
    assert after[0] > before[0]

    rebuilt = copy_warehouse(settings, tmp_path / "rebuilt")
    with duckdb.connect(str(rebuilt.warehouse_path)) as con:
        for schema in ("marts", "intermediate", "snapshots", "staging"):
            con.execute(f"drop schema {schema} cascade")
    transform(rebuilt, full_refresh=True)

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        con.execute(f"attach '{rebuilt.warehouse_path}' as rebuilt (read_only)")
        for table in mart_tables(settings):
            (count,) = con.execute(f"select count(*) from marts.{table}").fetchone()
            difference = con.execute(
                f"select count(*) from ((select * from marts.{table} except all "
                f"select * from rebuilt.marts.{table}) union all (select * from "
                f"rebuilt.marts.{table} except all select * from marts.{table}))"
            ).fetchone()
            assert difference == (0,), f"marts.{table} differs ({count} rows)"


def test_dbt_connection_carries_the_configured_duckdb_limit(
    built: tuple[Settings, DbtResult],
) -> None:
    settings = built[0].with_overrides(duckdb_memory_limit="321MB", duckdb_threads=1)
    probe = (
        "select current_setting('memory_limit'), current_setting('threads'), "
        "current_setting('temp_directory'), current_setting('preserve_insertion_order')"
    )
    result, _ = invoke(settings, ["show", "--inline", probe], echo=False)
    assert result.success, result.exception
    limit, threads, temp, keep_order = result.result.results[0].agate_table.rows[0]
    with duckdb.connect() as con:  # DuckDB's own rendering of the same limit
        con.execute("SET memory_limit = '321MB'")
        (expected,) = con.execute("select current_setting('memory_limit')").fetchone()
    assert (limit, int(threads), keep_order) == (expected, 1, False)
    assert Path(temp) == Path(settings.state_dir) / SPILL_DIR


def test_bench_baseline_executes_the_builds_own_compiled_sql(
    built: tuple[Settings, DbtResult],
) -> None:
    """`velo bench run`'s baseline runs every model and data test dbt just ran, in one DuckDB
    connection on a copy of the warehouse, and finds what dbt found."""
    settings, _ = built
    # its own build (of the FX path, same data): the module's other tests run dbt commands too
    result = transform(settings, select=["+fct_fx_rates_hourly"], echo=False)
    results = last_build(settings)
    assert results is not None
    baseline = execute_compiled_sql(settings, results)
    manifest = json.loads((dbt_target_dir(settings) / "manifest.json").read_text())
    tables_and_views = [
        node
        for node in result.nodes
        if node.resource_type == "model"
        and manifest["nodes"][node.unique_id]["config"]["materialized"] != "ephemeral"
    ]
    tests = [node for node in result.nodes if node.resource_type == "test"]
    assert baseline["statements"] == len(tables_and_views) + len(tests)
    assert baseline["failing tests"] == len(result.failed) + len(result.warned) == 0
    assert baseline["seconds"] > 0


def test_marts_carry_their_descriptions_as_comments(built: tuple[Settings, DbtResult]) -> None:
    """Whoever queries a mart finds its YAML description on the table and each column; the
    internal staging views go without (writing comments is a third of the models' build)."""
    settings, _ = built
    manifest = json.loads((dbt_target_dir(settings) / "manifest.json").read_text())
    described = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["schema"] == "marts"
    }
    mart = described["obt_sales_order_lines"]
    (table_comment,) = warehouse_rows(
        settings,
        "select comment from duckdb_tables() "
        "where schema_name = 'marts' and table_name = 'obt_sales_order_lines'",
    )[0]
    assert table_comment.strip() == mart["description"].strip()
    columns = dict(
        warehouse_rows(
            settings,
            "select column_name, comment from duckdb_columns() "
            "where schema_name = 'marts' and table_name = 'obt_sales_order_lines'",
        )
    )
    assert columns["revenue"].strip() == mart["columns"]["revenue"]["description"].strip()
    staging_comments = warehouse_rows(
        settings, "select count(comment) from duckdb_views() where schema_name = 'staging'"
    )
    assert staging_comments == [(0,)]
