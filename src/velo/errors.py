"""Errors the user sees as one clear line (which source, which file/row, what to do)."""

from __future__ import annotations

import errno


class VeloError(Exception):
    """A failure with a message meant for the user; the CLI prints it and exits non-zero."""

    exit_code = 1


class UsageError(VeloError):
    """Bad configuration or arguments: exit code 2, like a command-line usage error."""

    exit_code = 2


# What to do about an environment fault, by errno (OSError) — one line, never a traceback.
DISK_FULL_HINT = "free disk space (or raise the file-size limit) and rerun"
OS_ERROR_HINTS = {
    errno.EACCES: "make it writable or point the setting that names it elsewhere (`velo config`)",
    errno.EPERM: "make it writable or point the setting that names it elsewhere (`velo config`)",
    errno.EROFS: "the file system is read-only: point the setting at a writable directory",
    errno.ENOENT: "create it or fix the setting that names it (`velo config` shows them)",
    errno.ENOTDIR: "a file stands where a directory is expected: fix the path setting",
    errno.EEXIST: "a file stands where a directory is expected: fix the path setting",
    errno.EISDIR: "a directory stands where a file is expected: fix the path setting",
    errno.ENOSPC: DISK_FULL_HINT,
    errno.EFBIG: DISK_FULL_HINT,
    errno.EDQUOT: DISK_FULL_HINT,
}
CORRUPT_DB_HINT = (
    "the file is damaged or not a database: restore it, or move it away and rerun "
    "(`velo run --full-refresh` rebuilds the warehouse, `velo publish` the serving DB)"
)


def explain_fault(exc: BaseException) -> str | None:
    """One line for an environment fault (files, disk, a damaged database), else None."""
    if isinstance(exc, OSError) and exc.errno in OS_ERROR_HINTS:
        where = f" {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or type(exc).__name__}:{where} — {OS_ERROR_HINTS[exc.errno]}"
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    lowered = text.lower()
    if any(
        sign in lowered
        for sign in ("file too large", "no space left", "disk is full", "disk i/o error")
    ):
        return f"{first} — {DISK_FULL_HINT}"
    if "permission denied" in lowered or "read-only file system" in lowered:
        return f"{first} — {OS_ERROR_HINTS[errno.EACCES]}"
    if (
        "not a valid duckdb database" in lowered
        or "file is not a database" in lowered
        or "database disk image is malformed" in lowered
        or ("serialization error" in lowered and "database" in lowered)
    ):
        return f"{first} — {CORRUPT_DB_HINT}"
    return None
