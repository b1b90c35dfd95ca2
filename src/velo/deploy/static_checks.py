"""Static checks of the deployment code: checkov on Terraform, hadolint on the Dockerfile.

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

REPO_ROOT = Path(__file__).resolve().parents[3]
TOOLS_FILE = Path("infra/static-tools.txt")
TERRAFORM_DIR = Path("infra/terraform")
DOCKERFILES = (Path("docker/Dockerfile"),)
COMPLETE_MARKER = ".complete"


def tools_venv(repo_root: Path = REPO_ROOT) -> Path:
    """The tools' virtualenv, created on first use; an interrupted build is redone, never used."""
    requirements = repo_root / TOOLS_FILE
    key = hashlib.sha1(requirements.read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "velo"
    target = cache / f"static-tools-{key}"
    marker = target / COMPLETE_MARKER
    if marker.exists():
        return target
    # venv scripts hard-code their directory, so it is built in place, and marked when complete.
    shutil.rmtree(target, ignore_errors=True)
    venv.create(target, with_pip=True)
    result = subprocess.run(
        [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", "-r", str(requirements)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise VeloError(f"could not install the static-check tools from {requirements}: {last}")
    marker.touch()
    return target


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


def main() -> int:
    results = [run_checkov(), *(run_hadolint(REPO_ROOT / path) for path in DOCKERFILES)]
    for result in results:
        print(result.stdout, end="")
        print(result.stderr, end="", file=sys.stderr)
    return max(result.returncode for result in results)


if __name__ == "__main__":
    raise SystemExit(main())
