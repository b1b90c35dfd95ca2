"""Run the warehouse's dbt project in-process (dbtRunner) against the configured warehouse.

The project (``dbt_project/``) never holds machine-specific settings: its ``profiles.yml`` reads
``DBT_VELO_*`` environment variables, which this module derives from the platform settings
(``warehouse``, ``warehouse_path``, ``warehouse_url``) around every invocation. dbt's target
directory (manifest, run results) and logs live under ``settings.state_dir/dbt``, so separate
data directories never share artifacts and the source tree stays clean.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from velo.errors import UsageError, VeloError
from velo.locking import waiting_lock
from velo.settings import Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parent / "dbt_project"
PACKAGES_DIR = DBT_PROJECT_DIR / "dbt_packages"
PACKAGES = ("velo_utils",)
TARGETS = {"duckdb": "duckdb", "postgres": "postgres", "snowflake": "snowflake"}
# The platform clock for the dbt project (macros/incremental_window.sql reads it).
PLATFORM_NOW_ENV = "DBT_VELO_PLATFORM_NOW"
# dbt's log file at info: node results and errors. At dbt's default (debug) every statement is
# serialised into it, ~20 % of a build's elapsed time (scale 10: 9.8 s vs 8.2 s); a developer
# who wants the statements sets DBT_LOG_LEVEL_FILE=debug.
FILE_LOG_LEVEL_ENV = "DBT_LOG_LEVEL_FILE"
FILE_LOG_LEVEL = "info"


@dataclass(frozen=True)
class NodeResult:
    """One dbt node's outcome (model, snapshot, seed, test, unit test)."""

    unique_id: str
    name: str
    status: str  # success | error | skipped | pass | fail | warn | runtime error
    failures: int | None = None
    message: str = ""
    relation_name: str | None = None  # for tests with store_failures: the table of failing rows
    seconds: float = 0.0

    @property
    def resource_type(self) -> str:
        return self.unique_id.split(".")[0]

    @property
    def is_test(self) -> bool:
        return self.resource_type in ("test", "unit_test")


@dataclass(frozen=True)
class DbtResult:
    """What one dbt invocation did, node by node."""

    args: list[str]
    success: bool
    seconds: float
    log_path: Path
    nodes: list[NodeResult] = field(default_factory=list)
    error: str | None = None  # dbt's own exception (bad project, no connection), if any
    from_scratch: str | None = None  # why a build started from scratch (velo.warehouse.rebuild)

    def with_status(self, *statuses: str) -> list[NodeResult]:
        return [node for node in self.nodes if node.status in statuses]

    @property
    def failed(self) -> list[NodeResult]:
        """Errored nodes and failing tests (what makes a build unusable)."""
        return self.with_status("error", "fail", "runtime error")

    @property
    def warned(self) -> list[NodeResult]:
        return self.with_status("warn")

    def counts(self) -> dict[str, int]:
        """Node outcomes by kind, e.g. {'model success': 20, 'test pass': 150, 'test warn': 1}."""
        counts: dict[str, int] = {}
        for node in self.nodes:
            key = f"{node.resource_type} {node.status}"
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))


class TransformError(VeloError):
    """dbt failed; ``result`` holds every node's outcome."""

    def __init__(self, message: str, result: DbtResult) -> None:
        super().__init__(message)
        self.result = result


# --- locations and environment ------------------------------------------------------------------


def dbt_state_dir(settings: Settings) -> Path:
    return Path(settings.state_dir) / "dbt"


def dbt_target_dir(settings: Settings) -> Path:
    return dbt_state_dir(settings) / "target"


def model_unique_keys(settings: Settings) -> dict[str, str]:
    """Each model's ``unique_key`` (a single column) as the last parsed manifest declares it;
    empty when there is no readable manifest."""
    manifest = read_manifest(dbt_target_dir(settings)) or {}
    return {
        node["name"]: node["config"]["unique_key"]
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model"
        and isinstance(node.get("config", {}).get("unique_key"), str)
    }


