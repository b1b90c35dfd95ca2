"""The dashboard's fixtures: a published sample serving DB and the app under AppTest."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from velo.serving.sample import publish_sample
from velo.settings import Settings

APP = Path(__file__).resolve().parents[2] / "src" / "velo" / "dashboard" / "app.py"
AS_OF = date(2014, 6, 30)


@pytest.fixture
def served(settings: Settings) -> Settings:
    settings = settings.with_overrides(clock=datetime(2014, 6, 30, 23, 0))
    publish_sample(settings, AS_OF, scale=0.05)
    return settings


@pytest.fixture
def app(served: Settings) -> AppTest:
    """The app, first page rendered (VELO_DATA_DIR points at the served data)."""
    return AppTest.from_file(str(APP), default_timeout=60).run()


def figure(element: object) -> dict:
    return json.loads(element.proto.spec)  # type: ignore[attr-defined]


def values(array: object) -> list:
    """Plotly arrays, plain or binary-encoded ({'dtype': 'f8', 'bdata': base64})."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)  # type: ignore[call-overload]
