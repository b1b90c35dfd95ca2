"""The `velo` command: one Typer app; each command is a thin call into a stage of the platform."""

from __future__ import annotations

import atexit
import functools
import gc
import json
import sys
import traceback
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.exceptions import TyperException

from velo import secrets
from velo.bench import BENCHMARKS
from velo.errors import UsageError, VeloError, explain_fault
from velo.locking import writer_lock
from velo.settings import load_settings

app = typer.Typer(
    help="Velo Analytics: the local-first analytics platform of Velo Cycles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sim_app = typer.Typer(help="The simulated company and its outside world.", no_args_is_help=True)
functions_app = typer.Typer(help="The serverless functions, run locally.", no_args_is_help=True)
app.add_typer(sim_app, name="sim")
sentiment_app = typer.Typer(help="The finance sentiment scorer.", no_args_is_help=True)
app.add_typer(functions_app, name="functions")
app.add_typer(sentiment_app, name="sentiment")

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class Options:
    debug = False  # --debug: tracebacks (scrubbed) after the error line


@app.callback()
def main_options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the (scrubbed) traceback of an error.")
    ] = False,
) -> None:
    """Velo Analytics: the local-first analytics platform of Velo Cycles."""
    Options.debug = debug
    secrets.install()
    # Python's last garbage collections at exit walk every object of the Dagster, dbt and dlt
    # modules a command imported: ~1.8 s after a `velo run` has finished. Frozen objects are
    # skipped (each is still freed when its last reference goes); the OS takes the rest.
    atexit.register(gc.freeze)


def reports_errors(func: F) -> F:
    """Any failure -> one scrubbed line on stderr and a non-zero exit; a traceback only with
    --debug. A VeloError says what to do itself; an environment fault (files, disk, a damaged
    database) is explained by :func:`velo.errors.explain_fault`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.exceptions.ClickException, click.exceptions.Exit, typer.Exit, TyperException):
            raise
        except VeloError as exc:
            report_error(exc, secrets.scrub(explain_fault(exc) or str(exc)))
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            hint = "" if explain_fault(exc) else " (run with --debug for the traceback)"
            report_error(exc, secrets.one_line(exc) + hint)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def report_error(exc: BaseException, line: str) -> None:
    if Options.debug:
        trace = "".join(traceback.format_exception(exc))
        err_console.print(secrets.scrub(trace), highlight=False, markup=False, soft_wrap=True)
    # the message may echo user input: neither markup nor :emoji: codes in it
    err_console.print(
        f"[red]error:[/red] {escape(line)}", highlight=False, soft_wrap=True, emoji=False
    )


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def print_mapping(title: str, rows: dict[str, Any]) -> None:
    table = Table(title=title, show_header=False)
    for key, value in rows.items():
        table.add_row(key, str(value))
    console.print(table)


def parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date (expected YYYY-MM-DD)") from None


AsOf = Annotated[
    str | None,
    typer.Option(
        help="Date (YYYY-MM-DD) to act as of, to the end of that day; default: the platform "
        "clock (the `clock` setting, else the simulated company's clock, else now)."
    ),
]


@app.command()
@reports_errors
def config(
    check: Annotated[bool, typer.Option("--check", help="Also probe every endpoint.")] = False,
) -> None:
    """Print the resolved settings (secrets masked), as velo.toml lines."""
    from velo.ingest.contract import source_contract

    settings = load_settings()
    contract = source_contract(settings)
    for key, value in settings.masked().items():
        sys.stdout.write(f"{key} = {json.dumps(value)}\n")
    sys.stdout.write("# operations source contract (raw.<table> <- schema.table):\n")
    for table in contract:
        sys.stdout.write(f"#   {table.describe()}\n")
    if check:
        from velo.reachability import check_reachable

        for key, status in check_reachable(settings).items():
            sys.stdout.write(f"# {key}: {status}\n")


@sim_app.command("init")
@reports_errors
def sim_init(
    days: Annotated[int, typer.Option(min=1, help="Days of history to create.")] = 365,
    scale: Annotated[float, typer.Option(min=0.001, help="1 ≈ AdventureWorks size.")] = 1.0,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: setting `seed`).")] = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="Date (YYYY-MM-DD): history ends at the end of that day; default: now."),
    ] = None,
) -> None:
    """Create the simulated company's operations database, its history ending now (wall clock)
    or at the end of the --as-of day."""
    from velo.simulator.company import init_company

    settings = load_settings()
    with (
        writer_lock(settings, "velo sim init"),
        console.status(f"Creating {days} days of Velo Cycles history at scale {scale}…"),
    ):
        summary = init_company(settings, days=days, scale=scale, seed=seed, as_of=parse_date(as_of))
    print_mapping("Velo Cycles operations database", summary)


@sim_app.command("tick")
@reports_errors
def sim_tick(days: Annotated[int, typer.Option(min=1, help="Days to advance.")] = 1) -> None:
    """Advance the business: new customers and orders, status changes, price changes."""
    from velo.simulator.company import tick

    settings = load_settings()
    with writer_lock(settings, "velo sim tick"), console.status(f"Simulating {days} more day(s)…"):
        result = tick(settings, days=days)
    print_mapping("Simulated days", result)


@sim_app.command("serve")
@reports_errors
def sim_serve(
    port: Annotated[int, typer.Option(help="Loopback port.")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Serve the simulated FX rates and news APIs over HTTP."""
    from velo.simulator.apis import serve_forever

    serve_forever(load_settings(), host=host, port=port)


