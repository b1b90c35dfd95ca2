"""Landing zone -> raw.sentiment: dlt's filesystem source over sentiment/**/*.jsonl.

Files are picked up incrementally on their modification time and parsed here line by line, so a
malformed line (not UTF-8, not JSON, not a record) is quarantined
(``quarantine/sentiment/<file>.<line>.json`` with file, line, reason and the raw text; the raw
bytes too, base64, when they are not UTF-8) while the good lines of the same file still load.
Rows are merged on the article url, keeping the latest ``scored_at`` when a load holds an
article twice (a re-scored history file next to the original), so a re-delivered file never
duplicates an article. Timestamps with a UTC offset are converted to UTC.

The files `velo lifecycle` archived (``archive/sentiment/**/*.jsonl.gz``) are read too: a full
refresh, which forgets the cursor, reloads every article still kept, not only the recent ones.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.common.storages.fsspec_filesystem import FileItemDict
from dlt.common.time import ensure_pendulum_datetime
from dlt.extract import DltResource, DltSource
from dlt.sources.filesystem import filesystem

from velo.ingest.common import (
    LOADER_FILE_FORMAT,
    PreparedSource,
    pipeline_name,
    pipelines_dir,
    with_loaded_at,
)
from velo.landing import landing_fs
from velo.lifecycle import ARCHIVE_DIR
from velo.settings import Settings

SENTIMENT_DIR = "sentiment"
QUARANTINE_DIR = "quarantine/sentiment"
# Listed from the landing root: live files and their gzipped archive copies.
FILE_GLOB = "**/*.jsonl*"
FILE_PREFIXES = (f"{SENTIMENT_DIR}/", f"{ARCHIVE_DIR}/{SENTIMENT_DIR}/")
CURSOR = "modification_date"
FILES_RESOURCE = "sentiment_files"
LABELS = frozenset({"positive", "neutral", "negative"})
# Files landed before scorers were named were all scored by VADER.
SCORER_BEFORE_NAMING = "vader"
SENTIMENT_COLUMNS: dict[str, dict[str, Any]] = {
    "url": {"data_type": "text", "nullable": False},
    "title": {"data_type": "text"},
    "summary": {"data_type": "text"},
    "source": {"data_type": "text"},
    "time_published": {"data_type": "timestamp", "timezone": False},
    "authors": {"data_type": "text"},
    "score": {"data_type": "double"},
    "label": {"data_type": "text"},
    "scorer": {"data_type": "text"},
    "scorer_version": {"data_type": "text"},
    "scored_at": {"data_type": "timestamp", "timezone": False, "dedup_sort": "desc"},
    "vendor_score": {"data_type": "double"},
    "vendor_label": {"data_type": "text"},
    "relevance": {"data_type": "double"},
    "ticker_score": {"data_type": "double"},
    "ticker_sentiment": {"data_type": "text"},
    "_source_file": {"data_type": "text"},
}


log = logging.getLogger(__name__)


class BadLine(ValueError):
    """A line that is not a sentiment record; its message is the quarantine reason."""


def parse_timestamp(record: dict[str, Any], key: str) -> datetime:
    """An ISO timestamp as naive UTC: an offset is converted, not dropped."""
    try:
        moment = datetime.fromisoformat(str(record[key]))
    except KeyError:
        raise BadLine(f"missing '{key}'") from None
    except ValueError:
        raise BadLine(f"'{key}' is not an ISO datetime: {record[key]!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def optional_number(record: dict[str, Any], key: str) -> float | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadLine(f"'{key}' is not a number: {value!r}")
    return float(value)


def parse_line(text: str, source_file: str) -> dict[str, Any]:
    """One JSONL line -> one raw.sentiment row, or BadLine saying what is wrong with it."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(record, dict):
        raise BadLine(f"not a JSON object but {type(record).__name__}")
    url = record.get("url")
    if not isinstance(url, str) or not url:
        raise BadLine("missing 'url'")
    score = record.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise BadLine(f"'score' is not a number: {score!r}")
    if record.get("label") not in LABELS:
        raise BadLine(f"'label' is not one of {', '.join(sorted(LABELS))}: {record.get('label')!r}")
    authors = record.get("authors") or []
    if not isinstance(authors, list):
        raise BadLine(f"'authors' is not a list: {authors!r}")
    return {
        "url": url,
        "title": record.get("title"),
        "summary": record.get("summary"),
        "source": record.get("source"),
        "time_published": parse_timestamp(record, "time_published"),
        "authors": ", ".join(str(a) for a in authors),
        "score": float(score),
        "label": record["label"],
        "scorer": str(record.get("scorer") or SCORER_BEFORE_NAMING),
        "scorer_version": record.get("scorer_version"),
        "scored_at": parse_timestamp(record, "scored_at"),
        "vendor_score": optional_number(record, "vendor_score"),
        "vendor_label": record.get("vendor_label"),
        "relevance": optional_number(record, "relevance"),
        "ticker_score": optional_number(record, "ticker_score"),
        "ticker_sentiment": json.dumps(record.get("ticker_sentiment") or []),
        "_source_file": source_file,
    }


