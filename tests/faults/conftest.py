"""Session fixtures of the fault suite: one small company run once (the "old" version every
scenario starts from, its webhook down), then one more simulated day run without faults (the
reference every faulted path must end equal to)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from faults.fault_helpers import (
    BASE_DAY,
    COMPANY,
    DOWN_WEBHOOK_PATH,
    NEXT_DAY,
    BaseRun,
    Reference,
    copy_data,
    dead_url,
    marts_digest,
    serving_digest,
    start_velo,
    velo,
    velo_ok,
)


@pytest.fixture(scope="session")
def fault_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="session")
def base(fault_root: Path) -> BaseRun:
    """The company, run once at BASE_DAY with its Slack webhook down."""
    data = fault_root / "base"
    velo_ok(data, "sim", "init", *COMPANY, "--as-of", BASE_DAY.isoformat())
    done = velo(
        data,
        "run",
        "--as-of",
        BASE_DAY.isoformat(),
        slack_webhook_url=dead_url() + DOWN_WEBHOOK_PATH,
    )
    run_log = (data / "state" / "logs" / "velo-run.log").read_text(errors="replace")
    return BaseRun(data, done.returncode, done.stdout + done.stderr, run_log)


@pytest.fixture(scope="session")
def ticked(base: BaseRun, fault_root: Path) -> Path:
    """Where every fault scenario starts: the base, one more simulated day, not yet run."""
    assert base.returncode == 0, base.output[-3000:]
    data = copy_data(base.data, fault_root / "ticked")
    velo_ok(data, "sim", "tick", "--days", "1")
    return data


@pytest.fixture(scope="session")
def reference(ticked: Path, fault_root: Path) -> Reference:
    """The next day run without faults; its step timeline places the kill points."""
    data = copy_data(ticked, fault_root / "reference")
    run = start_velo(data, "run", "--as-of", NEXT_DAY.isoformat())
    assert run.finish() == 0, "\n".join(run.printed())[-3000:]
    run.printed()
    return Reference(
        data=data,
        marts=marts_digest(data),
        old_serving=serving_digest(ticked),
        new_serving=serving_digest(data),
        timeline=[(at, line) for at, line in run.seen if line is not None],
    )