@sim_app.command("load-adventureworks")
@reports_errors
def sim_load_adventureworks(
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Directory of the AdventureWorks 2014 CSVs (default: the dataset shipped "
            "with velo, velo/simulator/datasets/adventureworks-2014).",
        ),
    ] = None,
    ops_url: Annotated[
        str | None, typer.Option(help="Operations DB URL (default: the ops_db_url setting).")
    ] = None,
) -> None:
    """Replace the operations DB with Microsoft's AdventureWorks 2014 sample company, loaded
    into AdventureWorks' native tables."""
    from pathlib import Path

    from velo.simulator.adventureworks import (
        default_source_dir,
        load_adventureworks,
        truncation_notes,
    )

    source_dir = Path(source) if source else default_source_dir()
    report = load_adventureworks(load_settings(), source_dir, ops_url)
    print_mapping(f"AdventureWorks 2014 from {source_dir}", report)
    for note in truncation_notes(report):
        err_console.print(f"[yellow]note:[/yellow] {note}", highlight=False, soft_wrap=True)


@app.command("summary")
@reports_errors
def summary() -> None:
    """Print what exists: the operations database's row counts."""
    from velo.simulator.company import company_summary

    print_mapping("Velo Cycles operations database", company_summary(load_settings()))


IngestSource = Annotated[str, typer.Argument(help="operations, fx, sentiment or all.")]


@app.command()
@reports_errors
def ingest(
    source: IngestSource = "all",
    full_refresh: Annotated[
        bool,
        typer.Option("--full-refresh", help="Drop raw and reload (keeps FX/sentiment history)."),
    ] = False,
) -> None:
    """Load the source systems into the warehouse schema `raw` (dlt pipelines); the operations
    load ends with the reconciliation with the source (deletes, changes without a bump)."""
    from velo.ingest import SOURCES, IngestError, print_load_reports, run_ingest
    from velo.runtime import platform

    if source != "all" and source not in SOURCES:
        raise typer.BadParameter(f"'{source}' is not one of all, {', '.join(SOURCES)}")
    settings = load_settings()
    try:
        with writer_lock(settings, "velo ingest"), platform(settings) as live:
            reports = run_ingest(
                live, SOURCES if source == "all" else [source], full_refresh=full_refresh
            )
    except IngestError as exc:
        print_load_reports(console, exc.reports)
        raise
    print_load_reports(console, reports)


@app.command()
@reports_errors
def lifecycle(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List changes, make none.")] = False,
) -> None:
    """Landing-zone retention: archive old files (gzip), delete expired ones."""
    from velo.lifecycle import print_lifecycle, run_lifecycle
    from velo.runtime import resolve_clock

    settings = resolve_clock(load_settings())
    with writer_lock(settings, "velo lifecycle"):
        report = run_lifecycle(settings, dry_run=dry_run)
    print_lifecycle(console, report, dry_run=dry_run)


