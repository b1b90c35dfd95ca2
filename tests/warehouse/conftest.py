"""One small warehouse built through the real path, shared by the module's read-only tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from warehouse_helpers import create_company, settings_in

from velo.settings import Settings
from velo.warehouse.runner import DbtResult, transform


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, DbtResult]]:
    settings = settings_in(tmp_path_factory.mktemp("warehouse") / "data")
    create_company(settings)
    yield settings, transform(settings)
