"""Run one GitHub workflow job's ``run:`` steps here, in order, as the runner would.

    python -m velo.deploy.ci_local .github/workflows/ci.yml test [--dry-run]

Each ``run:`` step goes to ``bash -e -o pipefail`` (GitHub's shell for Linux runners) in the
repository root or the job's/step's ``working-directory``, with ``CI=true`` and the workflow's,
job's and step's ``env``. It stops at the first failing step. What it does not do, and says so:
``uses:`` steps (actions such as checkout or setup-python) are skipped — the working tree is
already checked out and the tools are this machine's; a job's ``container:`` is not started — the
steps run on this machine (Debian, like the test job's image). Expressions other than
``${{ env.X }}``, ``${{ runner.temp }}``, ``${{ github.workspace }}`` and ``${{ github.sha }}``
are refused rather than guessed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from velo.errors import UsageError

EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


@dataclass(frozen=True)
class Step:
    name: str
    run: str | None  # None: a `uses:` step, skipped
    env: dict[str, str]
    working_directory: Path


@dataclass(frozen=True)
class StepResult:
    name: str
    outcome: str  # ok | failed (exit code) | skipped (uses: …)
    seconds: float


def load_workflow(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def job_steps(
    workflow: dict[str, Any], job_name: str, repo: Path, context: dict[str, str]
) -> list[Step]:
    """The job's steps with their environment and directory resolved."""
    jobs = workflow.get("jobs", {})
    if job_name not in jobs:
        raise UsageError(f"no job '{job_name}' (jobs: {', '.join(jobs)})")
    job = jobs[job_name]
    base_env = {
        **expand_all(workflow.get("env", {}), context),
        **expand_all(job.get("env", {}), context),
    }
    job_dir = job.get("defaults", {}).get("run", {}).get("working-directory", ".")
    steps = []
    for index, step in enumerate(job.get("steps", []), start=1):
        env = {**base_env, **expand_all(step.get("env", {}), {**context, **env_context(base_env)})}
        scope = {**context, **env_context(env)}
        name = step.get("name") or step.get("uses") or f"step {index}"
        directory = expand(str(step.get("working-directory", job_dir)), scope)
        run = expand(step["run"], scope) if "run" in step else None
        steps.append(Step(expand(str(name), scope), run, env, repo / directory))
    return steps


def env_context(env: dict[str, str]) -> dict[str, str]:
    return {f"env.{key}": value for key, value in env.items()}


def expand_all(values: dict[str, Any], context: dict[str, str]) -> dict[str, str]:
    return {key: expand(str(value), context) for key, value in values.items()}


def expand(text: str, context: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in context:
            raise UsageError(f"expression ${{{{ {name} }}}} is not available locally")
        return context[name]

    return EXPRESSION.sub(value, text)


def run_steps(
    steps: list[Step], *, dry_run: bool = False, out: Any = sys.stdout
) -> list[StepResult]:
    results = []
    for step in steps:
        if step.run is None:
            print(f"-- skip (uses:) {step.name}", file=out, flush=True)
            results.append(StepResult(step.name, "skipped", 0.0))
            continue
        print(
            f"-- run {step.name} (in {step.working_directory})\n{step.run.rstrip()}",
            file=out,
            flush=True,
        )
        if dry_run:
            results.append(StepResult(step.name, "not run (dry run)", 0.0))
            continue
        started = time.perf_counter()
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", step.run],
            cwd=step.working_directory,
            env={**os.environ, "CI": "true", **step.env},
            check=False,
        )
        outcome = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
        results.append(StepResult(step.name, outcome, round(time.perf_counter() - started, 1)))
        if done.returncode != 0:
            break
    return results


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--dry-run"]
    if len(args) != 2:
        raise SystemExit("usage: python -m velo.deploy.ci_local WORKFLOW.yml JOB [--dry-run]")
    workflow_path, job = Path(args[0]), args[1]
    repo = Path.cwd()
    context = {
        "runner.temp": tempfile.mkdtemp(prefix="velo-ci-"),
        "github.workspace": str(repo),
        "github.sha": git_head(repo),
    }
    steps = job_steps(load_workflow(workflow_path), job, repo, context)
    results = run_steps(steps, dry_run="--dry-run" in argv)
    print("\nstep results:")
    for result in results:
        print(f"  {result.outcome:<22} {result.seconds:>7.1f} s  {result.name}")
    return 0 if all(not r.outcome.startswith("failed") for r in results) else 1


def git_head(repo: Path) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "0" * 40


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