# --- dbt's manifest: the one reader -------------------------------------------------------------

MANIFEST = "manifest.json"
PREPARED = "velo_prepared.json"  # next to manifest.json: what it was parsed from
PARTIAL_PARSE = "partial_parse.msgpack"  # dbt's saved parse, in the target directory
PARTIAL_PARSE_KEY = "velo_partial_parse.json"  # next to it: what it was parsed from


def read_manifest(target_dir: Path) -> dict[str, Any] | None:
    """The manifest dbt wrote into ``target_dir``, read to the end; None when there is none or
    it is cut short (every `dbt build` rewrites it in place, so a build killed mid-write leaves
    a torn file behind)."""
    try:
        return json.loads((target_dir / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None


def parsed_for(project_dir: Path, adapter: str) -> dict[str, str]:
    """What a manifest describes: the digest of the project's files, where they are (its nodes
    hold absolute paths) and the adapter."""
    from velo.warehouse.build_inputs import project_digest

    return {
        "project": project_digest(project_dir),
        "project_dir": str(project_dir),
        "adapter": adapter,
    }


def manifest_is_current(target_dir: Path, project_dir: Path, adapter: str) -> bool:
    """A whole manifest in ``target_dir``, parsed for this adapter from the project's files as
    they are now (recorded in PREPARED when it was parsed)."""
    try:
        recorded = json.loads((target_dir / PREPARED).read_text())
    except (OSError, ValueError):
        return False
    return read_manifest(target_dir) is not None and recorded == parsed_for(project_dir, adapter)


def record_parsed(target_dir: Path, project_dir: Path, adapter: str) -> None:
    (target_dir / PREPARED).write_text(json.dumps(parsed_for(project_dir, adapter)))


def current_manifest(settings: Settings) -> dict[str, Any]:
    """dbt's manifest of the project as its files are now, for the configured warehouse: the
    data directory's when it describes them, else `dbt parse` first."""
    target = dbt_target_dir(settings)
    if not manifest_is_current(target, DBT_PROJECT_DIR, settings.warehouse):
        checked(run_dbt(settings, ["parse"], echo=False))
        record_parsed(target, DBT_PROJECT_DIR, settings.warehouse)
    manifest = read_manifest(target)
    if manifest is None:
        raise VeloError(f"dbt parse wrote no readable manifest in {target}")
    return manifest


def dbt_log_dir(settings: Settings) -> Path:
    return dbt_state_dir(settings) / "logs"


def dbt_profiles_dir(settings: Settings) -> Path:
    """The project's own profiles.yml (it reads everything machine-specific from env vars)."""
    return DBT_PROJECT_DIR


def dbt_env(settings: Settings) -> dict[str, str]:
    """What profiles.yml reads for the configured warehouse (passwords as DBT_ENV_SECRET_*), and
    the platform's clock (naive UTC) for the incremental lookback anchor (``platform_now()``).

    The clock is an environment variable, not ``--vars``: changed vars (every run) make dbt
    re-parse the whole project, while the macro reads this one only at run time."""
    from velo.clock import now

    if settings.warehouse not in TARGETS:
        raise UsageError(f"unknown warehouse '{settings.warehouse}' (known: {', '.join(TARGETS)})")
    env = {
        "DBT_VELO_TARGET": TARGETS[settings.warehouse],
        "DBT_VELO_DUCKDB_PATH": str(settings.warehouse_path),
        "DBT_TARGET_PATH": str(dbt_target_dir(settings)),
        "DBT_LOG_PATH": str(dbt_log_dir(settings)),
        FILE_LOG_LEVEL_ENV: os.environ.get(FILE_LOG_LEVEL_ENV, FILE_LOG_LEVEL),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        PLATFORM_NOW_ENV: now(settings).isoformat(sep=" "),
    }
    if settings.warehouse == "duckdb":
        env.update(duckdb_profile_env(settings))
    if settings.warehouse == "postgres":
        env.update(postgres_env(settings.warehouse_url))
    return env


def duckdb_profile_env(settings: Settings) -> dict[str, str]:
    """The profile's DuckDB `config_options` (memory limit, threads, spill directory): builds
    need no insertion order, their models say ORDER BY where order matters."""
    from velo.duckdb_config import duckdb_config

    config = duckdb_config(settings, keep_order=False)
    return {f"DBT_VELO_DUCKDB_{name.upper()}": value for name, value in config.items()}


def postgres_env(url: str) -> dict[str, str]:
    """``postgresql[+driver]://user:password@host:port/dbname`` -> the profile's variables."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres") or not parts.path.strip("/"):
        raise UsageError(
            "warehouse = postgres needs warehouse_url = postgresql://user:password@host:port/db "
            f"(got '{parts.scheme}://…')"
        )
    return {
        "DBT_VELO_PG_HOST": parts.hostname or "localhost",
        "DBT_VELO_PG_PORT": str(parts.port or 5432),
        "DBT_VELO_PG_USER": unquote(parts.username or "postgres"),
        "DBT_ENV_SECRET_VELO_PG_PASSWORD": unquote(parts.password or ""),
        "DBT_VELO_PG_DBNAME": unquote(parts.path.strip("/")),
    }


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a dbt invocation, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def project_lock(settings: Settings) -> Iterator[None]:
    """One `dbt deps` at a time: it writes into the project directory. The lock lives under
    state_dir (never a fixed name in a shared /tmp that another user could own)."""
    with waiting_lock(dbt_state_dir(settings) / "deps.lock"):
        yield


def packages_installed() -> bool:
    return all((PACKAGES_DIR / name / "dbt_project.yml").exists() for name in PACKAGES)


# --- invocations --------------------------------------------------------------------------------


def invoke(settings: Settings, args: Sequence[str], *, echo: bool = True) -> tuple[Any, float]:
    """One dbtRunner call with the project, its profiles and this environment's variables.

    ``echo=False`` keeps dbt's console output off stdout (the log file still has it).
    """
    from dbt.cli.main import dbtRunner

    dbt_state_dir(settings).mkdir(parents=True, exist_ok=True)
    if settings.warehouse == "duckdb":
        Path(settings.warehouse_path).parent.mkdir(parents=True, exist_ok=True)
    full_args = [
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(dbt_profiles_dir(settings)),
        *([] if echo else ["--log-level", "none"]),
    ]
    forget_stale_partial_parse(dbt_target_dir(settings), DBT_PROJECT_DIR)
    started = time.perf_counter()
    with environment(dbt_env(settings)):
        try:
            result = dbtRunner().invoke(full_args)
        finally:
            release_duckdb()
    return result, time.perf_counter() - started


def partial_parse_key(project_dir: Path) -> dict[str, str]:
    """What dbt's saved parse holds that dbt itself does not check before reusing it.

    - The project's path: the parse keeps every file's absolute path, so after a move (the same
      data directory used from another clone, virtualenv or image) seeds loaded from the old
      path, and failed with "No files found" once it was gone.
    - The singular tests' files: when a singular test's SQL changes, dbt parses it again without
      the properties its YAML gives it (meta, description; it re-applies them only when the YAML
      changes), and Dagster then logs that test as a bare observation instead of the check of
      the model its ``meta.dagster.ref`` names.
    """
    import yaml

    from velo.warehouse.build_inputs import project_digest

    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    test_paths = config.get("test-paths", ["tests"])  # dbt's default
    return {
        "project_dir": str(project_dir),
        "singular_tests": "".join(project_digest(project_dir / path) for path in test_paths),
    }


def forget_stale_partial_parse(target_dir: Path, project_dir: Path) -> None:
    """Drop dbt's saved parse unless it was written for :func:`partial_parse_key` as it is now
    (recorded beside it): dbt then parses the whole project once."""
    key = partial_parse_key(project_dir)
    record = target_dir / PARTIAL_PARSE_KEY
    try:
        same = json.loads(record.read_text()) == key
    except (OSError, ValueError):
        same = False
    if same:
        return
    (target_dir / PARTIAL_PARSE).unlink(missing_ok=True)
    target_dir.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(key))


def release_duckdb() -> None:
    """Close dbt-duckdb's process-wide database handle after an invocation.

    dbt-duckdb keeps one DuckDB instance per process open between invocations; while it is
    open, nothing else in this process (publish, tests, the next build on another file) can open
    the warehouse file read-only. Its own cleanup only drops the reference.
    """
    import gc

    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb not installed: nothing to release
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if environment is not None:
            environment.close()
    gc.collect()  # cursors of the closed instance would otherwise keep the file open


def ensure_packages(settings: Settings) -> None:
    """`dbt deps` when the local package is not linked yet (offline: the package is local)."""
    if packages_installed():
        return
    with project_lock(settings):
        if packages_installed():
            return
        result, _ = invoke(settings, ["deps"], echo=False)
        if not result.success or not packages_installed():
            raise VeloError(
                f"dbt deps failed in {DBT_PROJECT_DIR}: {result.exception or 'see the dbt log'} "
                f"(log: {dbt_log_dir(settings) / 'dbt.log'})"
            )


def node_results(result: Any) -> list[NodeResult]:
    nodes: list[NodeResult] = []
    for item in getattr(result.result, "results", None) or []:
        node = getattr(item, "node", None)
        unique_id = getattr(node, "unique_id", None) or getattr(item, "unique_id", "")
        status = getattr(item, "status", "")
        nodes.append(
            NodeResult(
                unique_id=str(unique_id),
                name=str(getattr(node, "name", unique_id)),
                status=str(getattr(status, "value", status)),
                failures=getattr(item, "failures", None),
                message=str(getattr(item, "message", "") or ""),
                relation_name=getattr(node, "relation_name", None),
                seconds=float(getattr(item, "execution_time", 0.0) or 0.0),
            )
        )
    return nodes


def run_dbt(settings: Settings, args: Sequence[str], *, echo: bool = True) -> DbtResult:
    """Run any dbt command (e.g. ``["build", "--select", "marts"]``) for these settings."""
    if not args:
        raise UsageError("run_dbt needs a dbt command, e.g. ['build']")
    if args[0] not in ("deps", "clean", "debug", "--version"):
        ensure_packages(settings)
    result, seconds = invoke(settings, args, echo=echo)
    nodes = node_results(result)
    record_invocation(settings, args, result, nodes)
    return DbtResult(
        args=list(args),
        success=bool(result.success),
        seconds=round(seconds, 3),
        log_path=dbt_log_dir(settings) / "dbt.log",
        nodes=nodes,
        error=None if result.exception is None else first_line(str(result.exception)),
    )


def record_invocation(
    settings: Settings, args: Sequence[str], result: Any, nodes: Sequence[NodeResult]
) -> None:
    """Merge this invocation's node statuses into the record publishing is gated on (every one,
    a subset build's too: the last run_results.json alone would forget an earlier failure)."""
    from velo.warehouse.run_results import as_naive_utc, record_run

    command = next((arg for arg in args if not arg.startswith("-")), "")
    moment = getattr(result.result, "generated_at", None)
    record_run(
        settings,
        {
            "args": {"which": command},
            "results": [{"unique_id": node.unique_id, "status": node.status} for node in nodes],
        },
        moment=as_naive_utc(moment) if isinstance(moment, datetime) else None,
    )


def first_line(text: str) -> str:
    """The informative line of a dbt message (skipping its "<Kind> Error in model x" header)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) > 1 and " Error in " in lines[0]:
        return lines[1]
    return lines[0] if lines else ""


def describe_failures(result: DbtResult, limit: int = 8) -> str:
    """One line naming the failing nodes (with their failure counts) and where the log is."""
    if result.error and not result.failed:
        return f"dbt {result.args[0]} failed: {result.error} (log: {result.log_path})"
    shown = []
    for node in result.failed[:limit]:
        if node.failures:
            detail = f"{node.failures} failing row(s)"
        else:
            detail = first_line(node.message)[:160] or node.status
        shown.append(f"{node.name} ({detail})")
    more = len(result.failed) - limit
    names = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
    return (
        f"dbt {result.args[0]}: {len(result.failed)} node(s) failed: {names} "
        f"(log: {result.log_path})"
    )


def checked(result: DbtResult) -> DbtResult:
    if not result.success or result.failed:
        raise TransformError(describe_failures(result), result)
    return result


def prepare_dbt(settings: Settings) -> Path:
    """Packages installed, the environment set for dbt subprocesses, the manifest parsed.

    For callers that run the dbt CLI themselves (Dagster's dbt resource): the DBT_VELO_*
    variables stay set in this process so the subprocesses it starts inherit them. Returns the
    target directory holding manifest.json.
    """
    ensure_packages(settings)
    os.environ.update(dbt_env(settings))
    checked(run_dbt(settings, ["parse"], echo=False))
    return dbt_target_dir(settings)


def transform(
    settings: Settings,
    *,
    full_refresh: bool = False,
    select: Sequence[str] | None = None,
    echo: bool = True,
) -> DbtResult:
    """`dbt build` (seeds, snapshots, models, tests); raise TransformError when anything failed.

    Warnings (e.g. order lines naming unknown products) do not fail the build: they are in
    ``result.warned`` with their failing-row counts. A build of the whole project after raw was
    reloaded from another operations source starts from scratch (:mod:`velo.warehouse.rebuild`).
    """
    from velo.warehouse import rebuild

    reason = None if select else rebuild.requested_rebuild(settings)
    if reason is not None:
        if echo:
            print(rebuild.announcement(reason), flush=True)
        checked(run_dbt(settings, rebuild.DROP_SNAPSHOTS, echo=echo))
    args = ["build"]
    if full_refresh or reason is not None:
        args.append("--full-refresh")
    if select:
        args += ["--select", *select]
    result = checked(run_dbt(settings, args, echo=echo))
    if reason is None:
        return result
    rebuild.clear_rebuild(settings)
    return replace(result, from_scratch=rebuild.announcement(reason))


@cache
def mart_contract(mart: str) -> tuple[tuple[str, str], ...]:
    """A mart's enforced contract, (column, data type) in order, from its YAML: the one place
    it is declared (dbt enforces it; the sample serving DB is shaped by it)."""
    import yaml

    path = DBT_PROJECT_DIR / "models" / "marts" / f"{mart}.yml"
    (model,) = [m for m in yaml.safe_load(path.read_text())["models"] if m["name"] == mart]
    return tuple((column["name"], column["data_type"]) for column in model["columns"])


# --- display ------------------------------------------------------------------------------------


def print_build(console: Any, result: DbtResult) -> None:
    """Counts per node kind and status, then every warning with its failing-row count."""
    from rich.table import Table

    table = Table(title=f"dbt {result.args[0]} ({result.seconds:.1f} s)")
    table.add_column("nodes")
    table.add_column("count", justify="right")
    for key, count in result.counts().items():
        table.add_row(key, str(count))
    console.print(table)
    if result.from_scratch:
        console.print(f"[yellow]{result.from_scratch}[/yellow]", highlight=False)
    for node in result.warned:
        where = f" — rows in {node.relation_name}" if node.relation_name else ""
        console.print(
            f"[yellow]warning:[/yellow] {node.name}: {node.failures} row(s){where}",
            highlight=False,
            soft_wrap=True,
        )
