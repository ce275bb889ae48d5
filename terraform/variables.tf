# =============================================================================
# Inputs of the GAS deployment. Only domain_name, certificate_arn, image_tag,
# oidc_issuer_url, oidc_client_id, stripe_price_id and mail_from have no
# default; terraform.tfvars.example shows them all.
# =============================================================================

# -----------------------------------------------------------------------------
# Account, naming, DNS and TLS
# -----------------------------------------------------------------------------

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "prefix" {
  description = "Environment prefix: every deployed name is \"<prefix>-<name from resources.json>\". Lowercase letters, digits and hyphens."
  type        = string
  default     = "gas"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.prefix))
    error_message = "prefix must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "bucket_suffix" {
  description = "Suffix that makes the S3 bucket names globally unique; empty means the AWS account id."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Extra tags on every resource (Application, Environment and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

variable "domain_name" {
  description = "Public host name of the site (e.g. gas.example.org). SNS delivers webhooks to https://<domain_name>/sns/..., so it must resolve to the ALB and match the certificate."
  type        = string
}

variable "certificate_arn" {
  description = "ARN of the ACM certificate for domain_name, in the deployment region (the ALB's HTTPS listener)."
  type        = string
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone to create the domain_name alias record in; empty to manage DNS elsewhere."
  type        = string
  default     = ""
}

variable "allowed_ingress_cidrs" {
  description = "IPv4 ranges admitted to the ALB on 80/443. SNS delivers from AWS public addresses, so narrowing this also stops the webhooks (the queues still get every message)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "deletion_protection" {
  description = "Protect the ALB, table, database, buckets and secrets from deletion (false for throw-away environments)."
  type        = bool
  default     = true
}

# -----------------------------------------------------------------------------
# Network
# -----------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "IPv4 range of the VPC; split into /20 public and private subnets (a /16 or /17 is expected)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones to spread subnets, tasks and the ALB over (2 or 3)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3 (an ALB needs two zones)."
  }
}

variable "one_nat_gateway_per_az" {
  description = "One NAT gateway per zone (survives a zone outage) instead of one shared NAT gateway (cheaper)."
  type        = bool
  default     = false
}

# -----------------------------------------------------------------------------
# Images and services
# -----------------------------------------------------------------------------

variable "image_tag" {
  description = "Tag of the five service images in ECR (built from the repo's Dockerfile; tags are immutable, use the git commit)."
  type        = string
}

variable "log_level" {
  description = "Log level of every service (pino: fatal, error, warn, info, debug, trace)."
  type        = string
  default     = "info"
}

variable "log_retention_days" {
  description = "Retention of the services' CloudWatch log groups."
  type        = number
  default     = 30
}

variable "service_sizes" {
  description = "Fargate size (cpu units, memory MiB) and task count range of each service, by name; give all five. The annotator runs the engine in worker threads: give it vCPUs and memory."
  type = map(object({
    cpu          = number
    memory       = number
    min_capacity = number
    max_capacity = number
  }))
  default = {
    web       = { cpu = 512, memory = 1024, min_capacity = 2, max_capacity = 8 }
    annotator = { cpu = 2048, memory = 8192, min_capacity = 1, max_capacity = 10 }
    notifier  = { cpu = 256, memory = 512, min_capacity = 1, max_capacity = 3 }
    archiver  = { cpu = 256, memory = 512, min_capacity = 1, max_capacity = 3 }
    thawer    = { cpu = 256, memory = 512, min_capacity = 1, max_capacity = 3 }
  }

  validation {
    condition     = length(var.service_sizes) == 5 && alltrue([for name in ["web", "annotator", "notifier", "archiver", "thawer"] : contains(keys(var.service_sizes), name)])
    error_message = "service_sizes must give exactly web, annotator, notifier, archiver and thawer."
  }
}

variable "web_cpu_target_percent" {
  description = "Average CPU the web service's target tracking keeps (percent)."
  type        = number
  default     = 60
}

variable "web_requests_per_target" {
  description = "ALB requests per web task per minute that target tracking keeps."
  type        = number
  default     = 1000
}

variable "annotator_backlog_per_task" {
  description = "Queued job requests per running annotator task that target tracking keeps (acceptable latency / time per job)."
  type        = number
  default     = 2
}