@app.command("run")
@reports_errors
def run_platform(
    tick_days: Annotated[int, typer.Option(min=0, help="Then simulate N more days.")] = 0,
    full_refresh: Annotated[bool, typer.Option(help="Reload raw and rebuild every model.")] = False,
    as_of: AsOf = None,
    scale: Annotated[float, typer.Option(min=0.001, help="Company size if created.")] = 1.0,
    only: Annotated[
        str | None,
        typer.Option(
            help="fx: the hourly FX refresh (load, FX models, publish); build: dbt + publish."
        ),
    ] = None,
) -> None:
    """Run the whole platform once through Dagster, then print the answers."""
    from velo.orchestration.run import run_platform as run

    settings = load_settings()
    with writer_lock(settings, "velo run"):
        run(
            settings,
            tick_days=tick_days,
            full_refresh=full_refresh,
            as_of=parse_date(as_of),
            scale=scale,
            only=only,
        )


@app.command("dagster")
@reports_errors
def dagster_ui(port: Annotated[int, typer.Option(help="Loopback port.")] = 3000) -> None:
    """Start the Dagster UI (webserver + daemon) on 127.0.0.1 with the platform's definitions."""
    from velo.orchestration.ui import serve_dagster

    raise typer.Exit(serve_dagster(load_settings(), port))


@app.command()
@reports_errors
def bench(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(BENCHMARKS)}.")],
    scale: Annotated[float | None, typer.Option(help="Scale (default: the bench's own).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    browser: Annotated[
        bool,
        typer.Option("--browser", help="dashboard only: page and filter times in Chromium."),
    ] = False,
) -> None:
    """Run a benchmark side by side with its baseline."""
    from velo.bench import run_benchmark

    if browser and name != "dashboard":
        raise UsageError("--browser applies to `velo bench dashboard` only")
    # only passed when set: the other benches' run() take the scale alone
    result = run_benchmark(name, scale=scale, **({"browser": True} if browser else {}))
    if as_json:
        print_json(result)
    else:
        print_mapping(
            f"bench {name}",
            {
                "scale": result["scale"],
                **{f"figure {k}": v for k, v in result["figures"].items()},
                **{f"baseline {k}": v for k, v in result["baseline"].items()},
                "ratio": result["ratio"],
            },
        )


@app.command()
@reports_errors
def transform(
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild incremental models from scratch.")
    ] = False,
    select: Annotated[
        list[str] | None, typer.Option("--select", "-s", help="dbt node selection (repeatable).")
    ] = None,
) -> None:
    """Build the warehouse: `dbt build` (seeds, snapshots, models, tests) on raw."""
    from velo.warehouse.runner import print_build
    from velo.warehouse.runner import transform as run_transform

    settings = load_settings()
    with writer_lock(settings, "velo transform"):
        result = run_transform(settings, full_refresh=full_refresh, select=select)
    print_build(console, result)


