"""Fixtures for the ingest tests: a small simulated company in SQLite or PostgreSQL."""

from __future__ import annotations

import pytest
from ingest_helpers import make_company

from velo.settings import Settings


@pytest.fixture
def company(settings: Settings) -> Settings:
    """Settings whose operations DB (SQLite) holds a small simulated company."""
    return make_company(settings)


@pytest.fixture
def pg_company(settings: Settings, pg_url: str) -> Settings:
    """The same company in a real PostgreSQL database."""
    return make_company(settings.with_overrides(ops_db_url=pg_url))
