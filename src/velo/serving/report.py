"""`velo answers`: the answers as rich tables or one JSON object."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table

from velo.clock import WALL, clock_label, now, wall_now
from velo.serving.answers import compute_answers
from velo.serving.publish import open_serving
from velo.settings import Settings


def show_answers(
    settings: Settings,
    as_of: date | None = None,
    output: str = "table",
    console: Console | None = None,
) -> dict[str, Any]:
    """Print the answers as of ``as_of`` (default: the platform clock's date); return them, with
    the clock they were computed on (``clock``)."""
    as_of = as_of or now(settings).date()
    con = open_serving(settings)
    try:
        result = {**compute_answers(con, as_of), "clock": clock_of(settings)}
    finally:
        con.close()
    if output == "json":
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        print_answer_tables(console or Console(), result)
    return result


def clock_of(settings: Settings) -> dict[str, str]:
    """Which clock the answers are on: its kind and label, its time, and the wall clock's."""
    return {
        "kind": settings.clock_kind,
        "label": clock_label(settings),
        "now": now(settings).isoformat(sep=" "),
        "wall_now": wall_now().isoformat(sep=" "),
    }


def clock_line(clock: dict[str, str]) -> str:
    """E.g. "simulated time 2026-12-02 04:40:12; wall clock 2026-11-30 04:41:03 UTC"."""
    shown = f"{clock['label']} {clock['now']}"
    if clock["kind"] == WALL:
        return shown
    return f"{shown}; wall clock {clock['wall_now']} UTC"


def print_answer_tables(console: Console, result: dict[str, Any]) -> None:
    clock = result["clock"]
    console.print(
        f"[bold]Velo Cycles — answers as of {result['as_of']}[/bold] ({clock_line(clock)})",
        highlight=False,
    )
    months = Table(title="1. Revenue and profit (USD)")
    for column in ("period", "start", "end", "revenue", "profit"):
        months.add_column(column, justify="right" if column in ("revenue", "profit") else "left")
    for key in ("last_month", "previous_month"):
        period = result[key]
        if period is None:
            months.add_row(key.replace("_", " "), "no sales data", "", "", "")
        else:
            months.add_row(
                key.replace("_", " "),
                period["start"],
                period["end"],
                f"{period['revenue']:,.2f}",
                f"{period['profit']:,.2f}",
            )
    console.print(months)
    fx = result["eur_usd"]
    if fx is None:
        console.print("2. EUR→USD: no FX rates yet")
    else:
        change = "n/a" if fx["change_24h"] is None else format(fx["change_24h"], "+.4f")
        console.print(
            f"2. EUR→USD {fx['rate']:.4f} at {fx['at']} {clock['label']} (24 h change: {change})",
            highlight=False,
        )
    mood = result["sentiment"]
    console.print(
        "3. Sentiment: no news scored yet"
        if mood is None
        else f"3. Sentiment: {mood['label']} (score {mood['score']:+.3f}); 30-day mean "
        f"{mood['mean_30d']:+.3f}, trend {mood['trend']}"
    )
    print_ranking(
        console,
        "4. Top products by margin (12 months)",
        result["top_margin_products"],
        {"product": "{}", "margin": "{:.1%}", "revenue": "{:,.2f}"},
    )
    print_ranking(
        console,
        "5. Categories sold most (12 months)",
        result["top_categories"],
        {"category": "{}", "units": "{:,}", "revenue": "{:,.2f}"},
    )
    print_ranking(
        console,
        "6. Top US states by revenue (12 months)",
        result["top_states"],
        {"state": "{}", "code": "{}", "revenue": "{:,.2f}"},
    )


def print_ranking(
    console: Console, title: str, rows: list[dict[str, Any]] | None, formats: dict[str, str]
) -> None:
    table = Table(title=title)
    for column in formats:
        table.add_column(column, justify="left" if formats[column] == "{}" else "right")
    for row in rows or []:
        table.add_row(*(fmt.format(row[column]) for column, fmt in formats.items()))
    if not rows:
        table.add_row("no sales data", *([""] * (len(formats) - 1)))
    console.print(table)
