"""Static checks of infra/terraform: it parses, every reference resolves, it matches the code."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest

from velo.deploy.static_checks import run_checkov
from velo.functions import FUNCTIONS
from velo.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "infra" / "terraform"
TF_FILES = sorted(TERRAFORM.glob("*.tf"))

REFERENCE_PATTERNS = {
    "var": re.compile(r"(?<![\w.])var\.([A-Za-z_][\w-]*)"),
    "local": re.compile(r"(?<![\w.])local\.([A-Za-z_][\w-]*)"),
    "module": re.compile(r"(?<![\w.])module\.([A-Za-z_][\w-]*)"),
    "data": re.compile(r"(?<![\w.])data\.(\w+)\.([A-Za-z_][\w-]*)"),
    "resource": re.compile(r"(?<![\w./-])(aws_\w+)\.([A-Za-z_][\w-]*)"),
}


def unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def parse(path: Path) -> dict[str, Any]:
    with path.open() as fh:
        return hcl2.load(fh)


def blocks(parsed: dict[str, Any], kind: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource/data block of a parsed file."""
    for entry in parsed.get(kind, []):
        for type_, named in entry.items():
            for name, body in named.items():
                yield unquote(type_), unquote(name), body


def declarations(parsed_files: list[dict[str, Any]]) -> dict[str, set[Any]]:
    declared: dict[str, set[Any]] = {key: set() for key in REFERENCE_PATTERNS}
    for parsed in parsed_files:
        declared["resource"] |= {(t, n) for t, n, _ in blocks(parsed, "resource")}
        declared["data"] |= {(t, n) for t, n, _ in blocks(parsed, "data")}
        for kind, key in (("variable", "var"), ("module", "module")):
            for entry in parsed.get(kind, []):
                declared[key] |= {unquote(name) for name in entry}
        for entry in parsed.get("locals", []):
            declared["local"] |= {name for name in entry if not name.startswith("__")}
    return declared


