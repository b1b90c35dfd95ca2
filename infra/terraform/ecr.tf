# The Dagster image (docker/Dockerfile): code location, webserver and daemon share it.

resource "aws_ecr_repository" "dagster" {
  name                 = "${local.name}/dagster"
  image_tag_mutability = "IMMUTABLE" # one tag = one build; CD tags with the commit SHA

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.velo.arn
  }
}

resource "aws_ecr_lifecycle_policy" "dagster" {
  repository = aws_ecr_repository.dagster.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the 30 most recent images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 30
      }
      action = { type = "expire" }
    }]
  })
}
