# =============================================================================
# One GAS service on ECS Fargate: log group, execution and task roles, task
# security group, task definition, ECS service behind the ALB, autoscaling.
#
# The root module runs it once per service (for_each over local.services:
# web, annotator, notifier, archiver, thawer). The task role carries only the statements the root passes in; the
# execution role may pull the image, write the log group and read only this
# service's secrets. Traffic reaches the tasks only from the ALB.
# =============================================================================

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  full_name = "${var.prefix}-${var.name}"

  secret_arns = distinct(values(var.secrets))

  # ECS valueFrom: the secret's ARN, or "<arn>:<json-key>::" for one key of a JSON secret.
  secret_references = {
    for name, arn in var.secrets : name => contains(keys(var.secret_json_keys), name) ? "${arn}:${var.secret_json_keys[name]}::" : arn
  }

  # The image's own HEALTHCHECK does not apply on ECS; the same probe runs here.
  health_probe = "require('node:http').get('http://127.0.0.1:${var.container_port}/healthz',{timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
}

# -----------------------------------------------------------------------------
# Logs
# -----------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "service" {
  name              = "/ecs/${var.prefix}/${var.name}"
  retention_in_days = var.log_retention_days
}

# -----------------------------------------------------------------------------
# IAM: who may assume the roles (ECS tasks of this account only)
# -----------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# -----------------------------------------------------------------------------
# IAM: execution role (ECS agent: pull image, write logs, read secrets)
# -----------------------------------------------------------------------------

resource "aws_iam_role" "execution" {
  name               = "${local.full_name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  count = length(var.secrets) > 0 ? 1 : 0

  statement {
    sid       = "ReadThisServicesSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.secret_arns
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  count = length(var.secrets) > 0 ? 1 : 0

  name   = "read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets[0].json
}

# -----------------------------------------------------------------------------
# IAM: task role (the service's own AWS calls, least privilege)
# -----------------------------------------------------------------------------

resource "aws_iam_role" "task" {
  name               = "${local.full_name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "task" {
  dynamic "statement" {
    for_each = var.task_role_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "${var.name}-aws-calls"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# -----------------------------------------------------------------------------
# Network: the task security group admits only the ALB, on the container port
# -----------------------------------------------------------------------------

resource "aws_security_group" "task" {
  name        = "${local.full_name}-task"
  description = "GAS ${var.name} tasks: the container port from the load balancer only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "from_alb" {
  security_group_id            = aws_security_group.task.id
  description                  = "Container port from the load balancer"
  referenced_security_group_id = var.alb_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.task.id
  description       = "AWS APIs (through NAT and gateway endpoints), PostgreSQL, OIDC and Stripe"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

# -----------------------------------------------------------------------------
# Task definition: one container, exec-form entrypoint of the image (node is
# PID 1's child under ECS's init, so SIGTERM reaches it), secrets from
# Secrets Manager, logs to CloudWatch
# -----------------------------------------------------------------------------

resource "aws_ecs_task_definition" "service" {
  family                   = local.full_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  ephemeral_storage {
    size_in_gib = var.ephemeral_storage_gib
  }

  container_definitions = jsonencode([{
    name      = var.name
    image     = var.image
    essential = true

    portMappings = [{
      containerPort = var.container_port
      protocol      = "tcp"
    }]

    environment = [for key in sort(keys(var.environment)) : { name = key, value = var.environment[key] }]
    secrets     = [for key in sort(keys(local.secret_references)) : { name = key, valueFrom = local.secret_references[key] }]

    linuxParameters = { initProcessEnabled = true }
    stopTimeout     = var.stop_timeout_seconds

    healthCheck = {
      command     = ["CMD", "node", "-e", local.health_probe]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = var.health_check_grace_period_seconds
    }

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service.name
        awslogs-region        = data.aws_region.current.id
        awslogs-stream-prefix = var.name
      }
    }
  }])
}

# -----------------------------------------------------------------------------
# Service: private subnets, behind the ALB target group, rolling deployments
# with the circuit breaker rolling back a release that never gets healthy
# -----------------------------------------------------------------------------

resource "aws_ecs_service" "service" {
  name                              = var.name
  cluster                           = var.cluster_arn
  task_definition                   = aws_ecs_task_definition.service.arn
  desired_count                     = var.desired_count
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  wait_for_steady_state             = var.wait_for_steady_state
  propagate_tags                    = "SERVICE"
  enable_ecs_managed_tags           = true

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.task.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = var.name
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
}

# -----------------------------------------------------------------------------
# Autoscaling: target tracking on CPU, on requests per task, and on queue
# backlog per task (visible messages / running tasks, by metric math)
# -----------------------------------------------------------------------------

resource "aws_appautoscaling_target" "service" {
  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.service.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_capacity
  max_capacity       = var.max_capacity
}

# The target-tracking policies in use, by name: the target each keeps, and the metric (a
# predefined one, or for queue-backlog the metric math below). A null target: no policy.
locals {
  target_tracking = {
    for name, policy in {
      cpu = {
        target         = var.cpu_target_percent
        predefined     = "ECSServiceAverageCPUUtilization"
        resource_label = null
      }
      requests = {
        target         = var.requests_per_target
        predefined     = "ALBRequestCountPerTarget"
        resource_label = var.alb_resource_label
      }
      queue-backlog = {
        target         = var.queue_backlog == null ? null : var.queue_backlog.target_messages_per_task
        predefined     = null
        resource_label = null
      }
    } : name => policy if policy.target != null
  }
}

resource "aws_appautoscaling_policy" "target_tracking" {
  for_each = local.target_tracking

  name               = "${local.full_name}-${each.key}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service.service_namespace
  resource_id        = aws_appautoscaling_target.service.resource_id
  scalable_dimension = aws_appautoscaling_target.service.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.target
    scale_in_cooldown  = var.scale_in_cooldown_seconds
    scale_out_cooldown = var.scale_out_cooldown_seconds

    dynamic "predefined_metric_specification" {
      for_each = each.value.predefined == null ? [] : [each.value]
      content {
        predefined_metric_type = predefined_metric_specification.value.predefined
        resource_label         = predefined_metric_specification.value.resource_label
      }
    }

    # Backlog per task = ApproximateNumberOfMessagesVisible (SQS) / RunningTaskCount
    # (Container Insights, enabled on the cluster): the AWS-documented metric math
    # for queue workers. min_capacity >= 1 keeps the divisor non-zero.
    dynamic "customized_metric_specification" {
      for_each = each.key == "queue-backlog" ? [var.queue_backlog] : []
      content {
        metrics {
          id          = "visible"
          label       = "Messages visible in ${customized_metric_specification.value.queue_name}"
          return_data = false

          metric_stat {
            stat = "Sum"

            metric {
              namespace   = "AWS/SQS"
              metric_name = "ApproximateNumberOfMessagesVisible"

              dimensions {
                name  = "QueueName"
                value = customized_metric_specification.value.queue_name
              }
            }
          }
        }

        metrics {
          id          = "tasks"
          label       = "Running ${var.name} tasks"
          return_data = false

          metric_stat {
            stat = "Average"

            metric {
              namespace   = "ECS/ContainerInsights"
              metric_name = "RunningTaskCount"

              dimensions {
                name  = "ClusterName"
                value = var.cluster_name
              }

              dimensions {
                name  = "ServiceName"
                value = aws_ecs_service.service.name
              }
            }
          }
        }

        metrics {
          id          = "backlog_per_task"
          label       = "Backlog per task"
          expression  = "visible / tasks"
          return_data = true
        }
      }
    }
  }
}
