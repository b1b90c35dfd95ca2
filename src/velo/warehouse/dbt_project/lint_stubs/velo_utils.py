"""sqlfluff's jinja templater stand-ins for the velo_utils package's macros (linting only)."""

import importlib.util
from pathlib import Path

# The sibling stand-in module by path: the name `dbt` may already mean the real dbt package.
_spec = importlib.util.spec_from_file_location("velo_lint_dbt", Path(__file__).with_name("dbt.py"))
_dbt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_dbt)


def __getattr__(name):
    return _dbt.as_expression
