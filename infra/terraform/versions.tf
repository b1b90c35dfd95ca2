terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }

  # Remote state in S3 with a DynamoDB lock table. The configuration is partial on purpose: the
  # bucket and table are per account, so they come from a file that is not committed:
  #   cp backend.hcl.example backend.hcl   # fill in bucket / table / region
  #   terraform init -backend-config=backend.hcl
  # (`terraform init -backend=false` is enough for `terraform validate`.)
  backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}
