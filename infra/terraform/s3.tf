# The landing zone (VELO_LANDING_URL = s3://<bucket>): sentiment/, notifications/, quarantine/.
# The lifecycle rule is the S3 form of `velo lifecycle`: Intelligent-Tiering after
# archive_after_days, deletion after expire_after_days.

resource "aws_s3_bucket" "landing" {
  bucket = "${local.name}-landing-${local.account_id}"
  #checkov:skip=CKV_AWS_18:server access logs go to the account's central log bucket, configured by the organisation baseline, not per stack
  #checkov:skip=CKV_AWS_144:landing files are re-derivable from the source APIs and expire after a year; cross-region replication would double cost for no recovery gain
  #checkov:skip=CKV2_AWS_62:nothing consumes S3 events; ingest finds new files by modification time
}

resource "aws_s3_bucket_ownership_controls" "landing" {
  bucket = aws_s3_bucket.landing.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "landing" {
  bucket                  = aws_s3_bucket.landing.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "landing" {
  bucket = aws_s3_bucket.landing.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "landing" {
  bucket = aws_s3_bucket.landing.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.velo.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "landing" {
  bucket     = aws_s3_bucket.landing.id
  depends_on = [aws_s3_bucket_versioning.landing]

  rule {
    id     = "landing-retention"
    status = "Enabled"
    filter {}

    transition {
      days          = var.archive_after_days
      storage_class = "INTELLIGENT_TIERING"
    }

    expiration {
      days = var.expire_after_days
    }

    # Versioning keeps overwritten/deleted objects recoverable for a while, not forever.
    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "landing_tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.landing.arn,
      "${aws_s3_bucket.landing.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "landing" {
  bucket     = aws_s3_bucket.landing.id
  policy     = data.aws_iam_policy_document.landing_tls_only.json
  depends_on = [aws_s3_bucket_public_access_block.landing]
}
