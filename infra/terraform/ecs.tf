# Dagster on ECS Fargate: one task runs the code location (`dagster api grpc`), the webserver
# and the daemon from the same image; they talk over localhost (awsvpc). Exactly one task: the
# daemon must never run twice, so deployments stop the old task before starting the new one.
# The webserver has no public endpoint; reach it with ECS Exec port forwarding
# (docs/deployment.md).

resource "aws_ecs_cluster" "dagster" {
  name = "${local.name}-dagster"

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "dagster" {
  name              = "/ecs/${local.name}/dagster"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.velo.arn
}

resource "aws_security_group" "dagster" {
  name        = "${local.name}-dagster"
  description = "Dagster task: no inbound; HTTPS out (APIs, Snowflake, AWS) and PostgreSQL in the VPC"
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "dagster_https" {
  security_group_id = aws_security_group.dagster.id
  description       = "HTTPS to the source APIs, the warehouse and AWS endpoints"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "dagster_db" {
  security_group_id            = aws_security_group.dagster.id
  description                  = "PostgreSQL operations DB"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.db.id
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# Execution role: what ECS itself needs to start the task (pull, log, inject secrets).
resource "aws_iam_role" "dagster_execution" {
  name               = "${local.name}-dagster-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "dagster_execution" {
  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.dagster.arn]
  }

  statement {
    sid       = "EcrLogin" # GetAuthorizationToken has no resource-level permissions
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.dagster.arn}:*"]
  }

  statement {
    sid       = "InjectSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for secret in aws_secretsmanager_secret.app : secret.arn]
  }

  statement {
    sid       = "DecryptSecretsAndImage"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.velo.arn]
  }
}

resource "aws_iam_role_policy" "dagster_execution" {
  name   = "start-task"
  role   = aws_iam_role.dagster_execution.id
  policy = data.aws_iam_policy_document.dagster_execution.json
}

# Task role: what the pipelines need (read/write the landing zone, ECS Exec sessions).
resource "aws_iam_role" "dagster_task" {
  name               = "${local.name}-dagster-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "dagster_task" {
  statement {
    sid       = "ListLanding"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.landing.arn]
  }

  statement {
    sid       = "ReadWriteLanding" # ingest reads, quarantines bad lines
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.landing.arn}/*"]
  }

  statement {
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.velo.arn]
  }

  statement {
    sid       = "MountPipelineState" # through the access point only (efs.tf)
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.velo_data.arn]
    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.velo_data.arn]
    }
  }

  statement {
    sid = "EcsExec" # port forwarding to the webserver; no resource-level permissions exist
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "dagster_task" {
  name   = "pipelines"
  role   = aws_iam_role.dagster_task.id
  policy = data.aws_iam_policy_document.dagster_task.json
}

locals {
  dagster_workspace = "/opt/dagster/app/workspace.yaml"

  dagster_environment = [
    for name, value in {
      VELO_WAREHOUSE      = var.warehouse
      VELO_LANDING_URL    = local.landing_url
      VELO_FX_API_URL     = var.fx_api_url
      VELO_NEWS_API_URL   = var.news_api_url
      DAGSTER_PG_HOST     = aws_db_instance.ops.address
      DAGSTER_PG_DB       = "dagster"
      DAGSTER_PG_USERNAME = local.dagster_db_user
      PGSSLMODE           = "require" # RDS enforces TLS (rds.force_ssl)
      # dbt's snowflake target (src/velo/warehouse/dbt_project/profiles.yml)
      SNOWFLAKE_ACCOUNT   = var.snowflake_account
      SNOWFLAKE_USER      = var.snowflake_user
      SNOWFLAKE_ROLE      = var.snowflake_role
      SNOWFLAKE_DATABASE  = var.snowflake_database
      SNOWFLAKE_WAREHOUSE = var.snowflake_warehouse
    } : { name = name, value = value }
  ]

  # Per container: only the secrets it reads (local.dagster_container_secret_keys).
  dagster_secrets = {
    for container, keys in local.dagster_container_secret_keys : container => [
      for key in keys : { name = local.app_secrets[key], valueFrom = aws_secretsmanager_secret.app[key].arn }
    ]
  }

  dagster_containers = {
    # The containers of one awsvpc task share localhost: the gRPC server and the UI listen on
    # loopback only (the UI is reached by ECS Exec port forwarding, docs/deployment.md).
    code-location = ["dagster", "api", "grpc", "-m", "velo.orchestration.definitions", "-h", "127.0.0.1", "-p", "4000"]
    webserver     = ["dagster-webserver", "-h", "127.0.0.1", "-p", "3000", "-w", local.dagster_workspace]
    daemon        = ["dagster-daemon", "run", "-w", local.dagster_workspace]
  }
}

resource "aws_ecs_task_definition" "dagster" {
  family                   = "${local.name}-dagster"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.dagster_cpu
  memory                   = var.dagster_memory
  execution_role_arn       = aws_iam_role.dagster_execution.arn
  task_role_arn            = aws_iam_role.dagster_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "velo-data"
    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.velo_data.id
      transit_encryption = "ENABLED"
      authorization_config {
        access_point_id = aws_efs_access_point.velo_data.id
        iam             = "ENABLED"
      }
    }
  }

  container_definitions = jsonencode([
    for name, command in local.dagster_containers : {
      name        = name
      image       = local.image_uri
      command     = command
      essential   = true
      environment = local.dagster_environment
      secrets     = local.dagster_secrets[name]
      dependsOn   = name == "code-location" ? [] : [{ containerName = "code-location", condition = "HEALTHY" }]
      # Pipeline state (dlt state, dbt artifacts, the serving DB) outlives the task on EFS.
      mountPoints = name == "code-location" ? [{ sourceVolume = "velo-data", containerPath = local.velo_data_dir, readOnly = false }] : []
      healthCheck = name == "code-location" ? {
        command     = ["CMD", "dagster", "api", "grpc-health-check", "-p", "4000"]
        interval    = 30
        timeout     = 10
        retries     = 3
        startPeriod = 120
      } : null
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.dagster.name
          awslogs-region        = local.region
          awslogs-stream-prefix = name
        }
      }
    }
  ])

  #checkov:skip=CKV_AWS_336:dbt and Dagster write target/, logs and compute logs under the app directory; the containers run as a non-root user instead
}

resource "aws_ecs_service" "dagster" {
  name                   = "dagster"
  cluster                = aws_ecs_cluster.dagster.id
  task_definition        = aws_ecs_task_definition.dagster.arn
  launch_type            = "FARGATE"
  desired_count          = 1
  enable_execute_command = true
  propagate_tags         = "SERVICE"

  # Stop-then-start: never two daemons at once.
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  network_configuration {
    subnets          = local.private_subnet_ids
    security_groups  = [aws_security_group.dagster.id]
    assign_public_ip = false
  }
}
