"""docker/Dockerfile parses, is pinned and non-root, and only copies files that exist."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from velo.deploy.static_checks import run_hadolint
from velo.errors import VeloError

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "docker" / "Dockerfile"
INSTRUCTIONS = frozenset(
    {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
     "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
)  # fmt: skip
PINNED_TAG = re.compile(r"^[\w.\-/]+(:\d+\.\d+\.\d+[\w.\-]*)?(@sha256:[0-9a-f]{64})?$")


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str
    arguments: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; comments and parser directives dropped."""
    instructions: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comment lines inside a continued instruction are ignored
        start = start if pending else number
        pending = f"{pending} {line}" if pending else line
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        keyword, _, arguments = pending.partition(" ")
        if keyword.upper() not in INSTRUCTIONS:
            raise VeloError(f"Dockerfile line {start}: unknown instruction {keyword!r}")
        instructions.append(Instruction(start, keyword.upper(), arguments.strip()))
        pending = ""
    if pending:
        raise VeloError("Dockerfile ends inside a continued instruction")
    return instructions


def expand_args(text: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m[1] or m[2], m[0]), text)


def stages(instructions: list[Instruction]) -> list[tuple[str, str, list[Instruction]]]:
    """(image, alias, body) per stage, global ARG defaults substituted in FROM."""
    args: dict[str, str] = {}
    result: list[tuple[str, str, list[Instruction]]] = []
    for instruction in instructions:
        if instruction.keyword == "ARG" and not result:
            name, _, default = instruction.arguments.partition("=")
            args[name] = default
        elif instruction.keyword == "FROM":
            words = expand_args(instruction.arguments, args).split()
            alias = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
            result.append((words[0], alias, []))
        elif result:
            result[-1][2].append(instruction)
    return result


def copy_sources(instruction: Instruction) -> list[str]:
    words = shlex.split(instruction.arguments)
    if any(word.startswith("--from") for word in words):
        return []
    return [word for word in words if not word.startswith("--")][:-1]


def dockerignored(path: str, patterns: list[str]) -> bool:
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, pattern.removeprefix("**/"))
        for pattern in patterns
        for prefix in prefixes
    )


def ignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text())


def test_parser_rejects_an_unknown_instruction():
    with pytest.raises(VeloError, match="line 2: unknown instruction 'RUNN'"):
        parse_dockerfile("FROM python:3.11.11-slim\nRUNN echo hi\n")


def test_builds_in_stages_from_a_pinned_base(dockerfile):
    built = stages(dockerfile)
    assert len(built) >= 2, "multi-stage: builder + runtime"
    aliases = {alias for _, alias, _ in built if alias}
    for image, _, _ in built:
        if image in aliases:
            continue
        assert image.startswith("python:3.11"), image
        assert PINNED_TAG.match(image) and ":" in image, f"base image not pinned: {image}"
        assert not image.endswith(":latest")


def test_runtime_stage_runs_as_non_root_the_grpc_code_location(dockerfile):
    *_, (_, _, runtime) = stages(dockerfile)
    users = [i.arguments.split(":")[0] for i in runtime if i.keyword == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must end as a non-root user"
    [cmd] = [json.loads(i.arguments) for i in runtime if i.keyword == "CMD"]
    assert cmd[:5] == ["dagster", "api", "grpc", "-m", "velo.orchestration.definitions"]
    assert (REPO / "src/velo/orchestration/definitions.py").is_file()


def test_dependencies_are_installed_with_the_constraints(dockerfile):
    runs = " ".join(i.arguments for i in dockerfile if i.keyword == "RUN")
    assert "--constraint constraints.txt" in runs
    assert '".[deploy]"' in runs
    assert "deploy = [" in (REPO / "pyproject.toml").read_text()


def test_every_copied_file_exists_and_is_in_the_build_context(dockerfile):
    patterns = ignore_patterns()
    sources = [source for i in dockerfile if i.keyword == "COPY" for source in copy_sources(i)]
    assert "constraints.txt" in sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: not in the repository"
        assert not dockerignored(source, patterns), f"COPY {source}: excluded by .dockerignore"
    assert dockerignored(".venv/bin/python", patterns) and dockerignored("data", patterns)


def test_hadolint_passes():
    result = run_hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dagster_instance_workspace_and_compose_files_load():
    instance = yaml.safe_load((REPO / "docker/dagster.yaml").read_text())
    assert set(instance["storage"]["postgres"]["postgres_db"]) >= {"hostname", "password"}
    workspace = yaml.safe_load((REPO / "docker/workspace.yaml").read_text())
    assert workspace["load_from"][0]["grpc_server"]["port"] == 4000
    compose = yaml.safe_load((REPO / "docker/compose.yaml").read_text())
    assert {"code-location", "webserver", "daemon", "postgres"} <= set(compose["services"])
    assert compose["services"]["code-location"]["build"]["dockerfile"] == "docker/Dockerfile"


def test_compose_publishes_ports_on_loopback_only():
    compose = yaml.safe_load((REPO / "docker/compose.yaml").read_text())
    published = [
        port for service in compose["services"].values() for port in service.get("ports", [])
    ]
    assert published, "the UI is published"
    assert all(str(port).startswith("127.0.0.1:") for port in published), published


def test_grpc_code_location_listens_on_loopback(dockerfile):
    *_, (_, _, runtime) = stages(dockerfile)
    [cmd] = [json.loads(i.arguments) for i in runtime if i.keyword == "CMD"]
    assert cmd[cmd.index("-h") + 1] == "127.0.0.1"
    assert not [i for i in runtime if i.keyword == "EXPOSE"]


def test_deployed_instance_limits_the_warehouse_pool_to_one(tmp_path, monkeypatch):
    # Dagster has no public API that validates a dagster.yaml without opening its storage
    # (PostgreSQL here); this private one is the schema check its own loader runs.
    from dagster._core.instance.config import dagster_instance_config

    from velo.orchestration.resources import WAREHOUSE_POOL

    (tmp_path / "dagster.yaml").write_text((REPO / "docker/dagster.yaml").read_text())
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"):
        monkeypatch.setenv(name, "x")
    config, _ = dagster_instance_config(str(tmp_path))  # validates against Dagster's schema
    pools = config["concurrency"]["pools"]
    assert pools.get(WAREHOUSE_POOL, pools["default_limit"]) == 1


def test_the_image_prepares_the_dbt_manifest_the_code_location_loads(
    dockerfile, tmp_path, monkeypatch
):
    """The Dockerfile's dagster-dbt step, run as written: afterwards loading the definitions
    finds the manifest current and parses nothing."""
    import os
    import subprocess
    import sys

    from velo.orchestration import warehouse
    from velo.settings import load_settings
    from velo.warehouse import runner

    *_, (_, _, runtime) = stages(dockerfile)
    [step] = [
        i.arguments for i in runtime if i.keyword == "RUN" and "prepare-and-package" in i.arguments
    ]
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "VELO_DATA_DIR": str(data_dir),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(shlex.split(step), cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    monkeypatch.setenv("VELO_DATA_DIR", str(data_dir))
    settings = load_settings()
    assert (runner.dbt_target_dir(settings) / "manifest.json").is_file()

    def parse_again(_settings):
        raise AssertionError("the prepared manifest was parsed again")

    monkeypatch.setattr(runner, "prepare_dbt", parse_again)
    location = warehouse.prepared_location(settings)
    assert warehouse.mart_keys(location), "the prepared manifest holds the marts"
