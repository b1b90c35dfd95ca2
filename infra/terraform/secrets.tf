# Application secrets live in AWS Secrets Manager as <project>-<environment>/<key>, one plain
# string each. Terraform creates the (empty) secrets; an operator puts the values:
#   aws secretsmanager put-secret-value --secret-id velo-prod/news_api_key --secret-string '...'
# The ECS task reads them at start through `secrets` (the value never passes through Terraform).
# Lambda has no such injection, so the values of the few secrets a function needs are read at
# plan time and stored in its KMS-encrypted environment; they do pass through the (encrypted,
# access-controlled) remote state, never through tfvars or this repository.

resource "aws_secretsmanager_secret" "app" {
  for_each                = local.app_secrets
  name                    = "${local.name}/${each.key}"
  description             = "${each.value} for ${local.name}"
  kms_key_id              = aws_kms_key.velo.arn
  recovery_window_in_days = 7
  #checkov:skip=CKV2_AWS_57:third-party API keys and webhook URLs are rotated by their issuer, not by a Lambda rotator; the RDS password has its own managed rotation
}

data "aws_secretsmanager_secret_version" "lambda" {
  for_each  = var.lambda_secrets_ready ? toset(flatten(values(local.lambda_secret_keys))) : toset([])
  secret_id = aws_secretsmanager_secret.app[each.key].id
}
