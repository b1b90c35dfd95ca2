"""FX API -> raw.fx_rates: dlt's rest_api source over the hourly endpoint, incremental + merge.

``GET {fx_api_url}/hourly.json?since=<unix>`` (the key in the ``Authorization: Token KEY`` header,
as Open Exchange Rates accepts it, so no URL, error or dlt trace ever holds it) pages forward by
``next_since``; the
incremental cursor is the hour's ``timestamp`` (the first run starts ``HISTORY_DAYS`` before now:
long enough that the sales history and the 12-month ranking window can be shown in EUR), so a
second run asks only for hours after the last one loaded. Each hour is unpivoted into one row
per quote currency, merged on (hour, quote): a run killed after its rows reached raw but before
dlt recorded the load re-loads the same hours on the next run, and a merge makes that idempotent
where an append would double them. A full refresh (which forgets the cursor and drops
raw.fx_rates) starts at the earliest hour ever loaded when that is older, so it never loses
history.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.extract import DltResource, DltSource
from dlt.sources.helpers.requests import Client, Response
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from dlt.sources.rest_api import rest_api_resources

from velo import clock
from velo.errors import VeloError
from velo.ingest.common import (
    LOADER_FILE_FORMAT,
    PreparedSource,
    explain_http_failure,
    retrying_http_client,
    with_loaded_at,
)
from velo.settings import Settings, served_api_url

FX_BASE = "EUR"
HISTORY_DAYS = 400
PAGE_HOURS = 1000  # the API maximum: fewer round trips for the first, long run
FX_COLUMNS: dict[str, dict[str, Any]] = {
    "rate_timestamp": {"data_type": "bigint", "nullable": False},
    "rate_at": {"data_type": "timestamp", "timezone": False, "nullable": False},
    "base": {"data_type": "text", "nullable": False},
    "quote": {"data_type": "text", "nullable": False},
    "rate": {"data_type": "double", "nullable": False},
}


def checked_hourly_page(response: Response, *args: Any, **kwargs: Any) -> Response:
    """A 200 answer must be the documented page (else a malformed body would load 0 rows)."""
    problem = hourly_page_problem(response)
    if problem:
        where = response.url.split("?")[0]
        raise VeloError(
            f"FX API GET {where} answered HTTP 200 but {problem}: check that fx_api_url "
            "points at an Open-Exchange-Rates-style API"
        )
    return response


def hourly_page_problem(response: Response) -> str | None:
    """What is wrong with an hourly page's body: {"base", "data": [{"timestamp", "rates"}]}."""
    try:
        body = response.json()
    except ValueError:
        snippet = " ".join(response.text[:60].split())
        return f"not JSON ({snippet!r})" if snippet else "an empty body"
    if not isinstance(body, dict):
        return f"a JSON {type(body).__name__}, not an object"
    data = body.get("data")
    if not isinstance(data, list):
        return "no 'data' list"
    for hour in data:
        if not (
            isinstance(hour, dict)
            and isinstance(hour.get("timestamp"), int)
            and isinstance(hour.get("rates"), dict)
            and all(isinstance(rate, int | float) for rate in hour["rates"].values())
        ):
            return f"an hour that is not {{timestamp: int, rates: {{quote: number}}}}: {hour!r:.80}"
    if not isinstance(body.get("next_since"), int | None):
        return "a 'next_since' that is not an integer"
    return None


class HourlyPaginator(JSONResponseCursorPaginator):
    """Pages on ``next_since``; refuses pages quoted in another base than the one we store."""

    def __init__(self) -> None:
        super().__init__(cursor_path="next_since", cursor_param="since")

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        base = response.json().get("base")
        if base != FX_BASE:
            raise VeloError(
                f"FX API {response.url.split('?')[0]} quotes base {base!r}, not {FX_BASE}"
            )
        super().update_state(response, data)


def hourly_resource(settings: Settings, client: Client, start: datetime) -> DltResource:
    config: dict[str, Any] = {
        "client": {
            "base_url": settings.fx_api_url.rstrip("/") + "/",
            "headers": {"Authorization": f"Token {settings.fx_api_key}"},
            "paginator": HourlyPaginator(),
            "session": client.session,
        },
        "resources": [
            {
                "name": "fx_hourly",
                "selected": False,
                "endpoint": {
                    "path": "hourly.json",
                    "data_selector": "data",
                    "response_actions": [{"status_code": 200, "action": checked_hourly_page}],
                    "params": {
                        "limit": PAGE_HOURS,
                        "since": {
                            "type": "incremental",
                            "cursor_path": "timestamp",
                            "initial_value": int(start.replace(tzinfo=UTC).timestamp()),
                        },
                    },
                },
            }
        ],
    }
    (resource,) = rest_api_resources(config)
    return resource


def unpivot_hours(page: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """A page of {"timestamp", "rates": {quote: rate}} hours -> one row per hour and quote."""
    for hour in page:
        stamp = int(hour["timestamp"])
        rate_at = datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)
        for quote, rate in sorted(hour["rates"].items()):
            yield {
                "rate_timestamp": stamp,
                "rate_at": rate_at,
                "base": FX_BASE,
                "quote": quote,
                "rate": float(rate),
            }


@dlt.source(name="fx", max_table_nesting=0)
def fx(settings: Settings, loaded_at: datetime, start: datetime, client: Client) -> DltResource:
    hours = hourly_resource(settings, client, start)
    rates = dlt.transformer(
        name="fx_rates",
        write_disposition="merge",
        primary_key=["rate_timestamp", "quote"],
        columns=FX_COLUMNS,
        file_format=LOADER_FILE_FORMAT,
    )(unpivot_hours)
    return with_loaded_at(hours | rates, loaded_at)


def earliest_loaded(pipeline: dlt.Pipeline) -> datetime | None:
    """The earliest hour in raw.fx_rates (read before a full refresh drops it), if any."""
    from dlt.destinations.exceptions import DatabaseUndefinedRelation

    if not pipeline.default_schema_name:
        return None
    try:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name("fx_rates")
            rows = client.execute_sql(f"select min(rate_at) from {table}")
    except DatabaseUndefinedRelation:
        return None
    value = rows[0][0] if rows else None
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


@contextmanager
def fx_source(
    settings: Settings, loaded_at: datetime, pipeline: dlt.Pipeline
) -> Iterator[PreparedSource]:
    base = served_api_url(settings, "fx_api_url").rstrip("/")
    start = clock.now(settings) - timedelta(days=HISTORY_DAYS)
    earliest = earliest_loaded(pipeline)
    if earliest is not None:  # `since` is exclusive: start just before the earliest hour
        start = min(start, earliest - timedelta(seconds=1))
    client, attempts = retrying_http_client()
    source: DltSource = fx(settings, loaded_at, start, client)
    yield PreparedSource(
        source=source,
        where=f"FX API {base}",
        explain=lambda exc: explain_http_failure(exc, f"{base}/hourly.json", attempts),
    )
