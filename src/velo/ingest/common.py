"""What every ingest source shares: the prepared source handed to the runner, `_loaded_at`."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import requests
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.specs import RuntimeConfiguration
from dlt.extract import DltResource, DltSource
from dlt.sources.helpers.requests import Client

from velo.settings import Settings

LOADED_AT = "_loaded_at"
# Resources that yield Python dicts are written as parquet, not dlt's default JSONL: DuckDB's JSONL
# load path peaked at ~1.6 GB RSS for 57,600 FX rows, parquet at ~350 MB, and was slower too.
LOADER_FILE_FORMAT = "parquet"


def pipeline_name(source_name: str) -> str:
    return f"velo_{source_name}"


def pipelines_dir(settings: Settings) -> Path:
    """dlt's working state (incremental cursors, pending packages) lives with the platform's."""
    return settings.state_dir / "dlt"


@dataclass
class PreparedSource:
    """A dlt source ready to run, plus what the runner needs to report on it."""

    source: DltSource
    where: str  # what it reads, for error messages (secrets masked)
    explain: Callable[[BaseException], str | None] = lambda exc: None
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    # "drop_sources": drop the source's raw tables and state first (a different source database)
    refresh: str | None = None
    after_load: Callable[[], None] = lambda: None  # what to record once the load succeeded
    # Tables whose rows in the source are the ones raw holds already: left out of the load.
    unchanged: Collection[str] = frozenset()

    def source_to_run(self, refresh: str | None) -> DltSource:
        """The source without its unchanged tables; all of them when the load drops the
        source's raw tables first (``refresh``), which would otherwise lose those."""
        if refresh or not self.unchanged:
            return self.source
        return self.source.with_resources(
            *(name for name in self.source.selected_resources if name not in self.unchanged)
        )


def with_loaded_at(resource: DltResource, loaded_at: datetime) -> DltResource:
    """The resource with `_loaded_at` (one value per run, set at extract) on every row."""
    return resource.add_map(stamp_loaded_at(loaded_at))


def stamp_loaded_at(loaded_at: datetime) -> Callable[[Any], Any]:
    """A map step adding `_loaded_at` as a UTC instant (timestamp with time zone in the warehouse).

    It is the one real-time instant in raw (business timestamps are naive UTC): dbt source
    freshness compares it with the warehouse's clock.
    """
    loaded_at = loaded_at.replace(tzinfo=UTC)
    stamp = pa.scalar(loaded_at, pa.timestamp("us", tz="UTC"))

    def add(item: Any) -> Any:
        if isinstance(item, pa.Table):
            return item.append_column(LOADED_AT, pa.repeat(stamp, item.num_rows))
        item[LOADED_AT] = loaded_at
        return item

    return add


def retrying_http_client() -> tuple[Client, int]:
    """An HTTP client retrying 5xx, 429 and timeouts with bounded exponential backoff.

    Timeout and retries are dlt's runtime settings (defaults 60 s, 5 attempts, backoff factor 1,
    so at most 15 s of waiting), adjustable with RUNTIME__REQUEST_TIMEOUT,
    RUNTIME__REQUEST_MAX_ATTEMPTS, RUNTIME__REQUEST_BACKOFF_FACTOR and
    RUNTIME__REQUEST_MAX_RETRY_DELAY. Status errors are raised by the REST client after retrying.
    Returns the client and its number of attempts.
    """
    config = resolve_configuration(RuntimeConfiguration())
    client = Client(
        raise_for_status=False,
        request_timeout=config.request_timeout,
        request_max_attempts=config.request_max_attempts,
        request_backoff_factor=config.request_backoff_factor,
        request_max_retry_delay=config.request_max_retry_delay,
    )
    return client, config.request_max_attempts


def explain_http_failure(exc: BaseException, url: str, attempts: int) -> str | None:
    """One line for an HTTP failure, naming the URL without its query (which holds the key)."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        retried = f" after {attempts} attempts" if status >= 500 or status == 429 else ""
        hint = " (check the API key setting)" if status in (401, 403) else ""
        return f"GET {url} answered HTTP {status} {exc.response.reason}{retried}{hint}"
    if isinstance(exc, requests.Timeout):
        return f"GET {url} timed out {attempts} times"
    if isinstance(exc, requests.ConnectionError):
        return f"GET {url} could not connect ({attempts} attempts)"
    return None
