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
  # may write (least privilege); queue: the SQS queue that triggers it ("" = not queue-driven).
  lambda_functions = {
    sentiment = {
      description    = "Daily: scores the news (finance model, or VADER by setting) and lands JSONL in the landing zone"
      timeout        = 120
      memory_size    = 512
      landing_prefix = "sentiment/"
      queue          = ""
    }
    notify_archive = {
      description    = "Archives every sentiment notification into the landing zone"
      timeout        = 30
      memory_size    = 256
      landing_prefix = "notifications/"
      queue          = "notify_archive"
    }
    notify_slack = {
      description    = "Posts every sentiment notification to Slack"
      timeout        = 30
      memory_size    = 256
      landing_prefix = ""
      queue          = "notify_slack"
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
}