def strings(value: Any) -> Iterator[str]:
    """Every key and string value of a parsed tree, comments left out."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "__comments__":
                continue
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def unresolved_references(parsed_files: list[dict[str, Any]]) -> set[str]:
    declared = declarations(parsed_files)
    missing = set()
    for parsed in parsed_files:
        for text in strings(parsed):
            for kind, pattern in REFERENCE_PATTERNS.items():
                for match in pattern.finditer(text):
                    ref = match.groups() if len(match.groups()) > 1 else match.group(1)
                    if ref not in declared[kind]:
                        missing.add(match.group(0))
    return missing


@pytest.fixture(scope="module")
def parsed_files() -> list[dict[str, Any]]:
    return [parse(path) for path in TF_FILES]


def find(parsed_files: list[dict[str, Any]], kind: str, type_: str) -> list[tuple[str, dict]]:
    return [(n, body) for p in parsed_files for t, n, body in blocks(p, kind) if t == type_]


def variable_default(parsed_files: list[dict[str, Any]], name: str) -> Any:
    for parsed in parsed_files:
        for entry in parsed.get("variable", []):
            for declared, body in entry.items():
                if unquote(declared) == name:
                    return body.get("default")
    raise AssertionError(f"variable {name} is not declared")


def local_value(parsed_files: list[dict[str, Any]], name: str) -> Any:
    for parsed in parsed_files:
        for entry in parsed.get("locals", []):
            if name in entry:
                return entry[name]
    raise AssertionError(f"local {name} is not declared")


def test_every_terraform_file_parses(parsed_files):
    expected = {"variables.tf", "outputs.tf", "versions.tf", "s3.tf", "lambda.tf", "ecs.tf"}
    assert expected <= {path.name for path in TF_FILES}
    assert all(parsed for parsed in parsed_files)


def test_every_reference_is_declared(parsed_files):
    assert unresolved_references(parsed_files) == set()


def test_an_undeclared_reference_is_reported(tmp_path):
    broken = tmp_path / "broken.tf"
    broken.write_text(
        'variable "known" {}\n'
        'resource "aws_s3_bucket" "a" { bucket = "${var.known}-${var.unknown}" }\n'
        'resource "aws_s3_bucket_versioning" "b" {\n'
        "  bucket = aws_s3_bucket.missing.id\n"
        "  other  = aws_s3_bucket.a.id\n"
        "  x      = data.aws_region.none.name\n"
        "}\n"
    )
    assert unresolved_references([parse(broken)]) == {
        "var.unknown",
        "aws_s3_bucket.missing",
        "data.aws_region.none",
    }


def test_landing_lifecycle_matches_velo_lifecycle_defaults(parsed_files, tmp_path):
    settings = load_settings(env={}, cwd=tmp_path)
    assert variable_default(parsed_files, "archive_after_days") == settings.archive_after_days
    assert variable_default(parsed_files, "expire_after_days") == settings.expire_after_days
    [(_, lifecycle)] = find(parsed_files, "resource", "aws_s3_bucket_lifecycle_configuration")
    [rule] = lifecycle["rule"]
    assert unquote(rule["status"]) == "Enabled"
    [transition] = rule["transition"]
    assert transition["days"] == "${var.archive_after_days}"
    assert unquote(transition["storage_class"]) == "INTELLIGENT_TIERING"
    assert rule["expiration"][0]["days"] == "${var.expire_after_days}"


def test_landing_bucket_is_versioned_encrypted_and_private(parsed_files):
    [(_, versioning)] = find(parsed_files, "resource", "aws_s3_bucket_versioning")
    assert unquote(versioning["versioning_configuration"][0]["status"]) == "Enabled"
    sse_type = "aws_s3_bucket_server_side_encryption_configuration"
    [(_, sse)] = find(parsed_files, "resource", sse_type)
    default = sse["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert unquote(default["sse_algorithm"]) == "aws:kms"
    [(_, block)] = find(parsed_files, "resource", "aws_s3_bucket_public_access_block")
    flags = ("block_public_acls", "block_public_policy", "ignore_public_acls")
    assert all(block[flag] is True for flag in (*flags, "restrict_public_buckets"))


def test_every_lambda_points_at_an_existing_handler(parsed_files):
    [(_, function)] = find(parsed_files, "resource", "aws_lambda_function")
    assert function["for_each"] == "${local.lambda_functions}"
    names = set(local_value(parsed_files, "lambda_functions"))
    assert names == set(FUNCTIONS)  # terraform deploys what make lambda-package builds
    template = unquote(function["handler"])
    for name in sorted(names):
        module_name, attribute = template.replace("${each.key}", name).rsplit(".", 1)
        path = REPO / "src" / Path(*module_name.split(".")).with_suffix(".py")
        assert path.is_file(), f"Lambda {name}: {path} does not exist"
        tree = ast.parse(path.read_text())
        handlers = [
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name == attribute
        ]
        assert handlers, f"Lambda {name}: {module_name} has no top-level {attribute}()"
        assert len(handlers[0].args.args) == 2, f"{module_name}.{attribute}(event, context)"
    assert unquote(function["filename"]) == "${var.lambda_dist_dir}/${each.key}.zip"


def test_notifications_fan_out_to_two_queues_with_dead_letter_queues(parsed_files):
    functions = local_value(parsed_files, "lambda_functions")
    consumers = {name for name, fn in functions.items() if unquote(fn["queue"])}
    assert consumers == {"notify_archive", "notify_slack"}
    queues = dict(find(parsed_files, "resource", "aws_sqs_queue"))
    queue = queues["notify"]
    assert "aws_sqs_queue.dlq[each.key].arn" in queue["redrive_policy"]
    [(_, mapping)] = find(parsed_files, "resource", "aws_lambda_event_source_mapping")
    assert mapping["event_source_arn"] == "${aws_sqs_queue.notify[each.key].arn}"
    [(_, target)] = find(parsed_files, "resource", "aws_cloudwatch_event_target")
    assert target["arn"] == '${aws_lambda_function.fn["sentiment"].arn}'


def test_no_secret_is_a_terraform_variable(parsed_files):
    secretish = re.compile(r"password|api_key|token|webhook|private_key", re.IGNORECASE)
    names = {unquote(n) for parsed in parsed_files for e in parsed.get("variable", []) for n in e}
    assert not {name for name in names if secretish.search(name)}
    example = (TERRAFORM / "terraform.tfvars.example").read_text()
    assert not secretish.search(re.sub(r"#.*", "", example))
    parsed_example = hcl2.loads(example)
    set_names = {name for name in parsed_example if not name.startswith("__")}
    assert set_names <= names  # the example only sets declared variables


def test_checkov_passes_and_every_skip_has_a_reason():
    skips = [
        line.strip()
        for path in TF_FILES
        for line in path.read_text().splitlines()
        if "checkov:skip=" in line
    ]
    assert skips
    for skip in skips:
        assert re.fullmatch(r"#checkov:skip=CKV2?_[A-Z]+_\d+:\S.{15,}", skip), skip
    result = run_checkov()
    assert result.returncode == 0, result.stdout[-3000:]
    passed = re.search(r"Passed checks: (\d+), Failed checks: (\d+)", result.stdout)
    assert passed and int(passed.group(1)) > 100 and passed.group(2) == "0", result.stdout[-2000:]


# --- configuration that survives operation (issue #14) ------------------------------------------


def task_definition(parsed_files: list[dict[str, Any]]) -> dict[str, Any]:
    ((_, body),) = find(parsed_files, "resource", "aws_ecs_task_definition")
    return body


def unquoted_list(values: list[str]) -> list[str]:
    return [unquote(value) for value in values]


def test_no_task_definition_or_task_role_uses_the_rds_master_user(parsed_files):
    # RDS rotates the master password under a running task; Dagster has its own user and secret.
    ecs = (TERRAFORM / "ecs.tf").read_text()
    assert "master_user" not in ecs
    ((_, database),) = find(parsed_files, "resource", "aws_db_instance")
    assert unquote(local_value(parsed_files, "dagster_db_user")) != unquote(database["username"])
    assert "DAGSTER_PG_USERNAME = local.dagster_db_user" in local_value(
        parsed_files, "dagster_environment"
    )
    assert unquote(local_value(parsed_files, "app_secrets")["dagster_db_password"]) == (
        "DAGSTER_PG_PASSWORD"
    )


def test_each_dagster_container_gets_only_the_secrets_it_reads(parsed_files):
    keys = local_value(parsed_files, "dagster_container_secret_keys")
    assert set(keys) == set(local_value(parsed_files, "dagster_containers"))
    assert (
        unquoted_list(keys["webserver"]) == unquoted_list(keys["daemon"]) == ["dagster_db_password"]
    )
    assert (
        "secrets = local.dagster_secrets[name]"
        in task_definition(parsed_files)["container_definitions"]
    )


def test_dagster_containers_listen_on_loopback_and_map_no_port(parsed_files):
    for name, command in local_value(parsed_files, "dagster_containers").items():
        args = unquoted_list(command)
        if "-h" in args:
            assert args[args.index("-h") + 1] == "127.0.0.1", name
    assert "portMappings" not in task_definition(parsed_files)["container_definitions"]
    assert not any(
        "0.0.0.0" in text for text in strings(local_value(parsed_files, "dagster_containers"))
    )


def test_pipeline_state_lives_on_an_encrypted_persistent_volume(parsed_files):
    body = task_definition(parsed_files)
    (volume,) = body["volume"]
    (efs,) = volume["efs_volume_configuration"]
    assert unquote(efs["transit_encryption"]) == "ENABLED"
    mount = f"sourceVolume = {volume['name']}, containerPath = local.velo_data_dir"
    assert mount in body["container_definitions"]
    # The mount is the image's VELO_DATA_DIR, owned by the image's user.
    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    assert f"VELO_DATA_DIR={unquote(local_value(parsed_files, 'velo_data_dir'))}" in dockerfile
    assert f"--uid {local_value(parsed_files, 'velo_uid')} " in dockerfile
    ((_, file_system),) = find(parsed_files, "resource", "aws_efs_file_system")
    assert file_system["encrypted"] is True


def test_every_failure_queue_alarms_to_an_sns_topic(parsed_files):
    queues = local_value(parsed_files, "failure_queues")
    assert "aws_sqs_queue.dlq" in queues and "aws_sqs_queue.sentiment_failures" in queues
    ((_, alarm),) = find(parsed_files, "resource", "aws_cloudwatch_metric_alarm")
    assert alarm["for_each"] == "${local.failure_queues}"
    assert unquote(alarm["metric_name"]) == "ApproximateNumberOfMessagesVisible"
    assert (
        alarm["threshold"] == 0 and unquote(alarm["comparison_operator"]) == "GreaterThanThreshold"
    )
    assert alarm["alarm_actions"] == ["${aws_sns_topic.alarms.arn}"]
    assert [name for name, _ in find(parsed_files, "resource", "aws_sns_topic")].count(
        "alarms"
    ) == 1


def test_notify_archive_only_writes_the_landing_zone(parsed_files):
    functions = local_value(parsed_files, "lambda_functions")
    assert unquoted_list(functions["notify_archive"]["landing_actions"]) == ["s3:PutObject"]
    lambda_tf = (TERRAFORM / "lambda.tf").read_text()
    assert "actions   = each.value.landing_actions" in lambda_tf
