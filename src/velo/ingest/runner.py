"""Run the ingest pipelines: each source system into the warehouse schema `raw` with dlt.

Pipelines keep their working state under ``settings.state_dir`` (so ``VELO_DATA_DIR`` isolates
everything). Every source runs on its own: one failing source does not stop the others; the
failures are raised together afterwards as one error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dlt
from dlt.common.pipeline import LoadInfo
from dlt.common.storages import NormalizeStorage, NormalizeStorageConfiguration
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.destinations.impl.postgres.configuration import PostgresCredentials
from rich.console import Console
from rich.table import Table

from velo.clock import load_time
from velo.duckdb_config import duckdb_config
from velo.errors import VeloError
from velo.ingest.common import PreparedSource, pipeline_name, pipelines_dir
from velo.secrets import one_line, scrub
from velo.settings import Settings

RAW_DATASET = "raw"
SOURCES = ("operations", "fx", "sentiment")


@dataclass
class LoadReport:
    source: str
    tables: list[str]
    rows_read: dict[str, int]
    rows_loaded: int
    new_columns: dict[str, list[str]] = field(default_factory=dict)
    quarantined: int = 0
    seconds: float = 0.0
    reconciled: str = ""  # operations: what the reconciliation with the source repaired


class IngestError(VeloError):
    """Some sources failed; `reports` holds those that loaded."""

    def __init__(self, message: str, reports: list[LoadReport]) -> None:
        super().__init__(message)
        self.reports = reports


class QuietArrowHintMerges(logging.Filter):
    """Drop dlt's warning that Arrow types differ from reflected hints (e.g. SQLite REAL read
    for decimal columns): expected here, the warehouse casts to the reflected type."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "several column hints were different" not in record.getMessage()


def configure_dlt() -> None:
    """Process-wide dlt settings: load ids on Arrow rows too (telemetry is off from the start:
    see ``velo/__init__.py``).

    Arrow rows (the operations tables) get `_dlt_load_id` but no `_dlt_id`: they have primary
    keys, and random row ids cost a quarter of the load time.

    Tables are extracted one after the other ("fifo"): round robin would hold one open source
    connection per table at once.

    A loaded package keeps its record (schema, state, metrics) but not its data files: dlt keeps
    them by default, a second copy of every row loaded that nothing reads again (raw holds the
    rows; a failed package keeps them for its retry), 809 MB after a scale-100 load and a day.
    """
    dlt.config["extract.next_item_mode"] = "fifo"
    dlt.config["load.delete_completed_jobs"] = True
    dlt_logger = logging.getLogger("dlt")
    if not any(isinstance(f, QuietArrowHintMerges) for f in dlt_logger.filters):
        dlt_logger.addFilter(QuietArrowHintMerges())
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True


def warehouse_destination(settings: Settings) -> Any:
    if settings.warehouse == "duckdb":
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        return dlt.destinations.duckdb(duckdb_credentials(settings))
    if settings.warehouse == "postgres":
        return dlt.destinations.postgres(credentials=postgres_credentials(settings.warehouse_url))
    # Snowflake: a snowflake:// URL from settings, else dlt's own configuration (env/secrets).
    return dlt.destinations.snowflake(credentials=settings.warehouse_url or None)


def duckdb_credentials(settings: Settings) -> DuckDbCredentials:
    """The warehouse file with the platform's DuckDB configuration (loads need no row order)."""
    return DuckDbCredentials(
        str(settings.warehouse_path), global_config=duckdb_config(settings, keep_order=False)
    )


def postgres_credentials(url: str) -> PostgresCredentials:
    """dlt's credentials for ``postgresql[+driver]://user[:password]@host:port/db``.

    dlt wants the plain scheme, and treats a URL without a password as incomplete
    configuration (``ConfigFieldMissingException``); a server with trust or peer
    authentication needs none, so an absent password is an empty one.
    """
    parts = urlsplit(url)
    credentials = PostgresCredentials()
    credentials.parse_native_representation(urlunsplit((parts.scheme.split("+")[0], *parts[1:])))
    if credentials.password is None:
        credentials.password = ""
    return credentials


def make_pipeline(settings: Settings, source_name: str) -> dlt.Pipeline:
    configure_dlt()
    return dlt.pipeline(
        pipeline_name=pipeline_name(source_name),
        pipelines_dir=str(pipelines_dir(settings)),
        destination=warehouse_destination(settings),
        dataset_name=RAW_DATASET,
    )


