"""The dashboard's fixtures: the app under AppTest over the published sample (`served`)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from velo.settings import Settings

APP = Path(__file__).resolve().parents[2] / "src" / "velo" / "dashboard" / "app.py"


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