def quarantine_line(
    settings: Settings, source_file: str, line_no: int, reason: str, raw: bytes
) -> dict[str, Any]:
    """Keep a bad line where a person can look at it; rerunning rewrites the same file.

    ``raw`` is the line's text; bytes that are not UTF-8 show as escapes there and are kept
    exactly in ``raw_base64``, so nothing is lost.
    """
    fs, root = landing_fs(settings)
    entry: dict[str, Any] = {
        "file": source_file,
        "line": line_no,
        "reason": reason,
        "raw": raw.decode("utf-8", errors="backslashreplace"),
    }
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        entry["raw_base64"] = base64.b64encode(raw).decode("ascii")
    name = source_file.removeprefix(SENTIMENT_DIR + "/")
    relative = f"{QUARANTINE_DIR}/{name}.{line_no}.json"
    path = f"{root}/{relative}"
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    with fs.open(path, "w") as fh:
        json.dump(entry, fh)
    log.warning(
        "sentiment: %s line %d quarantined (%s) to landing %s; fix or remove it there",
        source_file, line_no, reason, relative,
    )  # fmt: skip
    return entry


def decoded(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadLine(f"not valid UTF-8 (byte {exc.start + 1} of the line)") from None


def file_bytes(source_file: str, content: bytes) -> bytes:
    """A file's bytes; archived files (``.gz``) are decompressed first."""
    if not source_file.endswith(".gz"):
        return content
    try:
        return gzip.decompress(content)
    except (OSError, EOFError) as exc:
        raise BadLine(f"archived file is not readable gzip ({exc})") from None


def file_rows(settings: Settings, quarantined: list[dict[str, Any]]) -> Any:
    """A transformer: listed files -> parsed rows; bad lines go to quarantine and are counted."""

    def rows(files: list[FileItemDict]) -> Iterator[list[dict[str, Any]]]:
        for file in files:
            source_file = file["relative_path"]
            try:
                content = file_bytes(source_file, file.read_bytes())
            except BadLine as exc:
                quarantined.append(quarantine_line(settings, source_file, 0, str(exc), b""))
                continue
            parsed = []
            for line_no, line in enumerate(content.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    parsed.append(parse_line(decoded(line), source_file))
                except BadLine as exc:
                    quarantined.append(
                        quarantine_line(settings, source_file, line_no, str(exc), line)
                    )
            yield parsed

    return dlt.transformer(
        name="sentiment",
        write_disposition="merge",
        primary_key="url",
        columns=SENTIMENT_COLUMNS,
        file_format=LOADER_FILE_FORMAT,
    )(rows)


def files_resource(settings: Settings) -> DltResource:
    fs, _ = landing_fs(settings)
    files = filesystem(
        bucket_url=settings.landing_url.rstrip("/"),
        credentials=fs,
        file_glob=FILE_GLOB,
    ).with_name(FILES_RESOURCE)
    files.add_filter(lambda item: item["relative_path"].startswith(FILE_PREFIXES))
    files.apply_hints(incremental=dlt.sources.incremental(CURSOR))
    return files


@dlt.source(name="sentiment", max_table_nesting=0)
def sentiment(
    settings: Settings, loaded_at: datetime, quarantined: list[dict[str, Any]]
) -> DltResource:
    rows = files_resource(settings) | file_rows(settings, quarantined)
    return with_loaded_at(rows, loaded_at)


def loaded_until(settings: Settings) -> datetime | None:
    """The modification time up to which sentiment files have been ingested (None: none yet).

    It is the pipeline's incremental cursor, committed when its files were extracted into a load
    package (a package an interrupted run left behind is loaded by the next run).
    """
    from dlt.pipeline.exceptions import CannotRestorePipelineException

    try:
        pipeline = dlt.attach(
            pipeline_name("sentiment"), pipelines_dir=str(pipelines_dir(settings))
        )
    except CannotRestorePipelineException:
        return None
    resources = pipeline.state.get("sources", {}).get("sentiment", {}).get("resources", {})
    cursor = resources.get(FILES_RESOURCE, {}).get("incremental", {}).get(CURSOR, {})
    value = cursor.get("last_value")
    return None if value is None else ensure_pendulum_datetime(value)


@contextmanager
def sentiment_source(
    settings: Settings, loaded_at: datetime, pipeline: dlt.Pipeline
) -> Iterator[PreparedSource]:
    quarantined: list[dict[str, Any]] = []
    source: DltSource = sentiment(settings, loaded_at, quarantined)
    yield PreparedSource(
        source=source,
        where=f"landing {settings.landing_url.rstrip('/')}/{SENTIMENT_DIR}",
        quarantined=quarantined,
    )
