# =============================================================================
# Inputs of one GAS service on ECS Fargate
# =============================================================================

# -----------------------------------------------------------------------------
# Identity and placement
# -----------------------------------------------------------------------------

variable "name" {
  description = "Service name (web, annotator, notifier, archiver or thawer); names the task family, roles, log group and security group."
  type        = string
}

variable "prefix" {
  description = "Environment prefix shared by every resource of this deployment (e.g. \"gas\" or \"gas-staging\")."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster the service runs in."
  type        = string
}

variable "cluster_name" {
  description = "Name of the ECS cluster (autoscaling resource ids and Container Insights dimensions use it)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the service's security group."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the tasks run in (no public IPs are assigned)."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Security group of the load balancer: the only source admitted on the container port."
  type        = string
}

variable "target_group_arn" {
  description = "ALB target group the service registers its tasks in."
  type        = string
}

# -----------------------------------------------------------------------------
# Container
# -----------------------------------------------------------------------------

variable "image" {
  description = "Container image (repository URL and tag) built from the repo's Dockerfile with SERVICE=<name>."
  type        = string
}

variable "container_port" {
  description = "Port the service listens on inside the container (from resources.json)."
  type        = number
}

variable "cpu" {
  description = "Fargate task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 512
}

variable "memory" {
  description = "Fargate task memory in MiB (must be valid for the chosen cpu)."
  type        = number
  default     = 1024
}

variable "cpu_architecture" {
  description = "Fargate CPU architecture of the image: X86_64 or ARM64."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "ephemeral_storage_gib" {
  description = "Task ephemeral storage in GiB (21-200); the annotator caches the reference bundle there. Null takes the default."
  type        = number
  default     = 21
  nullable    = false
}

variable "environment" {
  description = "Plain (non-secret) configuration keys of the service, passed as container environment variables."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Secret configuration keys: environment variable name -> Secrets Manager secret ARN. ECS injects the value at start; it is never in the task definition."
  type        = map(string)
  default     = {}
}

variable "secret_json_keys" {
  description = "For secrets that hold JSON (e.g. the RDS-managed master secret): environment variable name -> the JSON key to inject."
  type        = map(string)
  default     = {}
}

variable "stop_timeout_seconds" {
  description = "Seconds ECS waits after SIGTERM before SIGKILL (the service drains in-flight work in that time; Fargate allows up to 120). Null takes the default."
  type        = number
  default     = 60
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of the service's CloudWatch log group."
  type        = number
  default     = 30
}

# -----------------------------------------------------------------------------
# Permissions: the task role gets exactly these statements
# -----------------------------------------------------------------------------

variable "task_role_statements" {
  description = "IAM statements of the task role (least privilege: only the actions this service calls, on only the resources it touches)."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
  }))
}

# -----------------------------------------------------------------------------
# Capacity and autoscaling
# -----------------------------------------------------------------------------

variable "desired_count" {
  description = "Tasks at creation; autoscaling owns the count afterwards."
  type        = number
  default     = 1
}

variable "min_capacity" {
  description = "Fewest tasks autoscaling keeps."
  type        = number
  default     = 1
}

variable "max_capacity" {
  description = "Most tasks autoscaling starts."
  type        = number
  default     = 4
}

variable "cpu_target_percent" {
  description = "Target-tracking on average CPU utilisation (percent); null for none."
  type        = number
  default     = null
}

variable "requests_per_target" {
  description = "Target-tracking on ALBRequestCountPerTarget (requests per task per minute); null for none."
  type        = number
  default     = null
}

variable "alb_resource_label" {
  description = "\"<alb arn_suffix>/<target group arn_suffix>\", required with requests_per_target."
  type        = string
  default     = ""
}

variable "queue_backlog" {
  description = "Target-tracking on queue backlog per task: visible messages of queue_name divided by running tasks, kept near target_messages_per_task; null for none."
  type = object({
    queue_name               = string
    target_messages_per_task = number
  })
  default = null
}

variable "scale_in_cooldown_seconds" {
  description = "Seconds after a scale-in before another scale-in."
  type        = number
  default     = 300
}

variable "scale_out_cooldown_seconds" {
  description = "Seconds after a scale-out before another scale-out."
  type        = number
  default     = 60
}

# -----------------------------------------------------------------------------
# Deployment
# -----------------------------------------------------------------------------

variable "health_check_grace_period_seconds" {
  description = "Seconds the ALB health check is ignored after a task starts (the reference bundle download, migrations). Null takes the default."
  type        = number
  default     = 60
  nullable    = false
}

variable "wait_for_steady_state" {
  description = "Make terraform apply wait until the service's tasks are healthy (the SNS webhook subscriptions need the service answering)."
  type        = bool
  default     = true
}
