# =============================================================================
# Services: the ECS cluster and modules/service once per GAS service
#
# local.services states each service once: its autoscaling, its configuration
# keys (the ones in services/<name>/.env.example) and its task role. What all
# five share (cluster, subnets, image, port, size, log retention) is passed in
# the one module block, for_each over that map.
#
# Each service's task role lists exactly the AWS actions that service calls
# (tools/deploy-checks scans the code for SDK commands and checks they are
# granted here, and that nothing else is), on only the resources it touches.
# Secrets come from Secrets Manager (secrets.tf), never as plain environment
# values.
# =============================================================================

resource "aws_ecs_cluster" "main" {
  name = var.prefix

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

# -----------------------------------------------------------------------------
# Shared wiring: ports and names from resources.json, ARNs the roles refer to
# -----------------------------------------------------------------------------

locals {
  # Keys of the target groups and ECR repositories too, so known without the modules.
  service_ports = {
    web       = local.ports.web
    annotator = local.ports.annotator
    notifier  = local.ports.notifier
    archiver  = local.ports.archiver
    thawer    = local.ports.thawer
  }

  images = { for name, repository in aws_ecr_repository.service : name => "${repository.repository_url}:${var.image_tag}" }

  inputs_bucket_arn    = aws_s3_bucket.bucket["inputs"].arn
  results_bucket_arn   = aws_s3_bucket.bucket["results"].arn
  reference_bucket_arn = aws_s3_bucket.bucket["reference"].arn
  jobs_table_arn       = aws_dynamodb_table.jobs.arn
  jobs_indexes_arn     = "${aws_dynamodb_table.jobs.arn}/index/*"
  vault_arn            = "arn:${data.aws_partition.current.partition}:glacier:${data.aws_region.current.id}:${local.account_id}:vaults/${local.vault_name}"
  sender_identity_arn  = aws_sesv2_email_identity.sender.arn

  # Each service's own queues (resources.json says which service consumes a queue).
  consumed_queue_arns = {
    for service in keys(local.service_ports) : service => [
      for key, queue in local.resources.queues : aws_sqs_queue.queue[key].arn if queue.service == service
    ]
  }

  # The action sets several roles grant, each on its own service's resources only.
  # A queue consumer: service-kit's drain loop (receive, heartbeat, delete, URL lookup)
  # and its /readyz probe (GetQueueAttributes).
  queue_consumer_actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
  # A service that moves a job's state: read, conditional update, /readyz (DescribeTable).
  job_record_actions = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DescribeTable"]
  # A publisher: Publish, and GetTopicAttributes for /readyz.
  publisher_actions = ["sns:Publish", "sns:GetTopicAttributes"]

  # Configuration every service reads (see services/*/.env.example); PORT is added per service.
  common_environment = {
    NODE_ENV   = "production"
    LOG_LEVEL  = var.log_level
    AWS_REGION = data.aws_region.current.id
  }

  # Deployed resource names, queue URLs and topic ARNs, as the services' config keys name them.
  resource_environment = {
    JOBS_TABLE     = aws_dynamodb_table.jobs.name
    INPUTS_BUCKET  = aws_s3_bucket.bucket["inputs"].bucket
    RESULTS_BUCKET = aws_s3_bucket.bucket["results"].bucket
  }

  # The archiver and the thawer must agree on the job records and where archives go.
  archive_environment = {
    JOBS_TABLE           = aws_dynamodb_table.jobs.name
    RESULTS_BUCKET       = aws_s3_bucket.bucket["results"].bucket
    COLD_STORAGE_BACKEND = var.cold_storage_backend
    RESULTS_VAULT        = local.vault_name
  }

  database_environment = {
    DATABASE_URL = "postgres://${aws_db_instance.accounts.username}@${aws_db_instance.accounts.endpoint}/${aws_db_instance.accounts.db_name}?sslmode=no-verify"
  }

  database_secrets = {
    PGPASSWORD = aws_db_instance.accounts.master_user_secret[0].secret_arn
  }
  # The RDS-managed master secret is JSON; the task gets its "password" key.
  database_secret_json_keys = {
    PGPASSWORD = "password"
  }

  # The services that connect to PostgreSQL (those whose config has DATABASE_URL); the
  # database admits only these.
  database_clients = ["web"]

  service_security_groups = { for name, service in module.service : name => service.security_group_id }

  alb_resource_labels = {
    for name, group in aws_lb_target_group.service : name => "${aws_lb.main.arn_suffix}/${group.arn_suffix}"
  }
}

# -----------------------------------------------------------------------------
# What each service is: autoscaling beyond its size (var.service_sizes),
# configuration keys and secrets, task role statements. A key left out takes
# service_defaults (null: the module's default).
# -----------------------------------------------------------------------------

locals {
  service_defaults = {
    cpu_target_percent                = null
    requests_per_target               = null
    queue_backlog                     = null
    ephemeral_storage_gib             = null
    stop_timeout_seconds              = null
    health_check_grace_period_seconds = null
    secrets                           = {}
    secret_json_keys                  = {}
  }

  services = { for name, service in local.service_specs : name => merge(local.service_defaults, service) }

  service_specs = {
    # web: site, REST API, uploads (presigned POST / multipart), Stripe webhook
    web = {
      cpu_target_percent  = var.web_cpu_target_percent
      requests_per_target = var.web_requests_per_target

      environment = merge(local.resource_environment, local.database_environment, {
        JOB_REQUESTS_TOPIC_ARN      = aws_sns_topic.topic["jobRequests"].arn
        USER_TIER_CHANGED_TOPIC_ARN = aws_sns_topic.topic["userTierChanged"].arn
        WEB_BASE_URL                = local.public_origin
        TRUST_PROXY                 = "true"
        OIDC_ISSUER_URL             = var.oidc_issuer_url
        OIDC_CLIENT_ID              = var.oidc_client_id
        OIDC_REDIRECT_URL           = "${local.public_origin}/auth/callback"
        STRIPE_PRICE_ID             = var.stripe_price_id
        FREE_UPLOAD_LIMIT_BYTES     = tostring(var.free_upload_limit_bytes)
        FREE_RETENTION_MINUTES      = tostring(floor(var.free_retention_seconds / 60))
      })

      secrets = merge(local.database_secrets, {
        OIDC_CLIENT_SECRET    = aws_secretsmanager_secret.app["oidc-client-secret"].arn
        STRIPE_SECRET_KEY     = aws_secretsmanager_secret.app["stripe-secret-key"].arn
        STRIPE_WEBHOOK_SECRET = aws_secretsmanager_secret.app["stripe-webhook-secret"].arn
        SESSION_SECRET        = aws_secretsmanager_secret.app["session-secret"].arn
      })
      secret_json_keys = local.database_secret_json_keys

      task_role_statements = [
        {
          sid       = "UploadInputs"
          actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
          resources = ["${local.inputs_bucket_arn}/*"]
        },
        { sid = "DownloadResults", actions = ["s3:GetObject"], resources = ["${local.results_bucket_arn}/*"] },
        { sid = "ListBuckets", actions = ["s3:ListBucket"], resources = [local.inputs_bucket_arn, local.results_bucket_arn] },
        {
          sid       = "JobRecords"
          actions   = concat(["dynamodb:PutItem"], local.job_record_actions)
          resources = [local.jobs_table_arn]
        },
        { sid = "UserJobLists", actions = ["dynamodb:Query"], resources = [local.jobs_indexes_arn] },
        {
          sid       = "PublishJobsAndTiers"
          actions   = local.publisher_actions
          resources = [aws_sns_topic.topic["jobRequests"].arn, aws_sns_topic.topic["userTierChanged"].arn]
        },
      ]
    }

    # annotator: job-requests queue -> engine -> results bucket -> job-completed
    annotator = {
      queue_backlog = {
        queue_name               = aws_sqs_queue.queue["annotatorJobRequests"].name
        target_messages_per_task = var.annotator_backlog_per_task
      }
      ephemeral_storage_gib             = var.annotator_ephemeral_storage_gib
      stop_timeout_seconds              = 120
      health_check_grace_period_seconds = 180

      environment = merge(local.resource_environment, {
        JOB_REQUESTS_QUEUE_URL  = aws_sqs_queue.queue["annotatorJobRequests"].url
        JOB_REQUESTS_TOPIC_ARN  = aws_sns_topic.topic["jobRequests"].arn
        JOB_COMPLETED_TOPIC_ARN = aws_sns_topic.topic["jobCompleted"].arn
        ANNOTATOR_CONCURRENCY   = tostring(var.annotator_concurrency)
        STOP_TIMEOUT_SECONDS    = "100"
        # The bundle (an engine reference bundle: manifest.json with root ".", the FASTA, gene
        # models, synonyms and known-variant files beside it) is downloaded from S3 at start into
        # the task's disk; the workers open it there, every file checked against the manifest.
        REFERENCE_BUNDLE_URI = "s3://${aws_s3_bucket.bucket["reference"].bucket}/${var.reference_bundle_key}"
        REFERENCE_BUNDLE_DIR = "/var/cache/gas/reference"
      })

      task_role_statements = [
        { sid = "DrainJobRequests", actions = local.queue_consumer_actions, resources = local.consumed_queue_arns["annotator"] },
        { sid = "ReadInputs", actions = ["s3:GetObject"], resources = ["${local.inputs_bucket_arn}/*"] },
        { sid = "WriteResults", actions = ["s3:PutObject", "s3:AbortMultipartUpload"], resources = ["${local.results_bucket_arn}/*"] },
        { sid = "ReadReferenceBundle", actions = ["s3:GetObject"], resources = ["${local.reference_bucket_arn}/*"] },
        {
          sid       = "ListBuckets"
          actions   = ["s3:ListBucket"]
          resources = [local.inputs_bucket_arn, local.results_bucket_arn, local.reference_bucket_arn]
        },
        { sid = "JobRecords", actions = local.job_record_actions, resources = [local.jobs_table_arn] },
        { sid = "PublishJobCompleted", actions = local.publisher_actions, resources = [aws_sns_topic.topic["jobCompleted"].arn] },
      ]
    }

    # notifier: job-completed / archive-restored -> one e-mail per job (SES)
    notifier = {
      cpu_target_percent = 70

      environment = {
        JOBS_TABLE                 = aws_dynamodb_table.jobs.name
        JOB_COMPLETED_QUEUE_URL    = aws_sqs_queue.queue["notifierJobCompleted"].url
        ARCHIVE_RESTORED_QUEUE_URL = aws_sqs_queue.queue["notifierArchiveRestored"].url
        JOB_COMPLETED_TOPIC_ARN    = aws_sns_topic.topic["jobCompleted"].arn
        ARCHIVE_RESTORED_TOPIC_ARN = aws_sns_topic.topic["archiveRestored"].arn
        MAIL_FROM                  = var.mail_from
        WEB_BASE_URL               = local.public_origin
      }

      task_role_statements = [
        { sid = "DrainNotifierQueues", actions = local.queue_consumer_actions, resources = local.consumed_queue_arns["notifier"] },
        { sid = "JobRecords", actions = local.job_record_actions, resources = [local.jobs_table_arn] },
        { sid = "SendMail", actions = ["ses:SendEmail"], resources = [local.sender_identity_arn] },
      ]
    }

    # archiver: Free results -> cold storage once the retention window has passed
    archiver = {
      cpu_target_percent = 70

      environment = merge(local.archive_environment, {
        JOB_COMPLETED_QUEUE_URL     = aws_sqs_queue.queue["archiverJobCompleted"].url
        USER_TIER_CHANGED_QUEUE_URL = aws_sqs_queue.queue["archiverUserTierChanged"].url
        JOB_COMPLETED_TOPIC_ARN     = aws_sns_topic.topic["jobCompleted"].arn
        USER_TIER_CHANGED_TOPIC_ARN = aws_sns_topic.topic["userTierChanged"].arn
        FREE_RETENTION_SECONDS      = tostring(var.free_retention_seconds)
      })

      task_role_statements = [
        { sid = "DrainArchiverQueues", actions = local.queue_consumer_actions, resources = local.consumed_queue_arns["archiver"] },
        { sid = "JobRecords", actions = local.job_record_actions, resources = [local.jobs_table_arn] },
        { sid = "ArchiveDueIndex", actions = ["dynamodb:Query"], resources = [local.jobs_indexes_arn] },
        { sid = "MoveResultsToColdStorage", actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources = ["${local.results_bucket_arn}/*"] },
        { sid = "ListResults", actions = ["s3:ListBucket"], resources = [local.results_bucket_arn] },
        { sid = "VaultArchive", actions = ["glacier:UploadArchive", "glacier:DeleteArchive"], resources = [local.vault_arn] },
      ]
    }

    # thawer: user upgraded -> restore archived results -> back in the bucket
    thawer = {
      cpu_target_percent = 70

      environment = merge(local.archive_environment, {
        USER_TIER_CHANGED_QUEUE_URL   = aws_sqs_queue.queue["thawerUserTierChanged"].url
        COLD_STORAGE_EVENTS_QUEUE_URL = aws_sqs_queue.queue["thawerColdStorageEvents"].url
        USER_TIER_CHANGED_TOPIC_ARN   = aws_sns_topic.topic["userTierChanged"].arn
        COLD_STORAGE_EVENTS_TOPIC_ARN = aws_sns_topic.topic["coldStorageEvents"].arn
        ARCHIVE_RESTORED_TOPIC_ARN    = aws_sns_topic.topic["archiveRestored"].arn
        RESTORE_TIER                  = var.restore_tier
      })

      task_role_statements = [
        { sid = "DrainThawerQueues", actions = local.queue_consumer_actions, resources = local.consumed_queue_arns["thawer"] },
        { sid = "JobRecords", actions = local.job_record_actions, resources = [local.jobs_table_arn] },
        { sid = "UserJobsIndex", actions = ["dynamodb:Query"], resources = [local.jobs_indexes_arn] },
        {
          sid       = "RestoreResults"
          actions   = ["s3:RestoreObject", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
          resources = ["${local.results_bucket_arn}/*"]
        },
        { sid = "ListResults", actions = ["s3:ListBucket"], resources = [local.results_bucket_arn] },
        {
          sid       = "VaultRetrieval"
          actions   = ["glacier:InitiateJob", "glacier:DescribeJob", "glacier:GetJobOutput", "glacier:DeleteArchive"]
          resources = [local.vault_arn]
        },
        { sid = "PublishArchiveRestored", actions = local.publisher_actions, resources = [aws_sns_topic.topic["archiveRestored"].arn] },
      ]
    }
  }
}

# -----------------------------------------------------------------------------
# The five services: one module instance each (module.service["web"], ...)
# -----------------------------------------------------------------------------

module "service" {
  source   = "./modules/service"
  for_each = local.services

  # ECS registers tasks only in a target group that a listener already uses: web's
  # is the HTTPS listener's default, the others' are the webhook rules'.
  depends_on = [aws_lb_listener.https, aws_lb_listener_rule.webhook]

  name                  = each.key
  prefix                = var.prefix
  cluster_arn           = aws_ecs_cluster.main.arn
  cluster_name          = aws_ecs_cluster.main.name
  vpc_id                = aws_vpc.main.id
  subnet_ids            = aws_subnet.private[*].id
  alb_security_group_id = aws_security_group.alb.id
  target_group_arn      = aws_lb_target_group.service[each.key].arn
  image                 = local.images[each.key]
  container_port        = local.service_ports[each.key]
  cpu                   = var.service_sizes[each.key].cpu
  memory                = var.service_sizes[each.key].memory
  min_capacity          = var.service_sizes[each.key].min_capacity
  max_capacity          = var.service_sizes[each.key].max_capacity
  desired_count         = var.service_sizes[each.key].min_capacity
  log_retention_days    = var.log_retention_days

  cpu_target_percent                = each.value.cpu_target_percent
  requests_per_target               = each.value.requests_per_target
  alb_resource_label                = local.alb_resource_labels[each.key]
  queue_backlog                     = each.value.queue_backlog
  ephemeral_storage_gib             = each.value.ephemeral_storage_gib
  stop_timeout_seconds              = each.value.stop_timeout_seconds
  health_check_grace_period_seconds = each.value.health_check_grace_period_seconds

  environment          = merge(local.common_environment, { PORT = tostring(local.service_ports[each.key]) }, each.value.environment)
  secrets              = each.value.secrets
  secret_json_keys     = each.value.secret_json_keys
  task_role_statements = each.value.task_role_statements
}
