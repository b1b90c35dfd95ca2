"""The landing zone: one fsspec filesystem and root for settings.landing_url.

A local path by default; any fsspec URL works (``s3://bucket/landing`` with s3fs,
``memory://bucket/landing`` in tests). Paths inside it are relative, '/'-separated.
"""

from __future__ import annotations

import fsspec
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from velo.settings import Settings


def landing_fs(settings: Settings) -> tuple[fsspec.AbstractFileSystem, str]:
    """The landing zone's filesystem and its root path (no trailing '/'); local roots exist."""
    fs, root = url_to_fs(settings.landing_url)
    root = root.rstrip("/")
    if isinstance(fs, LocalFileSystem):
        fs.makedirs(root, exist_ok=True)
    return fs, root


def join(root: str, relative_path: str) -> str:
    return f"{root}/{relative_path.lstrip('/')}"


def holds(fs: fsspec.AbstractFileSystem, path: str, data: bytes) -> bool:
    try:
        return bool(fs.exists(path)) and fs.size(path) == len(data) and fs.cat_file(path) == data
    except OSError:
        return False


def write_text(settings: Settings, relative_path: str, text: str) -> str:
    """Write a whole file into the landing zone; returns its full path on the filesystem.

    Readers never see half a file: object stores (S3) make a PUT visible at once; locally the
    text goes to a '.partial' sibling that is then renamed (the sentiment pipeline lists
    ``*.jsonl`` only). Rewriting a file with the bytes it holds (a rerun) leaves it, and its
    modification time, as it was: the incremental readers have nothing new to read.
    """
    fs, root = landing_fs(settings)
    path = join(root, relative_path)
    data = text.encode("utf-8")
    if holds(fs, path, data):
        return path
    if isinstance(fs, LocalFileSystem):
        fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        fs.pipe_file(f"{path}.partial", data)
        fs.mv(f"{path}.partial", path)
    else:
        fs.pipe_file(path, data)
    return path
