"""Compile the semantic layer with MetricFlow into ``compiled_metrics.json``.

``python -m velo.serving.semantic [SEMANTIC_MANIFEST]`` parses the dbt project (``dbt parse``
writes ``semantic_manifest.json``; MetricFlow validates it), then asks MetricFlow for the SQL of
every saved query of the project (plus the shapes the EUR conversion needs). The filters become
DuckDB bind parameters (``$date_from`` …) inside MetricFlow's WHERE constraints, so one compiled
statement serves every filter value. Relations are rewritten to ``marts.<model>`` — the schema
the serving DB holds the marts in.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from velo.errors import VeloError
from velo.serving.metrics import (
    COMPILED_PATH,
    DIMENSION_FILTERS,
    FILTERED_SEMANTIC_MODEL,
    Catalog,
    CompiledQuery,
    Metric,
    Shape,
)
from velo.serving.warehouse_read import MARTS_SCHEMA
from velo.warehouse.runner import DBT_PROJECT_DIR

# A saved query's group-by, as MetricFlow's query syntax writes it: Dimension('entity__name') or
# TimeDimension('name', 'grain').
GROUP_BY = re.compile(r"(Time)?Dimension\('(\w+)'(?:,\s*'(\w+)')?\)")
DATE_FILTER = (
    "{{ TimeDimension('metric_time', 'day') }} "
    "BETWEEN CAST($date_from AS DATE) AND CAST($date_to AS DATE)"
)


def dimension_filter(param: str, dimension: str) -> str:
    values = f"CAST(${param} AS VARCHAR[])"
    return f"(len({values}) = 0 OR list_contains({values}, {{{{ Dimension('{dimension}') }}}}))"


def parse_semantic_manifest(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, Any]:
    """Run `dbt parse` on a copy of the project (no connection needed); the semantic manifest.

    The profile reads the DuckDB settings from DBT_VELO_DUCKDB_* variables even to parse: they
    are set from the platform settings, as for a build.
    """
    from dbt.cli.main import dbtRunner

    from velo.settings import load_settings
    from velo.warehouse.runner import duckdb_profile_env, environment

    profile_env = duckdb_profile_env(load_settings())
    with tempfile.TemporaryDirectory() as tmp, environment(profile_env):
        work = Path(tmp) / "project"
        shutil.copytree(
            project_dir, work, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
        )
        profiles = work if (work / "profiles.yml").exists() else write_profile(work)
        common = ["--project-dir", str(work), "--profiles-dir", str(profiles), "--quiet"]
        if (work / "packages.yml").exists():  # local packages only: works offline
            dbtRunner().invoke(["deps", *common])
        target = work / "target"
        result = dbtRunner().invoke(["parse", *common, "--target-path", str(target)])
        manifest = target / "semantic_manifest.json"
        if not result.success or not manifest.exists():
            raise VeloError(f"dbt parse of {project_dir} failed: {result.exception}")
        return json.loads(manifest.read_text())


def write_profile(work: Path) -> Path:
    """A throwaway DuckDB profile named like the project's, for parsing a project without one."""
    import yaml

    profile = yaml.safe_load((work / "dbt_project.yml").read_text())["profile"]
    target = {"type": "duckdb", "path": str(work / "parse.duckdb")}
    text = yaml.safe_dump({profile: {"target": "dev", "outputs": {"dev": target}}})
    (work / "profiles.yml").write_text(text)
    return work


def serving_relations(raw: dict[str, Any]) -> dict[str, Any]:
    """Point every semantic model and time spine at marts.<alias>, as in the serving DB."""
    relations = [sm["node_relation"] for sm in raw["semantic_models"]]
    relations += [ts["node_relation"] for ts in raw["project_configuration"]["time_spines"]]
    for relation in relations:
        relation["database"] = None
        relation["schema_name"] = MARTS_SCHEMA
        relation["relation_name"] = f"{MARTS_SCHEMA}.{relation['alias']}"
    return raw


def metric_definitions(raw: dict[str, Any]) -> dict[str, Metric]:
    measure_model = {
        measure["name"]: (sm["name"], measure["agg"])
        for sm in raw["semantic_models"]
        for measure in sm["measures"]
    }
    metrics: dict[str, Metric] = {}
    specs = {m["name"]: m for m in raw["metrics"]}

    def model_of(name: str) -> str:
        params = specs[name]["type_params"]
        if specs[name]["type"] == "ratio":
            return model_of(params["numerator"]["name"])
        return measure_model[params["measure"]["name"]][0]

    for name, spec in specs.items():
        params = spec["type_params"]
        unit = (spec.get("config") or {}).get("meta", {}).get("unit", "")
        is_ratio = spec["type"] == "ratio"
        if unit == "money" and not is_ratio:
            agg = measure_model[params["measure"]["name"]][1]
            if agg != "sum":
                raise VeloError(f"money metric {name} must be a sum to convert currency ({agg})")
        metrics[name] = Metric(
            name=name,
            label=spec.get("label") or name,
            type=spec["type"],
            unit=unit,
            semantic_model=model_of(name),
            numerator=params["numerator"]["name"] if is_ratio else None,
            denominator=params["denominator"]["name"] if is_ratio else None,
            description=spec.get("description") or "",
        )
    return metrics


