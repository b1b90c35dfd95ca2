"""The `velo` command: one Typer app; each command is a thin call into a stage of the platform."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from velo.errors import VeloError
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
app.add_typer(functions_app, name="functions")

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Turn a VeloError into one line on stderr and its exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except VeloError as exc:
            err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


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


AsOf = Annotated[str | None, typer.Option(help="Date (YYYY-MM-DD) to act as of; default today.")]


@app.command()
@reports_errors
def config() -> None:
    """Print the resolved settings (secrets masked), as velo.toml lines."""
    for key, value in load_settings().masked().items():
        sys.stdout.write(f"{key} = {json.dumps(value)}\n")


@sim_app.command("init")
@reports_errors
def sim_init(
    days: Annotated[int, typer.Option(min=1, help="Days of history to create.")] = 365,
    scale: Annotated[float, typer.Option(min=0.001, help="1 ≈ AdventureWorks size.")] = 1.0,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the seed setting).")] = None,
    as_of: AsOf = None,
) -> None:
    """Create the simulated company's operations database, history ending at --as-of."""
    from velo.simulator.company import init_company

    summary = init_company(
        load_settings(), days=days, scale=scale, seed=seed, as_of=parse_date(as_of)
    )
    print_mapping("Velo Cycles operations database", summary)


@sim_app.command("tick")
@reports_errors
def sim_tick(days: Annotated[int, typer.Option(min=1, help="Days to advance.")] = 1) -> None:
    """Advance the business: new customers and orders, status changes, price changes."""
    from velo.simulator.company import tick

    print_mapping("Simulated days", tick(load_settings(), days=days))


@sim_app.command("serve")
@reports_errors
def sim_serve(
    port: Annotated[int, typer.Option(help="Loopback port.")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Serve the simulated FX rates and news APIs over HTTP."""
    from velo.simulator.apis import serve_forever

    serve_forever(load_settings(), host=host, port=port)


@app.command("summary")
@reports_errors
def summary() -> None:
    """Print what exists: the operations database's row counts."""
    from velo.simulator.company import company_summary

    print_mapping("Velo Cycles operations database", company_summary(load_settings()))


@app.command()
@reports_errors
def bench(
    name: Annotated[str, typer.Argument(help="Benchmark name (see `velo bench list`).")],
    scale: Annotated[float | None, typer.Option(help="Scale (default: the benchmark's own).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run a benchmark side by side with its baseline."""
    from velo.bench import run_benchmark

    result = run_benchmark(name, scale=scale)
    if as_json:
        print_json(result)
    else:
        print_mapping(f"bench {name}", {
            "scale": result["scale"],
            **{f"figure {k}": v for k, v in result["figures"].items()},
            **{f"baseline {k}": v for k, v in result["baseline"].items()},
            "ratio": result["ratio"],
        })


def main() -> None:  # pragma: no cover - console entry point
    app()


