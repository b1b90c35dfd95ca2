"""What a dbt build was made from, so that a run with nothing new builds and publishes nothing.

A build's inputs are the dbt project's files, the warehouse it runs in and, for every dbt source,
which rows raw holds: its row count and newest dlt load id (every load that adds or changes rows
stamps them with a new load id; a delete lowers the count). The scheduled build records them
after a green build of the whole project, publishing marks them published, and the next build
whose inputs equal the published ones has nothing to do: the marts and the serving DB already
are what it would produce. Anything else — a new row, a repaired row, a changed model, a build
or publish that failed, a missing serving DB — builds and publishes as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from velo.settings import Settings, mask_secret
from velo.warehouse.runner import dbt_target_dir

# Directories of a dbt project that are not its source (outputs, installed copies of packages).
NOT_SOURCES = frozenset({"target", "logs", "dbt_packages"})
BUILT = "build_inputs.json"  # the inputs of the last green build of the whole project
PUBLISHED = "published_inputs.json"  # the inputs of the build the serving DB holds

Inputs = dict[str, Any]


def project_files(project_dir: Path) -> Iterator[Path]:
    """Every file of the dbt project that is its source, in a stable order."""
    for path in sorted(project_dir.rglob("*")):
        if path.is_file() and path.relative_to(project_dir).parts[0] not in NOT_SOURCES:
            yield path


def project_digest(project_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in project_files(project_dir):
        digest.update(str(path.relative_to(project_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_inputs(settings: Settings, project_dir: Path, raw: dict[str, Any]) -> Inputs:
    """A build's inputs, given what raw holds (``velo.ingest.runner.raw_versions``)."""
    return {
        "project": project_digest(project_dir),
        "warehouse": [
            settings.warehouse,
            str(settings.warehouse_path),
            mask_secret("warehouse_url", settings.warehouse_url),
        ],
        "raw": raw,
    }


def _path(settings: Settings, name: str) -> Path:
    return dbt_target_dir(settings) / name


def _read(path: Path) -> Inputs | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def forget_built(settings: Settings) -> None:
    """At the start of a build: until it is green, the last one's inputs no longer describe the
    warehouse."""
    _path(settings, BUILT).unlink(missing_ok=True)


def record_built(settings: Settings, inputs: Inputs) -> None:
    path = _path(settings, BUILT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(inputs, sort_keys=True, default=str))


def mark_published(settings: Settings) -> None:
    """After a publish: the serving DB holds the last green build (when there was one)."""
    built = _path(settings, BUILT)
    if built.exists():
        built.replace(_path(settings, PUBLISHED))


def is_published(settings: Settings, inputs: Inputs) -> bool:
    """The serving DB exists and was published from a build of exactly these inputs."""
    published = _read(_path(settings, PUBLISHED))
    normalised = json.loads(json.dumps(inputs, sort_keys=True, default=str))
    return settings.serving_path.exists() and published == normalised
