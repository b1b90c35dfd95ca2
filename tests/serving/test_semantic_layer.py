"""The semantic layer: MetricFlow validates the dbt YAML, and compiled_metrics.json is what it
compiles today (so the dashboard's SQL can never drift from the metric definitions)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from velo.errors import VeloError
from velo.serving import metrics as m
from velo.serving.semantic import catalog_json, compile_catalog, parse_semantic_manifest

REQUIRED_METRICS = {
    "revenue",
    "profit",
    "margin",
    "units_sold",
    "orders",
    "average_order_value",
    "eur_usd_rate",
    "sentiment_score",
}


@pytest.fixture(scope="module")
def semantic_manifest() -> dict[str, Any]:
    return parse_semantic_manifest()  # `dbt parse` of the real project (no connection)


def test_metricflow_validates_the_semantic_layer(semantic_manifest: dict[str, Any]) -> None:
    from metricflow_semantic_interfaces.validations.semantic_manifest_validator import (
        SemanticManifestValidator,
    )
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )

    manifest = parse_manifest_from_dbt_generated_manifest(json.dumps(semantic_manifest))
    issues = SemanticManifestValidator().validate_semantic_manifest(manifest)
    assert not issues.has_blocking_issues, issues.errors
    names = {metric["name"] for metric in semantic_manifest["metrics"]}
    assert names >= REQUIRED_METRICS


def test_compiled_metrics_json_is_up_to_date(semantic_manifest: dict[str, Any]) -> None:
    fresh = catalog_json(compile_catalog(semantic_manifest))
    committed = json.loads(m.COMPILED_PATH.read_text())
    assert committed == fresh, "stale: run `python -m velo.serving.semantic`"


def test_ratio_and_money_definitions_come_from_the_yaml() -> None:
    catalog = m.load_catalog()
    margin = catalog.metric("margin")
    assert (margin.type, margin.numerator, margin.denominator) == ("ratio", "profit", "revenue")
    aov = catalog.metric("average_order_value")
    assert (aov.numerator, aov.denominator) == ("revenue", "orders")
    assert catalog.money_inputs(["margin", "orders", "average_order_value"]) == [
        "profit",
        "revenue",
    ]
    # every compiled statement reads the serving DB's marts schema, filters bound as parameters
    for query in catalog.queries.values():
        assert "marts." in query.sql and "$date_from" in query.sql


def test_saved_query_group_by_reads_metricflow_syntax() -> None:
    from velo.serving.semantic import group_by_name

    assert group_by_name("Dimension('sales_order_line__state')") == "sales_order_line__state"
    assert group_by_name("TimeDimension('metric_time', 'month')") == "metric_time__month"
    with pytest.raises(VeloError, match="saved query group_by"):
        group_by_name("Entity('sales_order_line')")