def where_constraints(metrics: dict[str, Metric], shape: Shape) -> tuple[list[str], list[str]]:
    """The WHERE templates and the bind parameters they use."""
    where, params = [DATE_FILTER], ["date_from", "date_to"]
    if all(metrics[name].semantic_model == FILTERED_SEMANTIC_MODEL for name in shape.metrics):
        for param, dimension in DIMENSION_FILTERS.items():
            where.append(dimension_filter(param, dimension))
            params.append(param)
    return [" AND ".join(where)], params


def compile_catalog(raw_manifest: dict[str, Any]) -> Catalog:
    from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )
    from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

    raw = serving_relations(json.loads(json.dumps(raw_manifest)))
    manifest = parse_manifest_from_dbt_generated_manifest(json.dumps(raw))
    engine = MetricFlowEngine(SemanticManifestLookup(manifest), ExplainOnlyDuckDbClient())
    metrics = metric_definitions(raw)
    saved = saved_query_shapes(raw)
    catalog = Catalog(metrics=metrics, saved_queries=saved)
    shapes = [s for shape in saved.values() for s in catalog.shapes_for(shape)]
    queries: dict[str, CompiledQuery] = {}
    for shape in shapes:
        if shape.key in queries:
            continue
        where, params = where_constraints(metrics, shape)
        request = MetricFlowQueryRequest.create(
            metric_names=list(shape.metrics),
            group_by_names=list(shape.group_by),
            where_constraints=where,
            order_by_names=[g for g in shape.group_by if g.startswith("metric_time")],
        )
        sql = engine.explain(request).sql_statement.sql
        queries[shape.key] = CompiledQuery(sql, tuple(params))
    return Catalog(metrics=metrics, queries=queries, saved_queries=saved)


def saved_query_shapes(raw: dict[str, Any]) -> dict[str, Shape]:
    """Each saved query of the semantic manifest as a shape (metrics by group-by names)."""
    return {
        query["name"]: Shape(
            tuple(query["query_params"]["metrics"]),
            tuple(group_by_name(text) for text in query["query_params"].get("group_by") or []),
        )
        for query in raw.get("saved_queries", [])
    }


def group_by_name(text: str) -> str:
    """Dimension('sales_order_line__state') -> sales_order_line__state; TimeDimension('metric_time',
    'month') -> metric_time__month."""
    match = GROUP_BY.fullmatch(text.strip())
    if match is None:
        raise VeloError(
            f"saved query group_by {text!r}: write Dimension('entity__name') or "
            "TimeDimension('name', 'grain')"
        )
    is_time, name, grain = match.groups()
    return f"{name}__{grain}" if is_time else name


class ExplainOnlyDuckDbClient:
    """MetricFlow needs a SqlClient for the dialect; explaining never runs a query."""

    @property
    def sql_engine_type(self) -> Any:
        from metricflow.protocols.sql_client import SqlEngine

        return SqlEngine.DUCKDB

    @property
    def sql_plan_renderer(self) -> Any:
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        return DuckDbSqlPlanRenderer()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


def catalog_json(catalog: Catalog) -> dict[str, Any]:
    return {
        "generated_by": "python -m velo.serving.semantic (MetricFlow explain)",
        "metrics": {name: metric.__dict__ for name, metric in sorted(catalog.metrics.items())},
        "queries": {
            key: {"sql": q.sql, "params": list(q.params)}
            for key, q in sorted(catalog.queries.items())
        },
        "saved_queries": {
            name: {"metrics": list(shape.metrics), "group_by": list(shape.group_by)}
            for name, shape in sorted(catalog.saved_queries.items())
        },
    }


def compile_to_file(raw_manifest: dict[str, Any], path: Path = COMPILED_PATH) -> Path:
    path.write_text(json.dumps(catalog_json(compile_catalog(raw_manifest)), indent=1) + "\n")
    return path


def main(argv: list[str]) -> None:  # pragma: no cover - developer entry point
    raw = json.loads(Path(argv[0]).read_text()) if argv else parse_semantic_manifest()
    print(f"wrote {compile_to_file(raw)}")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
