"""The simulated world stays behind its URL: the stages data flows through never import it.

Only the entry points (`velo.runtime`, the CLI, the Dagster resources) may start the simulated
APIs or read the simulator's clock; ingestion, the functions, the warehouse, serving and the
dashboard receive a clock value or a URL, exactly as they would from a real company.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import velo

PACKAGE = Path(velo.__file__).parent
STAGES = ("ingest", "functions", "warehouse", "serving", "dashboard")
SIMULATOR = "velo.simulator"


def imported_modules(path: Path) -> set[str]:
    """Every module a Python file imports, at any depth (inside functions too)."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_imported_modules_sees_nested_and_from_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "def f():\n    from velo.simulator import clock\nimport velo.simulator.bulk\n"
    )
    assert {"velo.simulator", "velo.simulator.clock", "velo.simulator.bulk"} <= imported_modules(
        source
    )


@pytest.mark.parametrize("stage", STAGES)
def test_stage_never_imports_the_simulator(stage: str) -> None:
    files = sorted((PACKAGE / stage).rglob("*.py"))
    assert files, stage
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in imported_modules(path) if name.split(".")[:2] == SIMULATOR.split(".")
        )
        for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}