variable "annotator_concurrency" {
  description = "Jobs one annotator task runs at once, each in its own worker thread (about one per vCPU)."
  type        = number
  default     = 2
}

variable "annotator_ephemeral_storage_gib" {
  description = "Annotator task disk (GiB, 21-200): holds the cached reference bundle."
  type        = number
  default     = 50
}

variable "reference_bundle_key" {
  description = "Key (folder) of the versioned reference bundle in the reference bucket: an engine bundle (manifest.json with root \".\" naming the FASTA, gene models, synonyms and known-variant files beside it, with their SHA-256); read at start and cached on the task's disk, never baked into the image."
  type        = string
  default     = "bundles/current/"
}

# -----------------------------------------------------------------------------
# Product settings
# -----------------------------------------------------------------------------

variable "free_upload_limit_bytes" {
  description = "Largest input a Free user may upload (bytes)."
  type        = number
  default     = 153600
}

variable "free_retention_seconds" {
  description = "How long a Free user's results stay in the results bucket before the archiver moves them to cold storage."
  type        = number
  default     = 604800
}

variable "cold_storage_backend" {
  description = "Cold storage for archived results: \"s3-glacier\" (S3 GLACIER storage class in the results bucket, the default) or \"glacier-vault\" (Amazon Glacier vault API, only for accounts that already have vaults)."
  type        = string
  default     = "s3-glacier"

  validation {
    condition     = contains(["s3-glacier", "glacier-vault"], var.cold_storage_backend)
    error_message = "cold_storage_backend must be \"s3-glacier\" or \"glacier-vault\"."
  }
}

variable "restore_tier" {
  description = "Retrieval tier of restores: Expedited, Standard or Bulk."
  type        = string
  default     = "Standard"

  validation {
    condition     = contains(["Expedited", "Standard", "Bulk"], var.restore_tier)
    error_message = "restore_tier must be Expedited, Standard or Bulk."
  }
}

variable "upload_origins" {
  description = "Origins allowed to POST uploads to the inputs bucket (CORS); empty means https://<domain_name>."
  type        = list(string)
  default     = []
}

# -----------------------------------------------------------------------------
# Identity, payments, e-mail
# -----------------------------------------------------------------------------

variable "oidc_issuer_url" {
  description = "OpenID Connect issuer of the login (e.g. a Cognito user pool or Auth0 tenant URL). The client secret goes into Secrets Manager, not here."
  type        = string
}

variable "oidc_client_id" {
  description = "OIDC client id of the web application (redirect URI https://<domain_name>/auth/callback)."
  type        = string
}

variable "stripe_price_id" {
  description = "Stripe price id of the Premium subscription (price_...). The Stripe keys go into Secrets Manager, not here."
  type        = string
}

variable "mail_from" {
  description = "Sender address of the notifier's e-mails (a plain address); must belong to the SES identity."
  type        = string
}

variable "ses_identity" {
  description = "SES identity to create: a domain (needs the DKIM records) or one address; empty means domain_name."
  type        = string
  default     = ""
}

variable "sns_kms_key_id" {
  description = "KMS key for SNS topic encryption; null for none (a customer key must let S3 and SNS use it)."
  type        = string
  default     = null
}

# -----------------------------------------------------------------------------
# Database
# -----------------------------------------------------------------------------

variable "db_engine_major_version" {
  description = "PostgreSQL major version of the accounts database."
  type        = string
  default     = "16"
}

variable "db_instance_class" {
  description = "RDS instance class of the accounts database."
  type        = string
  default     = "db.t4g.small"
}

variable "db_allocated_storage_gib" {
  description = "Initial storage of the accounts database (GiB); autoscaling allows up to five times this."
  type        = number
  default     = 20
}

variable "db_multi_az" {
  description = "Run a standby database in a second zone."
  type        = bool
  default     = false
}

# -----------------------------------------------------------------------------
# Operations
# -----------------------------------------------------------------------------

variable "alarm_emails" {
  description = "Addresses that get the CloudWatch alarms (each confirms the subscription by e-mail)."
  type        = list(string)
  default     = []
}

variable "alb_5xx_alarm_percent" {
  description = "Share of 5xx answers (percent, 5-minute window) that raises the ALB alarm."
  type        = number
  default     = 5
}

variable "ecr_images_to_keep" {
  description = "Images kept per ECR repository (older ones expire)."
  type        = number
  default     = 30
}
