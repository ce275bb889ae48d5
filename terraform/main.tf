# =============================================================================
# GAS on AWS: the root module
#
# One ECS Fargate service per GAS process (web, annotator, notifier, archiver,
# thawer) behind one ALB, the SNS/SQS messaging between them, DynamoDB, S3,
# SES, RDS PostgreSQL, Secrets Manager and ECR. The files of this module:
#
#   main.tf        provider, shared names (read from packages/contracts/resources.json)
#   network.tf     VPC, public + private subnets, NAT, gateway endpoints, security groups
#   alb.tf         load balancer, HTTPS listener, HTTP->HTTPS redirect, listener rules
#   messaging.tf   SNS topics, SQS queues + dead-letter queues, subscriptions, policies
#   storage.tf     DynamoDB jobs table, S3 buckets, Glacier vault (optional), ECR
#   database.tf    RDS PostgreSQL
#   secrets.tf     Secrets Manager entries the task definitions reference
#   email.tf       SES identity
#   services.tf    ECS cluster, local.services, modules/service for each service
#   monitoring.tf  CloudWatch alarms
# =============================================================================

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Application = "gas"
      Environment = var.prefix
      ManagedBy   = "terraform"
    })
  }
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

# -----------------------------------------------------------------------------
# Names: every topic, queue, table, index, bucket and vault name, webhook path
# and port comes from the one list shared with @gas/contracts and the devcloud
# provisioning. Deployed names are "<prefix>-<name>"; buckets also get a suffix
# (the account id unless set) because bucket names are global.
# -----------------------------------------------------------------------------

locals {
  resources = jsondecode(file("${path.module}/../packages/contracts/resources.json"))

  account_id    = data.aws_caller_identity.current.account_id
  bucket_suffix = var.bucket_suffix != "" ? var.bucket_suffix : local.account_id

  topic_names = { for key, name in local.resources.topics : key => "${var.prefix}-${name}" }
  queue_names = { for key, queue in local.resources.queues : key => "${var.prefix}-${queue.name}" }
  dead_letter_queue_names = {
    for key, queue in local.resources.queues : key => "${var.prefix}-${queue.name}${local.resources.deadLetterSuffix}"
  }
  jobs_table_name = "${var.prefix}-${local.resources.tables.jobs.name}"
  jobs_table      = local.resources.tables.jobs
  bucket_names    = { for key, name in local.resources.buckets : key => "${var.prefix}-${name}-${local.bucket_suffix}" }
  vault_name      = "${var.prefix}-${local.resources.vaults.results}"
  ports           = local.resources.ports
  webhooks        = local.resources.webhooks

  # The public origin of the site; SNS delivers to the webhooks through it.
  public_origin = "https://${var.domain_name}"

  # The (webhook service, topic) pairs: one HTTPS subscription each.
  webhook_subscriptions = merge([
    for service, hook in local.webhooks : {
      for topic in hook.topics : "${service}-${topic}" => { service = service, topic = topic, path = hook.path }
    }
  ]...)
}
