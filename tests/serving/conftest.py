"""A connection to the published sample serving DB (`served`, in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from velo.serving import open_serving
from velo.settings import Settings


@pytest.fixture
def con(served: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_serving(served)
    yield connection
    connection.close()
