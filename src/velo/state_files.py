"""Small state files under ``state_dir`` (what was loaded, reconciled, asked for), written so that a
process killed mid-write leaves the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json_atomically(path: Path, payload: Any) -> None:
    """``payload`` as indented JSON at ``path``: written beside it, then swapped in."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    os.replace(partial, path)
