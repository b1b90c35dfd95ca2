"""A published serving DB built from the contract-following sample warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import duckdb
import pytest

from velo.serving import open_serving
from velo.serving.sample import publish_sample
from velo.settings import Settings

AS_OF = date(2014, 6, 30)


@pytest.fixture
def served(settings: Settings) -> Settings:
    """Settings whose serving DB holds the sample marts, published as of AS_OF 23:00."""
    settings = settings.with_overrides(clock=datetime(2014, 6, 30, 23, 0))
    publish_sample(settings, AS_OF, scale=0.05)
    return settings


@pytest.fixture
def con(served: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_serving(served)
    yield connection
    connection.close()
