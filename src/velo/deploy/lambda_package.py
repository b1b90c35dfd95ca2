"""Build one AWS Lambda deployment zip per function (``make lambda-package``).

Each zip holds the ``velo`` package sources (so ``velo.functions.<name>.handler`` resolves) and
the function's third-party dependencies, installed with ``pip install --target`` for the Lambda
platform (CPython 3.11, manylinux x86_64) and pinned by ``constraints.txt``. pip reads the
machine's configured package indexes, so the build works wherever ``make setup`` works.

Zips are reproducible: entries are sorted and carry a fixed timestamp, and no bytecode is
included, so an unchanged function yields a byte-identical zip and Terraform's
``source_code_hash`` only changes when the code does.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from velo.errors import UsageError, VeloError

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_OUT_DIR = "lambda_dist"

# What the functions import beyond the standard library: settings/clock need SQLAlchemy, the
# landing zone fsspec (+ s3fs for s3:// URLs), the HTTP clients httpx. Lambda's runtime ships
# boto3, but s3fs pins its own botocore through aiobotocore, so that is packaged too.
COMMON_REQUIREMENTS = ("fsspec", "s3fs", "httpx", "sqlalchemy")
FUNCTION_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "sentiment": (*COMMON_REQUIREMENTS, "vaderSentiment"),
    "notify_archive": COMMON_REQUIREMENTS,
    "notify_slack": COMMON_REQUIREMENTS,
}
LAMBDA_PLATFORM = ("--platform", "manylinux2014_x86_64", "--implementation", "cp")
LAMBDA_PYTHON = "3.11"

# Fixed zip timestamp (the earliest zip can store) keeps builds byte-identical.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Console scripts and caches are useless on Lambda; the dbt project is not Python.
EXCLUDED_DIRS = frozenset({"bin", "__pycache__", "dbt_project"})
COMPLETE_MARKER = ".complete"


def handler_path(function: str) -> str:
    """The Lambda ``handler`` setting for a function, as Terraform declares it."""
    return f"velo.functions.{function}.handler"


def build_lambda_packages(
    out_dir: Path, functions: Sequence[str] | None = None, repo_root: Path = REPO_ROOT
) -> list[Path]:
    """Build ``<out_dir>/<function>.zip`` for each function (all of them by default)."""
    names = list(functions or FUNCTION_REQUIREMENTS)
    unknown = sorted(set(names) - set(FUNCTION_REQUIREMENTS))
    if unknown:
        raise UsageError(
            f"unknown Lambda function(s) {', '.join(unknown)}; "
            f"known: {', '.join(FUNCTION_REQUIREMENTS)}"
        )
    return [build_lambda_package(name, out_dir, repo_root) for name in names]


def build_lambda_package(function: str, out_dir: Path, repo_root: Path = REPO_ROOT) -> Path:
    source_root = repo_root / "src"
    module = source_root / "velo" / "functions" / f"{function}.py"
    if not module.is_file():
        raise VeloError(f"Lambda function '{function}': handler module {module} does not exist")
    out_dir.mkdir(parents=True, exist_ok=True)
    deps_dir = install_requirements(FUNCTION_REQUIREMENTS[function], out_dir / ".build", repo_root)
    target = out_dir / f"{function}.zip"
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, name in sorted(package_files(deps_dir, source_root), key=lambda item: item[1]):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # Lambda needs world-readable files
            archive.writestr(info, path.read_bytes())
    partial.replace(target)  # never leave a half-written zip under the final name
    return target


def install_requirements(requirements: Sequence[str], build_dir: Path, repo_root: Path) -> Path:
    """Install requirements for the Lambda platform once per distinct set; reruns reuse it."""
    constraints = repo_root / "constraints.txt"
    if not constraints.is_file():
        raise VeloError(f"Lambda packaging needs {constraints} to pin dependency versions")
    key = hashlib.sha1(
        "\n".join([*sorted(requirements), constraints.read_text()]).encode()
    ).hexdigest()[:12]
    deps_dir = build_dir / f"deps-{key}"
    if (deps_dir / COMPLETE_MARKER).exists():
        return deps_dir
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--upgrade",
        "--no-compile",
        "--only-binary=:all:",
        *LAMBDA_PLATFORM,
        "--python-version",
        LAMBDA_PYTHON,
        "--target",
        str(deps_dir),
        "-c",
        str(constraints),
        *requirements,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last_line = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise VeloError(
            f"pip could not install Lambda dependencies {', '.join(requirements)}: {last_line}"
        )
    (deps_dir / COMPLETE_MARKER).touch()
    return deps_dir


def package_files(deps_dir: Path, source_root: Path) -> Iterator[tuple[Path, str]]:
    """(file, name in zip) for the dependencies and the velo package, caches left out."""
    for root, prefix in ((deps_dir, ""), (source_root / "velo", "velo/")):
        for path in root.rglob("*"):
            relative = path.relative_to(root)
            if path.is_dir() or path.name == COMPLETE_MARKER or path.suffix == ".pyc":
                continue
            if EXCLUDED_DIRS.intersection(relative.parts[:-1]):
                continue
            yield path, prefix + relative.as_posix()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out_dir = Path(args[0] if args else DEFAULT_OUT_DIR)
    try:
        for path in build_lambda_packages(out_dir, args[1:] or None):
            print(f"{path}  ({path.stat().st_size / 1e6:.1f} MB)")
    except VeloError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
