"""Errors the user sees as one clear line (which source, which file/row, what to do)."""

from __future__ import annotations


class VeloError(Exception):
    """A failure with a message meant for the user; the CLI prints it and exits non-zero."""

    exit_code = 1


class UsageError(VeloError):
    """Bad configuration or arguments: exit code 2, like a command-line usage error."""

    exit_code = 2
