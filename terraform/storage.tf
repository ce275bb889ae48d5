# =============================================================================
# Storage: the DynamoDB jobs table, the S3 buckets (inputs, results,
# reference bundle), the optional Glacier vault, and ECR repositories.
# =============================================================================

# -----------------------------------------------------------------------------
# DynamoDB: jobs, keyed by job_id, with the GSIs named in resources.json
# (a user's job list; the archiver's due-for-archive scan). All writes are
# conditional in the services; point-in-time recovery is on.
# -----------------------------------------------------------------------------

locals {
  # Every key attribute of the table and its indexes (each declared once).
  jobs_key_attributes = distinct(concat(
    [local.jobs_table.hashKey],
    flatten([for index in values(local.jobs_table.indexes) : [index.hashKey, index.rangeKey]]),
  ))
}

resource "aws_dynamodb_table" "jobs" {
  name         = local.jobs_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = local.jobs_table.hashKey

  dynamic "attribute" {
    for_each = local.jobs_key_attributes
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "global_secondary_index" {
    for_each = local.jobs_table.indexes
    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.hashKey
      range_key       = global_secondary_index.value.rangeKey
      projection_type = "ALL"
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = var.deletion_protection
}

# -----------------------------------------------------------------------------
# S3: private, encrypted, owner-enforced (no ACLs), TLS-only buckets
# -----------------------------------------------------------------------------

resource "aws_s3_bucket" "bucket" {
  for_each = local.bucket_names

  bucket        = each.value
  force_destroy = !var.deletion_protection
}

resource "aws_s3_bucket_ownership_controls" "bucket" {
  for_each = aws_s3_bucket.bucket
  bucket   = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "bucket" {
  for_each = aws_s3_bucket.bucket
  bucket   = each.value.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "bucket" {
  for_each = aws_s3_bucket.bucket
  bucket   = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

data "aws_iam_policy_document" "bucket_tls_only" {
  for_each = aws_s3_bucket.bucket

  statement {
    sid       = "DenyPlainHttp"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value.arn, "${each.value.arn}/*"]

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

resource "aws_s3_bucket_policy" "bucket" {
  for_each = aws_s3_bucket.bucket
  bucket   = each.value.id
  policy   = data.aws_iam_policy_document.bucket_tls_only[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.bucket]
}

# Abandoned multipart uploads cost money until aborted: days after which S3 aborts them.
locals {
  abort_incomplete_uploads_after_days = {
    inputs  = 2 # large Premium uploads from the browser
    results = 1 # the annotator streams results; a task killed mid-upload leaves parts
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "abort_incomplete_uploads" {
  for_each = local.abort_incomplete_uploads_after_days

  bucket = aws_s3_bucket.bucket[each.key].id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = each.value
    }
  }
}

# The browser POSTs (presigned POST) and PUTs (multipart parts) straight to S3.
resource "aws_s3_bucket_cors_configuration" "inputs" {
  bucket = aws_s3_bucket.bucket["inputs"].id

  cors_rule {
    allowed_origins = length(var.upload_origins) > 0 ? var.upload_origins : [local.public_origin]
    allowed_methods = ["POST", "PUT"]
    allowed_headers = ["*"]
    expose_headers  = ["ETag", "Location"]
    max_age_seconds = 3000
  }
}

# The S3-storage-class cold backend learns that a restore finished from this event.
resource "aws_s3_bucket_notification" "results_restore_completed" {
  bucket = aws_s3_bucket.bucket["results"].id

  topic {
    id        = "gas-restore-completed"
    topic_arn = aws_sns_topic.topic["coldStorageEvents"].arn
    events    = ["s3:ObjectRestore:Completed"]
  }

  depends_on = [aws_sns_topic_policy.cold_storage_events]
}

# -----------------------------------------------------------------------------
# Glacier vault: only for accounts that already use the vault API (Amazon
# Glacier takes no new customers since 2025-12-15); the default cold backend
# is the S3 GLACIER storage class in the results bucket.
# -----------------------------------------------------------------------------

resource "aws_glacier_vault" "results" {
  count = var.cold_storage_backend == "glacier-vault" ? 1 : 0

  name = local.vault_name

  notification {
    sns_topic = aws_sns_topic.topic["coldStorageEvents"].arn
    events    = ["ArchiveRetrievalCompleted"]
  }
}

# -----------------------------------------------------------------------------
# ECR: one repository per service image, scanned on push, tags immutable
# -----------------------------------------------------------------------------

resource "aws_ecr_repository" "service" {
  for_each = local.service_ports

  name                 = "${var.prefix}/${each.key}"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = !var.deletion_protection

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }
}

resource "aws_ecr_lifecycle_policy" "service" {
  for_each   = aws_ecr_repository.service
  repository = each.value.name

  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.ecr_images_to_keep} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.ecr_images_to_keep
      }
      action = { type = "expire" }
    }]
  })
}
