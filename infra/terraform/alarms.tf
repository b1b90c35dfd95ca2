# Failures that would otherwise expire unseen: a message in a consumer's dead-letter queue or in
# the sentiment function's failure queue raises an alarm, sent to an SNS topic (subscribe an
# e-mail address with var.alarm_email, or any other endpoint). Queues keep messages 14 days.

resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = aws_kms_key.velo.arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}

locals {
  # Queue name => queue: every place a failed message ends up.
  failure_queues = merge(
    { for key, queue in aws_sqs_queue.dlq : "${key}-dlq" => queue },
    { sentiment-failures = aws_sqs_queue.sentiment_failures },
  )
}

resource "aws_cloudwatch_metric_alarm" "failed_messages" {
  for_each            = local.failure_queues
  alarm_name          = "${local.name}-${each.key}-not-empty"
  alarm_description   = "Messages in ${each.value.name}: inspect and redrive within 14 days (docs/deployment.md)"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}
