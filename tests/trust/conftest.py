"""The trust tests build their company like the warehouse tests: reuse warehouse_helpers."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "warehouse"))
