"""The GitHub workflows load, carry the required jobs and steps, and pass actionlint."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml

from velo.deploy.static_checks import run_actionlint

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"


def load(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads `on:` as True
    return workflow


def step_text(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in job["steps"])


def all_steps_text(workflow: dict[str, Any]) -> str:
    return "\n".join(step_text(job) for job in workflow["jobs"].values())


def test_ci_runs_on_pull_requests_with_every_required_check():
    ci = load("ci.yml")
    assert "pull_request" in ci["on"]
    text = all_steps_text(ci)
    for required in ("make lint", "make test", "velo run", "docker build", "make checkov"):
        assert required in text, f"ci.yml has no step running {required!r}"
    makefile = (REPO / "Makefile").read_text()
    lint_recipe = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "ruff check" in lint_recipe and "ruff format --check" in lint_recipe
    assert "sqlfluff lint" in lint_recipe


def test_cd_pushes_plans_and_applies_behind_an_approval():
    cd = load("cd.yml")
    assert cd["on"]["push"]["branches"] == ["main"]
    assert cd["permissions"]["id-token"] == "write"
    jobs = cd["jobs"]
    assert "aws-actions/amazon-ecr-login" in step_text(jobs["image"])
    assert "docker push" in step_text(jobs["image"])
    assert "make lambda-package" in step_text(jobs["lambda-package"])
    assert "terraform plan" in step_text(jobs["plan"])
    assert jobs["apply"]["environment"] == "production"
    assert "plan" in jobs["apply"]["needs"]
    assert "terraform apply -input=false tfplan" in step_text(jobs["apply"])
    assert "aws lambda update-function-code" in step_text(jobs["deploy-lambdas"])
    assert jobs["deploy-lambdas"]["needs"] == "apply"
    for job in jobs.values():
        for step in job["steps"]:
            if "configure-aws-credentials" in step.get("uses", ""):
                assert "role-to-assume" in step["with"], "AWS access only through the OIDC role"


def test_every_action_is_pinned_to_a_version():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in load(path.name)["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    _, _, ref = step["uses"].partition("@")
                    assert ref and ref not in ("main", "master"), f"{path.name}: {step['uses']}"


def test_actionlint_finds_nothing():
    assert run_actionlint(sorted(WORKFLOWS.glob("*.yml"))) == []


def test_actionlint_reports_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    env:\n"
        "      X: ${{ runner.temp }}\n    steps:\n      - run: echo hi\n"
    )
    [finding] = run_actionlint([broken])
    assert 'context "runner" is not allowed here' in finding


def test_no_terraform_plan_file_leaves_a_job():
    # A saved plan holds the Secrets Manager values it read in plain text.
    cd = load("cd.yml")
    for name, job in cd["jobs"].items():
        for step in job["steps"]:
            if "upload-artifact" in step.get("uses", ""):
                assert "tfplan" not in str(step.get("with", {})), f"{name} uploads the plan"
    apply = step_text(cd["jobs"]["apply"])
    assert apply.index("terraform plan -input=false -out=tfplan") < apply.index(
        "terraform apply -input=false tfplan"
    )
    assert "-out" not in step_text(cd["jobs"]["plan"])


def test_ci_test_job_installs_the_postgresql_and_chromium_the_suite_starts():
    from velo.testing.postgres import SUPPORTED_VERSIONS

    job = load("ci.yml")["jobs"]["test"]
    # Debian bookworm's `postgresql` is 15, a version the fixture accepts.
    assert job["container"].endswith("-bookworm") and 15 in SUPPORTED_VERSIONS
    installs = [line for line in step_text(job).splitlines() if "apt-get install" in line]
    assert installs and {"postgresql", "chromium", "nodejs"} <= set(installs[0].split())
    # Outside a root container the Makefile's Chromium rule runs apt-get through sudo.
    makefile = (REPO / "Makefile").read_text()
    rule = makefile.split("\n$(CHROMIUM):\n", 1)[1].split("\n\n", 1)[0]
    assert rule.count("$(SUDO) apt-get") == 2
    assert 'SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)' in makefile


def test_ci_local_runs_a_jobs_run_steps_in_order_and_stops_at_a_failure(tmp_path):
    from velo.deploy.ci_local import job_steps, load_workflow, run_steps

    (tmp_path / "sub").mkdir()
    workflow = tmp_path / "w.yml"
    workflow.write_text(
        "env:\n  GREETING: hi\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: echo "$GREETING ${{ env.GREETING }} $CI" > out.txt\n'
        "      - run: pwd >> ../out.txt\n        working-directory: sub\n"
        "      - run: exit 3\n"
        "      - run: echo never >> out.txt\n"
    )
    steps = job_steps(load_workflow(workflow), "j", tmp_path, {})
    results = run_steps(steps, out=io.StringIO())
    assert [r.outcome for r in results] == ["skipped", "ok", "ok", "failed (exit 3)"]
    assert (tmp_path / "out.txt").read_text().splitlines() == ["hi hi true", str(tmp_path / "sub")]


def test_ci_local_knows_the_ci_test_job():
    from velo.deploy.ci_local import job_steps, load_workflow

    context = {"runner.temp": "/tmp", "github.workspace": str(REPO), "github.sha": "0" * 40}
    steps = job_steps(load_workflow(WORKFLOWS / "ci.yml"), "test", REPO, context)
    runs = [step.run for step in steps if step.run]
    assert runs[-2:] == ["make setup", "make test"]