def raw_versions(settings: Settings, tables: Sequence[str]) -> dict[str, list[Any] | None]:
    """Which rows each raw table holds, cheaply: its row count and newest dlt load id (None
    when the table does not exist). Every load that adds or changes rows gives them a new load
    id and a delete lowers the count, so equal versions mean raw did not change."""
    from dlt.destinations.exceptions import DatabaseUndefinedRelation

    versions: dict[str, list[Any] | None] = {}
    if not tables:
        return versions
    # Every source loads into the one raw dataset: any pipeline's client reads all of it.
    with make_pipeline(settings, SOURCES[0]).sql_client() as client:
        for table in tables:
            name = client.make_qualified_table_name(table)
            try:
                rows = client.execute_sql(f"select count(*), max(_dlt_load_id) from {name}")
            except DatabaseUndefinedRelation:
                versions[table] = None
            else:
                versions[table] = [int(rows[0][0]), rows[0][1]]
    return versions


def known_columns(pipeline: dlt.Pipeline) -> dict[str, set[str]]:
    if not pipeline.default_schema_name:
        return {}
    return {
        table["name"]: set(table.get("columns", {}))
        for table in pipeline.default_schema.data_tables()
    }


def added_columns(before: dict[str, set[str]], after: dict[str, set[str]]) -> dict[str, list[str]]:
    """Columns that appeared in tables that already existed: schema evolution worth reporting."""
    return {
        table: sorted(after[table] - columns)
        for table, columns in before.items()
        if table in after and after[table] - columns
    }


def drop_committed_extracts(pipeline: dlt.Pipeline) -> None:
    """Remove extracted packages that normalize had already committed when a run was killed.

    dlt normalizes a package into a temporary folder, renames it into ``normalized`` (the
    commit), then deletes the extracted copy. A kill between the rename and the end of that
    delete leaves both; the next normalize then fails for good renaming onto the committed
    package ("Directory not empty"). The committed package holds every row, so the leftover
    extract is only garbage.
    """
    committed = {
        *pipeline.list_normalized_load_packages(),
        *pipeline.list_completed_load_packages(),
    }
    leftovers = set(pipeline.list_extracted_load_packages()) & committed
    if leftovers:
        volume = str(Path(pipeline.working_dir) / "normalize")  # where dlt keeps extracts
        config = NormalizeStorageConfiguration(normalize_volume_path=volume)
        extracted = NormalizeStorage(False, config).extracted_packages
        for load_id in leftovers:
            extracted.delete_package(load_id)


def finish_pending(pipeline: dlt.Pipeline) -> None:
    """Load what an interrupted run extracted; `run` would otherwise stop after doing only that."""
    try:
        drop_committed_extracts(pipeline)
        if pipeline.has_pending_data:
            pipeline.normalize()
            pipeline.load()
    except Exception as exc:
        reason = failure_reason(exc, None)
        raise VeloError(f"loading what an interrupted run left pending: {reason}") from None


def data_row_counts(counts: dict[str, int]) -> dict[str, int]:
    return {table: n for table, n in counts.items() if not table.startswith("_dlt")}


def extracted_row_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    """Rows the last run read from the source, per table (the extract step's metrics)."""
    trace = pipeline.last_trace
    info = trace.last_extract_info if trace else None
    counts: dict[str, int] = {}
    for metrics_list in info.metrics.values() if info else []:
        for metrics in metrics_list:
            for table, table_metrics in metrics["table_metrics"].items():
                counts[table] = counts.get(table, 0) + table_metrics.items_count
    return data_row_counts(counts)


def normalized_row_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace else None
    return data_row_counts(info.row_counts if info else {})


