"""The static-check tools' cached virtualenv: built once, by one process at a time."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

import pytest

from velo.deploy.static_checks import COMPLETE_MARKER, build_lock, cached_venv, venv_dir


def test_a_venv_another_process_is_building_is_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a fresh machine the suite's workers ask for the tools at once: the second must wait
    for the first's build, not delete its files under its pip (CI failed that way)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    requirements = tmp_path / "tools.txt"
    requirements.write_text("# nothing to install: the venv alone\n")
    target = venv_dir(requirements)
    built: list[Path] = []
    asking = threading.Thread(target=lambda: built.append(cached_venv(requirements)))
    target.parent.mkdir(parents=True)
    with build_lock(target).open("a") as other_build:  # another process is building it
        fcntl.flock(other_build, fcntl.LOCK_EX)
        asking.start()
        asking.join(timeout=2.0)
        assert asking.is_alive()
        assert not target.exists()
        fcntl.flock(other_build, fcntl.LOCK_UN)
    asking.join(timeout=300)
    assert built == [target]
    assert (target / COMPLETE_MARKER).is_file()
    assert (target / "bin" / "python").exists()
