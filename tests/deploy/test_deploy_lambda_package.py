"""make lambda-package: a function's zip holds its handler and every dependency it imports."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from velo.deploy.lambda_package import build_lambda_packages, handler_path
from velo.errors import UsageError, VeloError

# Imported with nothing but the extracted zip on sys.path (-S: no site-packages, -I: no env).
IMPORT_CHECK = """
import importlib, sys
root = sys.argv[1]
sys.path.insert(0, root)
module_name, attribute = sys.argv[2].rsplit(".", 1)
module = importlib.import_module(module_name)
assert callable(getattr(module, attribute)), "handler is not callable"
for name in ("vaderSentiment", "httpx", "fsspec", "s3fs", module_name):
    found = importlib.import_module(name).__file__
    assert found.startswith(root), f"{name} came from {found}, not the zip"
if module_name == "velo.functions.sentiment":  # the finance model scores without numpy
    from velo.sentiment.model import load_model
    assert load_model().predict("Shares plunge after profit warning").label == "negative"
    assert "numpy" not in sys.modules
print("ok")
"""


@pytest.fixture(scope="module")
def sentiment_zip(tmp_path_factory) -> Path:
    [path] = build_lambda_packages(tmp_path_factory.mktemp("lambda_dist"), ["sentiment"])
    return path


def test_zip_holds_the_handler_module_and_its_dependencies(sentiment_zip):
    names = set(zipfile.ZipFile(sentiment_zip).namelist())
    assert "velo/functions/sentiment.py" in names
    assert "velo/settings.py" in names
    assert any(name.startswith("vaderSentiment/") for name in names)
    assert not any("__pycache__" in name or name.startswith("bin/") for name in names)
    assert not any("dbt_project" in name for name in names)
    assert "velo/sentiment/model.json" in names
    assert not any("training_data" in name for name in names)
    assert not any(name.startswith("velo/simulator/datasets/") for name in names)  # 23 MB of CSVs


def test_zip_holds_only_what_the_function_imports(sentiment_zip):
    names = zipfile.ZipFile(sentiment_zip).namelist()
    tops = {name.split("/")[0] for name in names}
    assert "sqlalchemy" not in tops and "SQLAlchemy" not in {t.split("-")[0] for t in tops}
    for unused in ("simulator", "ingest", "warehouse", "serving", "dashboard", "orchestration"):
        assert not any(name.startswith(f"velo/{unused}/") for name in names), unused
    assert "velo/functions/notify_slack.py" not in names  # another function's module


def test_a_function_importing_an_unmapped_library_is_refused(tmp_path):
    source_root = tmp_path / "src"
    functions = source_root / "velo" / "functions"
    functions.mkdir(parents=True)
    (source_root / "velo" / "__init__.py").write_text("")
    (functions / "__init__.py").write_text("")
    (functions / "sentiment.py").write_text("def handler(event, context):\n    import pandas\n")
    (tmp_path / "constraints.txt").write_text("")
    with pytest.raises(VeloError, match=r"imports pandas.*add it to DISTRIBUTIONS"):
        build_lambda_packages(tmp_path / "dist", ["sentiment"], repo_root=tmp_path)


def test_handler_imports_from_the_extracted_zip_alone(sentiment_zip, tmp_path):
    with zipfile.ZipFile(sentiment_zip) as archive:
        archive.extractall(tmp_path)
    result = subprocess.run(
        [sys.executable, "-S", "-I", "-c", IMPORT_CHECK, str(tmp_path), handler_path("sentiment")],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_rebuild_is_byte_identical(sentiment_zip):
    before = sentiment_zip.read_bytes()
    [again] = build_lambda_packages(sentiment_zip.parent, ["sentiment"])
    assert again == sentiment_zip
    assert again.read_bytes() == before  # so terraform/CD see a change only when code changes


def test_unknown_function_is_refused(tmp_path):
    with pytest.raises(UsageError, match="unknown Lambda function"):
        build_lambda_packages(tmp_path, ["not_a_function"])
    assert not list(tmp_path.iterdir())
