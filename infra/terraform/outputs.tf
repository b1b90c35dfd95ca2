output "landing_url" {
  description = "VELO_LANDING_URL of this stack."
  value       = local.landing_url
}

output "landing_bucket" {
  description = "Name of the landing-zone bucket."
  value       = aws_s3_bucket.landing.bucket
}

output "lambda_function_names" {
  description = "Function name per velo function (CD deploys the zips to these)."
  value       = { for key, fn in aws_lambda_function.fn : key => fn.function_name }
}

output "notifications_topic_arn" {
  description = "SNS topic receiving the sentiment function's results."
  value       = aws_sns_topic.notifications.arn
}

output "notify_queue_urls" {
  description = "SQS queue per consumer, and its dead-letter queue."
  value = {
    for key in keys(local.queue_functions) : key => {
      queue = aws_sqs_queue.notify[key].id
      dlq   = aws_sqs_queue.dlq[key].id
    }
  }
}

output "ecr_repository_url" {
  description = "Push the Dagster image here (tag = commit SHA)."
  value       = aws_ecr_repository.dagster.repository_url
}

output "ecs_cluster_name" {
  description = "ECS cluster running Dagster."
  value       = aws_ecs_cluster.dagster.name
}

output "ecs_service_name" {
  description = "ECS service running Dagster."
  value       = aws_ecs_service.dagster.name
}

output "ops_db_endpoint" {
  description = "host:port of the PostgreSQL operations DB (private)."
  value       = aws_db_instance.ops.endpoint
}

output "ops_db_master_secret_arn" {
  description = "Secrets Manager secret holding the RDS master user and password (RDS-managed)."
  value       = aws_db_instance.ops.master_user_secret[0].secret_arn
}

output "app_secret_names" {
  description = "Secrets to fill with `aws secretsmanager put-secret-value` (VELO_<KEY>)."
  value       = { for key, secret in aws_secretsmanager_secret.app : key => secret.name }
}
