"""One writer at a time: a run lock in ``state_dir`` held by every command that writes.

``velo run``, ``ingest``, ``transform``, ``publish``, ``lifecycle`` and the simulator's
``init``/``tick`` take it; a second writer waits up to ``wait_seconds`` for the first to finish,
then gives up with one line naming the holder. The lock is an advisory ``flock`` on
``<state_dir>/velo.lock`` (released by the OS when the holder dies, so a crash never leaves it
stuck) and re-entrant within a process (``velo run`` publishes through Dagster in-process).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from velo.clock import wall_now
from velo.errors import VeloError
from velo.settings import Settings

LOCK_FILE = "velo.lock"
DEFAULT_WAIT_SECONDS = 60.0
POLL_SECONDS = 0.2
_held: dict[Path, int] = {}  # lock path -> nesting depth in this process


def lock_path(settings: Settings) -> Path:
    return Path(settings.state_dir) / LOCK_FILE


@contextmanager
def writer_lock(
    settings: Settings, command: str, wait_seconds: float | None = None
) -> Iterator[None]:
    """Hold the run lock for ``command``; VeloError after ``wait_seconds`` (default
    DEFAULT_WAIT_SECONDS) if another process holds it."""
    path = lock_path(settings)
    wait_seconds = DEFAULT_WAIT_SECONDS if wait_seconds is None else wait_seconds
    if path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        acquire(handle, path, wait_seconds)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{command} (pid {os.getpid()}, since {wall_now():%Y-%m-%d %H:%M:%S} UTC)")
        handle.flush()
        _held[path] = 1
        try:
            yield
        finally:
            del _held[path]
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def waiting_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory ``flock`` on ``path``, waiting as long as another process holds it
    (the OS releases it if the holder dies): for short work two processes must not interleave."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def acquire(handle: object, path: Path, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = path.read_text().strip() or "another velo command"
                raise VeloError(
                    f"{holder} is writing to this data directory (lock {path}); waited "
                    f"{wait_seconds:g} s — retry when it has finished"
                ) from None
            time.sleep(POLL_SECONDS)
