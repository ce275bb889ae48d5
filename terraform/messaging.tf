# =============================================================================
# Messaging: SNS topics fan out to SQS queues (the durable buffer, with a
# dead-letter queue each) and to the services' HTTPS webhooks (the doorbell).
#
# Topics sign with SignatureVersion 2 (SHA256withRSA), which the service-kit
# webhook plugin verifies. Queue subscriptions keep the SNS envelope (no raw
# delivery) so consumers can check which topic a message came from.
# =============================================================================

# -----------------------------------------------------------------------------
# Topics
# -----------------------------------------------------------------------------

resource "aws_sns_topic" "topic" {
  for_each = local.topic_names

  name              = each.value
  signature_version = 2
  kms_master_key_id = var.sns_kms_key_id
}

# S3 may publish the results bucket's restore-completed events to the cold
# storage topic (and only that bucket, in this account); the account keeps
# its usual rights.
data "aws_iam_policy_document" "cold_storage_topic" {
  statement {
    sid       = "AccountOwnerManages"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.topic["coldStorageEvents"].arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "S3PublishesRestoreEvents"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.topic["coldStorageEvents"].arn]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.bucket["results"].arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  # The vault backend's archive-retrieval jobs report completion here too.
  dynamic "statement" {
    for_each = var.cold_storage_backend == "glacier-vault" ? [local.vault_arn] : []
    content {
      sid       = "GlacierPublishesRetrievalJobs"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.topic["coldStorageEvents"].arn]

      principals {
        type        = "Service"
        identifiers = ["glacier.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = [statement.value]
      }
    }
  }
}

resource "aws_sns_topic_policy" "cold_storage_events" {
  arn    = aws_sns_topic.topic["coldStorageEvents"].arn
  policy = data.aws_iam_policy_document.cold_storage_topic.json
}

# -----------------------------------------------------------------------------
# Queues and their dead-letter queues (redrive after maxReceiveCount receives)
# -----------------------------------------------------------------------------

resource "aws_sqs_queue" "dead_letter" {
  for_each = local.dead_letter_queue_names

  name                      = each.value
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "queue" {
  for_each = local.queue_names

  name                       = each.value
  visibility_timeout_seconds = local.resources.queues[each.key].visibilityTimeoutSeconds
  message_retention_seconds  = 345600
  receive_wait_time_seconds  = 20
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter[each.key].arn
    maxReceiveCount     = local.resources.queues[each.key].maxReceiveCount
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  for_each = local.dead_letter_queue_names

  queue_url = aws_sqs_queue.dead_letter[each.key].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.queue[each.key].arn]
  })
}

# Only the queue's own topic may send to it.
data "aws_iam_policy_document" "queue" {
  for_each = local.queue_names

  statement {
    sid       = "TopicSends"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.queue[each.key].arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.topic[local.resources.queues[each.key].topic].arn]
    }
  }
}

resource "aws_sqs_queue_policy" "queue" {
  for_each = local.queue_names

  queue_url = aws_sqs_queue.queue[each.key].id
  policy    = data.aws_iam_policy_document.queue[each.key].json
}

# -----------------------------------------------------------------------------
# Subscriptions: topic -> queue, and topic -> the service's HTTPS webhook
# -----------------------------------------------------------------------------

resource "aws_sns_topic_subscription" "queue" {
  for_each = local.queue_names

  topic_arn            = aws_sns_topic.topic[local.resources.queues[each.key].topic].arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.queue[each.key].arn
  raw_message_delivery = false

  depends_on = [aws_sqs_queue_policy.queue]
}

# The webhook answers SNS's SubscriptionConfirmation itself, so the services
# must be running first (the ECS services wait for a steady state).
resource "aws_sns_topic_subscription" "webhook" {
  for_each = local.webhook_subscriptions

  topic_arn                       = aws_sns_topic.topic[each.value.topic].arn
  protocol                        = "https"
  endpoint                        = "${local.public_origin}${each.value.path}"
  endpoint_auto_confirms          = false
  confirmation_timeout_in_minutes = 5

  delivery_policy = jsonencode({
    healthyRetryPolicy = {
      numRetries         = 10
      numNoDelayRetries  = 0
      minDelayTarget     = 2
      maxDelayTarget     = 60
      numMinDelayRetries = 2
      numMaxDelayRetries = 4
      backoffFunction    = "exponential"
    }
  })

  depends_on = [aws_lb_listener_rule.webhook, module.service]
}
