"""The tree stays lint-clean: the same checks as `make lint`, so CI (`make test`) enforces them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DBT_MODELS = "src/velo/warehouse/dbt_project/models"


@pytest.mark.parametrize(
    "command",
    [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "sqlfluff"), "lint", DBT_MODELS],
    ],
    ids=["ruff-check", "ruff-format", "sqlfluff"],
)
def test_tree_is_lint_clean(command: list[str]) -> None:
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
