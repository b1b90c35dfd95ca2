data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  # The Lambda functions: handler velo.functions.<key>.handler, built by `make lambda-package`
  # into <lambda_dist_dir>/<key>.zip. landing_prefix: the only landing-zone prefix the function
  # may use, landing_actions: what it does there (least privilege); queue: the SQS queue that
  # triggers it ("" = not queue-driven).
  lambda_functions = {
    sentiment = {
      description     = "Daily: scores the news (finance model, or VADER by setting) and lands JSONL in the landing zone"
      timeout         = 120
      memory_size     = 512
      landing_prefix  = "sentiment/"
      landing_actions = ["s3:PutObject", "s3:GetObject"]
      queue           = ""
    }
    notify_archive = {
      description     = "Archives every sentiment notification into the landing zone"
      timeout         = 30
      memory_size     = 256
      landing_prefix  = "notifications/"
      landing_actions = ["s3:PutObject"] # writes each notification, never reads one back
      queue           = "notify_archive"
    }
    notify_slack = {
      description     = "Posts every sentiment notification to Slack"
      timeout         = 30
      memory_size     = 256
      landing_prefix  = ""
      landing_actions = []
      queue           = "notify_slack"
    }
  }

  queue_functions = { for key, fn in local.lambda_functions : fn.queue => key if fn.queue != "" }

  # Application secrets: Secrets Manager key => the environment variable the code reads. Their
  # values are put into Secrets Manager by an operator (docs/deployment.md), never into tfvars or
  # this repository. dbt's Snowflake target reads its password from a DBT_ENV_SECRET_ variable.
  app_secrets = {
    fx_api_key         = "VELO_FX_API_KEY"
    news_api_key       = "VELO_NEWS_API_KEY"
    slack_webhook_url  = "VELO_SLACK_WEBHOOK_URL"
    ops_db_url         = "VELO_OPS_DB_URL"
    warehouse_url      = "VELO_WAREHOUSE_URL"
    snowflake_password = "DBT_ENV_SECRET_SNOWFLAKE_PASSWORD"
    # The Dagster instance's own database user (not the RDS master user, whose password RDS
    # rotates under a running task): created once by an operator (docs/deployment.md).
    dagster_db_password = "DAGSTER_PG_PASSWORD"
  }

  # Which secrets each Dagster container reads. Pipelines run in the code location (runs are its
  # subprocesses, sensors and schedules are evaluated there), so it alone gets the application
  # secrets; webserver and daemon only reach the instance's run storage.
  dagster_container_secret_keys = {
    code-location = sort(keys(local.app_secrets))
    webserver     = ["dagster_db_password"]
    daemon        = ["dagster_db_password"]
  }

  # Which secrets each function reads; the rest of its settings are plain configuration.
  lambda_secret_keys = {
    sentiment      = ["news_api_key"]
    notify_archive = []
    notify_slack   = ["slack_webhook_url"]
  }

  vpc_id             = var.create_vpc ? aws_vpc.this[0].id : var.existing_vpc_id
  private_subnet_ids = var.create_vpc ? aws_subnet.private[*].id : var.existing_private_subnet_ids
  landing_url        = "s3://${aws_s3_bucket.landing.bucket}"
  image_uri          = "${aws_ecr_repository.dagster.repository_url}:${var.image_tag}"

  dagster_db_user = "dagster"           # owner of the "dagster" database, not the master user
  velo_data_dir   = "/opt/dagster/data" # VELO_DATA_DIR of the image (docker/Dockerfile)
  velo_uid        = 10001               # the image's unprivileged user and group
}
