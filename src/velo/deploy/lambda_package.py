"""Build one AWS Lambda deployment zip per function (``make lambda-package``).

Each zip holds only what the function imports: the ``velo`` modules its handler module reaches
through its imports (read from the sources, lazy imports included, ``TYPE_CHECKING`` blocks not),
and the third-party distributions those modules import, installed with ``pip install --target``
for the Lambda platform (CPython 3.11, manylinux x86_64) and pinned by ``constraints.txt``. pip
reads the machine's configured package indexes, so the build works wherever ``make setup`` works.

Zips are reproducible: entries are sorted and carry a fixed timestamp, and no bytecode is
included, so an unchanged function yields a byte-identical zip and Terraform's
``source_code_hash`` only changes when the code does.
"""

from __future__ import annotations

import ast
import hashlib
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from velo.errors import UsageError, VeloError
from velo.functions import FUNCTIONS

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_OUT_DIR = "lambda_dist"

# Third-party modules a function may import -> the distributions to install for it. fsspec loads
# s3fs by name for s3:// landing URLs; s3fs pins its own botocore through aiobotocore, so that is
# packaged too even though Lambda's runtime ships boto3.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "fsspec": ("fsspec", "s3fs"),
    "httpx": ("httpx",),
    "sqlalchemy": ("sqlalchemy",),
    "vaderSentiment": ("vaderSentiment",),
}
RUNTIME_PROVIDED = frozenset({"boto3", "botocore"})  # in Lambda's Python runtime already
LAMBDA_PLATFORM = ("--platform", "manylinux2014_x86_64", "--implementation", "cp")
LAMBDA_PYTHON = "3.11"

# Fixed zip timestamp (the earliest zip can store) keeps builds byte-identical.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Console scripts and caches are useless on Lambda.
EXCLUDED_DIRS = frozenset({"bin", "__pycache__"})
# Files a velo module reads at run time, packaged whenever the module is (paths under src/).
MODULE_DATA: dict[str, tuple[str, ...]] = {
    "velo/sentiment/model.py": ("velo/sentiment/model.json",),
}
COMPLETE_MARKER = ".complete"


def handler_path(function: str) -> str:
    """The Lambda ``handler`` setting for a function, as Terraform declares it."""
    return f"velo.functions.{function}.handler"


def build_lambda_packages(
    out_dir: Path, functions: Sequence[str] | None = None, repo_root: Path = REPO_ROOT
) -> list[Path]:
    """Build ``<out_dir>/<function>.zip`` for each function (all of them by default)."""
    names = list(functions or FUNCTIONS)
    unknown = sorted(set(names) - set(FUNCTIONS))
    if unknown:
        raise UsageError(
            f"unknown Lambda function(s) {', '.join(unknown)}; known: {', '.join(FUNCTIONS)}"
        )
    return [build_lambda_package(name, out_dir, repo_root) for name in names]


def build_lambda_package(function: str, out_dir: Path, repo_root: Path = REPO_ROOT) -> Path:
    source_root = repo_root / "src"
    module = source_root / "velo" / "functions" / f"{function}.py"
    if not module.is_file():
        raise VeloError(f"Lambda function '{function}': handler module {module} does not exist")
    sources, third_party = imported_by(f"velo.functions.{function}", source_root)
    out_dir.mkdir(parents=True, exist_ok=True)
    deps_dir = install_requirements(
        distributions(function, third_party), out_dir / ".build", repo_root
    )
    files = [
        *dependency_files(deps_dir),
        *((path, path.relative_to(source_root).as_posix()) for path in sources),
        *data_files(sources, source_root),
    ]
    target = out_dir / f"{function}.zip"
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, name in sorted(files, key=lambda item: item[1]):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # Lambda needs world-readable files
            archive.writestr(info, path.read_bytes())
    partial.replace(target)  # never leave a half-written zip under the final name
    return target


def data_files(sources: set[Path], source_root: Path) -> Iterator[tuple[Path, str]]:
    """(file, name in zip) for the data the packaged modules read (MODULE_DATA)."""
    for path in sources:
        for name in MODULE_DATA.get(path.relative_to(source_root).as_posix(), ()):
            yield source_root / name, name


def imported_by(module: str, source_root: Path) -> tuple[set[Path], set[str]]:
    """The velo source files ``module`` needs (itself, its packages' ``__init__`` files and all
    they import, transitively) and the top-level third-party modules they import."""
    files: set[Path] = set()
    third_party: set[str] = set()
    pending = [module]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        parts = name.split(".")
        # importing a.b.c runs a/__init__ and a/b/__init__ first
        for depth in range(1, len(parts) + 1):
            current = ".".join(parts[:depth])
            if current in seen:
                continue
            seen.add(current)
            path = module_file(current, source_root)
            if path is None:
                continue  # a name imported from a module (``from velo.x import y``), not a module
            files.add(path)
            for imported in imports_of(path, current, is_package=path.name == "__init__.py"):
                top = imported.split(".")[0]
                if top == "velo":
                    pending.append(imported)
                elif top not in sys.stdlib_module_names:
                    third_party.add(top)
    return files, third_party


def module_file(module: str, source_root: Path) -> Path | None:
    base = source_root.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imports_of(path: Path, module: str, *, is_package: bool) -> set[str]:
    """Modules a source file imports anywhere (also inside functions), except for type checking;
    ``from p import name`` counts as importing ``p`` and ``p.name`` (name may be a module)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in walk_outside_type_checking(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def walk_outside_type_checking(node: ast.AST) -> Iterator[ast.AST]:
    """Every node below ``node``, except the bodies of ``if TYPE_CHECKING:`` blocks."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and ast.unparse(child.test).endswith("TYPE_CHECKING"):
            for other in child.orelse:
                yield other
                yield from walk_outside_type_checking(other)
        else:
            yield child
            yield from walk_outside_type_checking(child)


def distributions(function: str, third_party: set[str]) -> list[str]:
    """What pip installs for these imports; one clear error for an import nobody mapped."""
    unmapped = sorted(third_party - set(DISTRIBUTIONS) - RUNTIME_PROVIDED)
    if unmapped:
        raise VeloError(
            f"Lambda function '{function}' imports {', '.join(unmapped)}, which the packager "
            "does not know how to install: add it to DISTRIBUTIONS in velo/deploy/lambda_package.py"
        )
    return sorted(
        {dist for name in third_party & set(DISTRIBUTIONS) for dist in DISTRIBUTIONS[name]}
    )


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


def dependency_files(deps_dir: Path) -> Iterator[tuple[Path, str]]:
    """(file, name in zip) for the installed dependencies, caches and scripts left out."""
    for path in deps_dir.rglob("*"):
        relative = path.relative_to(deps_dir)
        if path.is_dir() or path.name == COMPLETE_MARKER or path.suffix == ".pyc":
            continue
        if EXCLUDED_DIRS.intersection(relative.parts[:-1]):
            continue
        yield path, relative.as_posix()


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
