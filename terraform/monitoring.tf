# =============================================================================
# Monitoring: alarms on dead-letter queue depth (a message failed
# maxReceiveCount times) and on the ALB's 5xx rate, sent to an SNS topic that
# var.alarm_emails subscribe to.
# =============================================================================

resource "aws_sns_topic" "alarms" {
  name              = "${var.prefix}-alarms"
  signature_version = 2
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# -----------------------------------------------------------------------------
# Dead-letter queues: any message at all is worth a look
# -----------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "dead_letter_depth" {
  for_each = aws_sqs_queue.dead_letter

  alarm_name          = "${each.value.name}-not-empty"
  alarm_description   = "Messages in ${each.value.name}: a ${local.resources.queues[each.key].service} message failed ${local.resources.queues[each.key].maxReceiveCount} times. Inspect, fix, then redrive."
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

# -----------------------------------------------------------------------------
# ALB 5xx: share of requests answered 5xx (by targets or by the ALB itself)
# -----------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "alb_5xx_rate" {
  alarm_name          = "${var.prefix}-alb-5xx-rate"
  alarm_description   = "More than ${var.alb_5xx_alarm_percent}% of requests answered 5xx over 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alb_5xx_alarm_percent
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "rate"
    expression  = "100 * (FILL(target5xx, 0) + FILL(alb5xx, 0)) / requests"
    label       = "5xx percent"
    return_data = true
  }

  # The ALB's per-load-balancer counts the rate is made of.
  dynamic "metric_query" {
    for_each = {
      target5xx = "HTTPCode_Target_5XX_Count"
      alb5xx    = "HTTPCode_ELB_5XX_Count"
      requests  = "RequestCount"
    }
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = metric_query.value
        dimensions  = { LoadBalancer = aws_lb.main.arn_suffix }
        stat        = "Sum"
        period      = 300
      }
    }
  }
}
