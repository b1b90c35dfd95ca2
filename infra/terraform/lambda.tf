# The three functions (handler velo.functions.<name>.handler), one least-privilege role each.
# Terraform creates them from the zips of `make lambda-package`; later code changes are deployed
# by CD (`aws lambda update-function-code`), so the code is not tracked here (ignore_changes).

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  for_each           = local.lambda_functions
  name               = "${local.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

resource "aws_cloudwatch_log_group" "lambda" {
  for_each          = local.lambda_functions
  name              = "/aws/lambda/${local.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.velo.arn
}

data "aws_iam_policy_document" "lambda" {
  for_each = local.lambda_functions

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda[each.key].arn}:*"]
  }

  statement {
    sid       = "Tracing" # X-Ray accepts no resource-level permissions
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  statement {
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.velo.arn]
  }

  # Its own landing-zone prefix only, and only what it does there.
  dynamic "statement" {
    for_each = each.value.landing_prefix == "" ? [] : [each.value.landing_prefix]
    content {
      sid       = "WriteOwnLandingPrefix"
      actions   = each.value.landing_actions
      resources = ["${aws_s3_bucket.landing.arn}/${statement.value}*"]
    }
  }

  dynamic "statement" {
    for_each = each.value.landing_prefix == "" ? [] : [each.value.landing_prefix]
    content {
      sid       = "ListOwnLandingPrefix"
      actions   = ["s3:ListBucket"]
      resources = [aws_s3_bucket.landing.arn]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${statement.value}*"]
      }
    }
  }

  dynamic "statement" {
    for_each = each.value.queue == "" ? [] : [each.value.queue]
    content {
      sid       = "ConsumeOwnQueue"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
      resources = [aws_sqs_queue.notify[statement.value].arn]
    }
  }

  # The sentiment function's invocation results: successes to the topic, failures to a queue.
  dynamic "statement" {
    for_each = each.key == "sentiment" ? [aws_sns_topic.notifications.arn] : []
    content {
      sid       = "PublishNotifications"
      actions   = ["sns:Publish"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = each.key == "sentiment" ? [aws_sqs_queue.sentiment_failures.arn] : []
    content {
      sid       = "RecordFailures"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "lambda" {
  for_each = local.lambda_functions
  name     = "least-privilege"
  role     = aws_iam_role.lambda[each.key].id
  policy   = data.aws_iam_policy_document.lambda[each.key].json
}

resource "aws_lambda_function" "fn" {
  for_each      = local.lambda_functions
  function_name = "${local.name}-${each.key}"
  description   = each.value.description
  role          = aws_iam_role.lambda[each.key].arn
  runtime       = "python3.11"
  architectures = ["x86_64"]
  handler       = "velo.functions.${each.key}.handler"
  filename      = "${var.lambda_dist_dir}/${each.key}.zip"
  timeout       = each.value.timeout
  memory_size   = each.value.memory_size
  kms_key_arn   = aws_kms_key.velo.arn
  # A daily job and two small consumers: a cap protects the APIs and the account's concurrency.
  reserved_concurrent_executions = 5

  environment {
    variables = merge(
      {
        VELO_DATA_DIR     = "/tmp/velo" # the only writable path on Lambda
        VELO_LANDING_URL  = local.landing_url
        VELO_NEWS_API_URL = var.news_api_url
        VELO_FX_API_URL   = var.fx_api_url
      },
      {
        for key in local.lambda_secret_keys[each.key] :
        local.app_secrets[key] => data.aws_secretsmanager_secret_version.lambda[key].secret_string
        if var.lambda_secrets_ready
      },
    )
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.lambda[each.key].name
  }

  lifecycle {
    ignore_changes = [filename, source_code_hash]
  }

  depends_on = [aws_iam_role_policy.lambda]

  #checkov:skip=CKV_AWS_117:the functions reach only public APIs, S3, SNS and SQS; a VPC would add a NAT dependency and cold-start cost without protecting anything
  #checkov:skip=CKV_AWS_116:failures are captured per trigger: the sentiment on_failure destination queue and each SQS queue's redrive DLQ
  #checkov:skip=CKV_AWS_272:code signing needs an AWS Signer profile in the CD account; zips are built reproducibly from the reviewed main branch instead
}
