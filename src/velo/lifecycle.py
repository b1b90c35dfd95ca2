"""Landing-zone retention, the local equivalent of an S3 lifecycle rule.

Files older than ``archive_after_days`` move to ``archive/<same path>.gz`` (gzip); files older
than ``expire_after_days`` are deleted, archived ones included. Sentiment files the sentiment
pipeline has not loaded yet are never touched.

A file's age is measured from the date in its path (``dt=YYYY-MM-DD``, as the sentiment function
writes them) when there is one, else from its modification time, against the platform's
``now`` (``velo.clock.now``), so the simulated company's clock ages its own files.
"""

from __future__ import annotations

import gzip
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import fsspec
from rich.console import Console
from rich.table import Table

from velo import clock
from velo.landing import landing_fs
from velo.settings import Settings

ARCHIVE_DIR = "archive"
SENTIMENT_DIR = "sentiment"
PARTITION_DATE = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})(?:/|$)")

Action = Literal["archive", "expire", "keep"]


@dataclass(frozen=True)
class LifecycleAction:
    action: Action
    path: str  # relative to the landing root
    age_days: int
    target: str = ""  # archive path, for "archive"
    reason: str = ""  # why a file old enough is kept


def as_naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def file_date(fs: fsspec.AbstractFileSystem, path: str, relative: str) -> datetime:
    partition = PARTITION_DATE.search(relative)
    if partition:
        return datetime.fromisoformat(partition.group(1))
    return as_naive_utc(fs.modified(path))


def unloaded_sentiment(
    fs: fsspec.AbstractFileSystem, path: str, relative: str, loaded_until: datetime | None
) -> bool:
    """A sentiment file modified after the pipeline's cursor has not been ingested yet."""
    if not relative.startswith(SENTIMENT_DIR + "/"):
        return False
    return loaded_until is None or fs.modified(path).astimezone(UTC) > loaded_until.astimezone(UTC)


def plan_lifecycle(settings: Settings) -> list[LifecycleAction]:
    """What retention would do now, file by file (files too young to act on are left out)."""
    from velo.ingest.sentiment import loaded_until

    fs, root = landing_fs(settings)
    if not fs.exists(root):
        return []
    now = clock.now(settings)
    cursor = loaded_until(settings)
    plan = []
    for path in sorted(fs.find(root)):
        relative = path[len(root) :].lstrip("/")
        age = (now - file_date(fs, path, relative)).days
        archived = relative.startswith(ARCHIVE_DIR + "/")
        if age <= settings.archive_after_days or (archived and age <= settings.expire_after_days):
            continue
        if not archived and unloaded_sentiment(fs, path, relative, cursor):
            plan.append(LifecycleAction("keep", relative, age, reason="not ingested yet"))
        elif age > settings.expire_after_days:
            plan.append(LifecycleAction("expire", relative, age))
        else:
            plan.append(LifecycleAction("archive", relative, age, f"{ARCHIVE_DIR}/{relative}.gz"))
    return plan


def archive_file(fs: fsspec.AbstractFileSystem, source: str, target: str) -> None:
    """Compress to the archive first, then remove the original: a crash leaves a copy, not a gap."""
    fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
    with (
        fs.open(source, "rb") as raw,
        fs.open(target, "wb") as out,
        gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as packed,
    ):
        shutil.copyfileobj(raw, packed)
    fs.rm(source)


def run_lifecycle(settings: Settings, dry_run: bool = False) -> list[LifecycleAction]:
    """Apply (or with dry_run only list) the retention actions; returns them."""
    plan = plan_lifecycle(settings)
    if dry_run:
        return plan
    fs, root = landing_fs(settings)
    for step in plan:
        if step.action == "archive":
            archive_file(fs, f"{root}/{step.path}", f"{root}/{step.target}")
        elif step.action == "expire":
            fs.rm(f"{root}/{step.path}")
    return plan


def print_lifecycle(console: Console, plan: list[LifecycleAction], dry_run: bool) -> None:
    table = Table(title="lifecycle (dry run: nothing changed)" if dry_run else "lifecycle")
    for column in ("action", "file", "age (days)", "to / why"):
        table.add_column(column, overflow="fold")  # paths in full, never cut with an ellipsis
    for step in plan:
        table.add_row(step.action, step.path, str(step.age_days), step.target or step.reason)
    if not plan:
        table.caption = "nothing to do"
    console.print(table)