def run_pipeline(
    name: str, pipeline: dlt.Pipeline, prepared: PreparedSource, full_refresh: bool = False
) -> LoadReport:
    started = time.perf_counter()
    before = known_columns(pipeline)
    # A full refresh drops the source's raw tables and incremental state first (as Dagster's);
    # so does a source that is not the one raw was loaded from (prepared.refresh).
    refresh = "drop_sources" if full_refresh else prepared.refresh
    info: LoadInfo = pipeline.run(prepared.source_to_run(refresh), refresh=refresh)
    info.raise_on_failed_jobs()
    prepared.after_load()
    rows_read = extracted_row_counts(pipeline)
    rows_loaded = normalized_row_counts(pipeline)
    selected = [r.table_name for r in prepared.source.selected_resources.values()]
    return LoadReport(
        source=name,
        tables=sorted({str(t) for t in selected}),
        rows_read={str(t): rows_read.get(str(t), 0) for t in selected},
        rows_loaded=sum(rows_loaded.values()),
        new_columns=added_columns(before, known_columns(pipeline)),
        quarantined=len(prepared.quarantined),
        seconds=round(time.perf_counter() - started, 3),
    )


SourceFactory = Callable[[Settings, datetime, dlt.Pipeline], AbstractContextManager[PreparedSource]]


def source_factory(name: str) -> SourceFactory:
    if name == "operations":
        from velo.ingest.operations import operations_source

        return operations_source
    if name == "fx":
        from velo.ingest.fx_rates import fx_source

        return fx_source
    from velo.ingest.sentiment import sentiment_source

    return sentiment_source


def failure_reason(exc: BaseException, prepared: PreparedSource | None) -> str:
    """One line: the innermost cause of a pipeline failure, explained by its source if it can."""
    cause = exc
    while cause.__cause__ is not None:
        cause = cause.__cause__
    explained = prepared.explain(cause) if prepared else None
    return scrub(explained.strip().splitlines()[0]) if explained else one_line(cause)


def ingest_one(
    settings: Settings,
    name: str,
    loaded_at: datetime,
    reconcile: bool = True,
    full_refresh: bool = False,
) -> LoadReport:
    prepared: PreparedSource | None = None
    try:
        pipeline = make_pipeline(settings, name)
        finish_pending(pipeline)
        with source_factory(name)(settings, loaded_at, pipeline) as prepared:
            report = run_pipeline(name, pipeline, prepared, full_refresh)
        if name == "operations" and reconcile:
            from velo.ingest.reconcile import reconcile_raw

            report.reconciled = reconcile_raw(settings, loaded_at).summary()
        return report
    except VeloError as exc:  # raised before dlt ran: it names what failed already
        raise VeloError(scrub(f"{name}: {exc}")) from None
    except Exception as exc:
        where = f" ({prepared.where})" if prepared else ""
        raise VeloError(scrub(f"{name}{where}: {failure_reason(exc, prepared)}")) from None


def run_ingest(
    settings: Settings,
    sources: Sequence[str] = SOURCES,
    *,
    reconcile: bool = True,
    full_refresh: bool = False,
) -> list[LoadReport]:
    """Run the named sources in order; raise one IngestError naming every source that failed.

    The operations load ends with the reconciliation with the source (``reconcile``; off only
    to measure the load alone). ``full_refresh`` reloads each source from scratch: FX from the
    earliest hour ever loaded, sentiment from the live and the archived landing files."""
    unknown = [name for name in sources if name not in SOURCES]
    if unknown:
        raise VeloError(f"unknown ingest source {', '.join(unknown)} (known: {', '.join(SOURCES)})")
    loaded_at = load_time()
    reports: list[LoadReport] = []
    failures: list[str] = []
    for name in sources:
        try:
            reports.append(ingest_one(settings, name, loaded_at, reconcile, full_refresh))
        except VeloError as exc:
            failures.append(str(exc))
    if failures:
        raise IngestError(
            f"ingest failed for {len(failures)} source(s): " + "; ".join(failures), reports
        )
    return reports


def print_load_reports(console: Console, reports: Sequence[LoadReport]) -> None:
    """One table per source: rows read per table, and what was loaded."""
    for report in reports:
        table = Table(title=f"ingest {report.source} ({report.seconds:.1f} s)")
        table.add_column("table")
        table.add_column("rows read", justify="right")
        for name, count in report.rows_read.items():
            new = report.new_columns.get(name)
            table.add_row(name + (f" (new columns: {', '.join(new)})" if new else ""), str(count))
        caption = f"rows loaded: {report.rows_loaded}"
        if report.quarantined:
            caption += f"; quarantined lines: {report.quarantined}"
        if report.reconciled:
            caption += f"\n{report.reconciled}"
        table.caption = caption
        console.print(table)