@app.command(
    "dbt",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
@reports_errors
def dbt_passthrough(ctx: typer.Context) -> None:
    """Run any dbt command on the warehouse project: `velo dbt -- test --select marts`."""
    from velo.warehouse.runner import run_dbt

    result = run_dbt(load_settings(), ctx.args)
    raise typer.Exit(0 if result.success else 1)


@app.command("publish")
@reports_errors
def publish_serving() -> None:
    """Copy the marts into the read-only serving DB (atomic swap)."""
    from velo.runtime import resolve_clock
    from velo.serving import publish

    settings = resolve_clock(load_settings())
    with writer_lock(settings, "velo publish"):
        report = publish(settings)
    print_mapping("Serving DB published", report.as_mapping())


@app.command()
@reports_errors
def reconcile(as_of: AsOf = None) -> None:
    """Recompute the headline figures from the operations DB; exit 1 if the serving DB differs."""
    from velo.runtime import resolve_clock
    from velo.serving.reconcile import print_differences
    from velo.serving.reconcile import reconcile as compare

    day, compared, found = compare(resolve_clock(load_settings(), parse_date(as_of)))
    print_differences(console, day, compared, found)
    if found:
        raise typer.Exit(1)


AnswerFormat = Annotated[str, typer.Option("--format", help="table or json.")]


@app.command()
@reports_errors
def answers(as_of: AsOf = None, output: AnswerFormat = "table") -> None:
    """Answer the six questions from the serving DB (as of the platform clock by default)."""
    from velo.runtime import resolve_clock
    from velo.serving.report import show_answers

    if output not in ("table", "json"):
        raise typer.BadParameter(f"'{output}' is not one of table, json")
    show_answers(resolve_clock(load_settings(), parse_date(as_of)), None, output, console)


@app.command()
@reports_errors
def freshness(as_of: AsOf = None, output: AnswerFormat = "table") -> None:
    """Source freshness: each dbt source's newest data time against the platform clock."""
    from velo.clock import clock_label, now
    from velo.runtime import resolve_clock
    from velo.warehouse.freshness import freshness_rules, measure, print_freshness

    if output not in ("table", "json"):
        raise typer.BadParameter(f"'{output}' is not one of table, json")
    settings = resolve_clock(load_settings(), parse_date(as_of))
    verdicts = measure(settings, freshness_rules(settings), now(settings))
    if output == "json":
        rows = [verdict.as_mapping() for verdict in verdicts]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    clock = f"{clock_label(settings)} {now(settings).isoformat(sep=' ')}"
    print_freshness(console, verdicts, clock)


@app.command()
@reports_errors
def dashboard(port: Annotated[int, typer.Option(help="Loopback port.")] = 8501) -> None:
    """Serve the Streamlit dashboard on 127.0.0.1 (reads the serving DB only)."""
    from velo.dashboard.server import serve_dashboard

    raise typer.Exit(serve_dashboard(load_settings(), port))


@functions_app.command("invoke")
@reports_errors
def functions_invoke(
    name: Annotated[str, typer.Argument(help="sentiment, notify_archive or notify_slack.")],
    event: Annotated[
        str | None, typer.Option("--event", help="JSON file with the event (default: {}).")
    ] = None,
) -> None:
    """Run a function locally (simulated APIs started when configured); print its result."""
    from pathlib import Path

    from velo.functions.local import invoke, read_event
    from velo.runtime import platform

    payload = read_event(Path(event) if event else None)
    with platform(load_settings()) as live:
        print_json(invoke(name, payload, live))


@sentiment_app.command("train")
@reports_errors
def sentiment_train(
    out: Annotated[
        str | None, typer.Option(help="Artifact to write (default: the packaged model.json).")
    ] = None,
) -> None:
    """Train the finance scorer on the packaged data; same data -> byte-identical artifact."""
    from pathlib import Path

    from velo.sentiment.model import ARTIFACT_PATH
    from velo.sentiment.train import train

    target = Path(out) if out else ARTIFACT_PATH
    artifact = train(out=target)
    console.print(f"wrote {target}: model {artifact['version']}, l2 {artifact['training']['l2']}")
    print_evaluation(artifact["evaluation"])


@sentiment_app.command("evaluate")
@reports_errors
def sentiment_evaluate(
    data: Annotated[
        str | None,
        typer.Option(help="CSV with a header and columns text,label (default: the test split)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Accuracy, macro-F1 and confusion matrix of the model and of VADER on the same rows."""
    from pathlib import Path

    from velo.sentiment.datasets import all_examples, read_labelled_csv
    from velo.sentiment.evaluate import evaluation
    from velo.sentiment.model import load_model

    if data:
        examples = read_labelled_csv(Path(data))
    else:
        examples = [e for e in all_examples() if e.split == "test"]
    result = evaluation(load_model(), examples)
    if as_json:
        print_json(result)
    else:
        print_evaluation(result, f"rows of {data}" if data else TEST_ROWS)


TEST_ROWS = "test rows"  # the held-out split of every source: evaluate's default, train's report


def print_evaluation(result: dict[str, Any], evaluated: str = TEST_ROWS) -> None:
    """The figures per source and over all rows; ``evaluated`` names the rows in the title."""
    version = result["model"]["version"]
    table = Table(title=f"sentiment model {version} vs VADER ({evaluated})")
    for column in ("source", "rows", "model acc", "model macro-F1", "VADER acc", "VADER macro-F1"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for source, figures in [*result["sources"].items(), ("all", result)]:
        model, vader = figures["model"], figures["vader"]
        table.add_row(
            source,
            str(figures["rows"]),
            f"{model['accuracy']:.3f}",
            f"{model['macro_f1']:.3f}",
            f"{vader['accuracy']:.3f}",
            f"{vader['macro_f1']:.3f}",
        )
    console.print(table)
    for scorer in ("model", "vader"):
        confusion = Table(title=f"{scorer} confusion, all rows (rows: true, columns: predicted)")
        labels = list(result[scorer]["confusion"])
        confusion.add_column("true / predicted")
        for label in labels:
            confusion.add_column(label, justify="right")
        for label, row in result[scorer]["confusion"].items():
            confusion.add_row(label, *(str(row[other]) for other in labels))
        console.print(confusion)


def main() -> None:  # pragma: no cover - console entry point
    app()
