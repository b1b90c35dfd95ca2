# Fan-out of sentiment notifications: the sentiment function's successful result goes (Lambda
# destination) to an SNS topic; each consumer has its own SQS queue with a dead-letter queue, so
# a failing Slack webhook never blocks archiving. Consumers receive the SNS envelope in the SQS
# body, the same SNS->SQS shape the local fan-out produces.

resource "aws_sns_topic" "notifications" {
  name              = "${local.name}-sentiment-notifications"
  kms_master_key_id = aws_kms_key.velo.arn
}

resource "aws_sqs_queue" "dlq" {
  for_each                  = local.queue_functions
  name                      = "${local.name}-${each.key}-dlq"
  kms_master_key_id         = aws_kms_key.velo.arn
  message_retention_seconds = 1209600 # 14 days, the maximum: time to inspect and redrive
}

resource "aws_sqs_queue" "notify" {
  for_each          = local.queue_functions
  name              = "${local.name}-${each.key}"
  kms_master_key_id = aws_kms_key.velo.arn
  # AWS guidance: at least 6x the consuming function's timeout, so retries do not overlap.
  visibility_timeout_seconds = 6 * local.lambda_functions[each.value].timeout
  message_retention_seconds  = 345600 # 4 days

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = 5
  })
}

data "aws_iam_policy_document" "notify_queue" {
  for_each = local.queue_functions
  statement {
    sid       = "TopicDelivers"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.notify[each.key].arn]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.notifications.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "notify" {
  for_each  = local.queue_functions
  queue_url = aws_sqs_queue.notify[each.key].id
  policy    = data.aws_iam_policy_document.notify_queue[each.key].json
}

resource "aws_sns_topic_subscription" "notify" {
  for_each  = local.queue_functions
  topic_arn = aws_sns_topic.notifications.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.notify[each.key].arn
}

resource "aws_lambda_event_source_mapping" "notify" {
  for_each                = local.queue_functions
  event_source_arn        = aws_sqs_queue.notify[each.key].arn
  function_name           = aws_lambda_function.fn[each.value].arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]
}

# Failed asynchronous invocations of the sentiment function (after Lambda's retries).
resource "aws_sqs_queue" "sentiment_failures" {
  name                      = "${local.name}-sentiment-failures"
  kms_master_key_id         = aws_kms_key.velo.arn
  message_retention_seconds = 1209600
}

resource "aws_cloudwatch_event_rule" "sentiment_daily" {
  name                = "${local.name}-sentiment-daily"
  description         = "Runs the sentiment function once a day"
  schedule_expression = var.sentiment_schedule
}

resource "aws_cloudwatch_event_target" "sentiment_daily" {
  rule = aws_cloudwatch_event_rule.sentiment_daily.name
  arn  = aws_lambda_function.fn["sentiment"].arn

  retry_policy {
    maximum_retry_attempts       = 3
    maximum_event_age_in_seconds = 3600
  }
}

resource "aws_lambda_permission" "sentiment_daily" {
  statement_id  = "AllowEventBridgeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn["sentiment"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sentiment_daily.arn
}

resource "aws_lambda_function_event_invoke_config" "sentiment" {
  function_name                = aws_lambda_function.fn["sentiment"].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_success {
      destination = aws_sns_topic.notifications.arn
    }
    on_failure {
      destination = aws_sqs_queue.sentiment_failures.arn
    }
  }
}
