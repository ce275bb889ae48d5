# =============================================================================
# Outputs: where the site is, and the ARNs operators and scripts need
# =============================================================================

output "url" {
  description = "The site."
  value       = local.public_origin
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (point domain_name at it when Route 53 is not used)."
  value       = aws_lb.main.dns_name
}

output "topic_arns" {
  description = "SNS topic ARNs by resources.json key."
  value       = { for key, topic in aws_sns_topic.topic : key => topic.arn }
}

output "queue_arns" {
  description = "SQS queue ARNs by resources.json key."
  value       = { for key, queue in aws_sqs_queue.queue : key => queue.arn }
}

output "queue_urls" {
  description = "SQS queue URLs by resources.json key."
  value       = { for key, queue in aws_sqs_queue.queue : key => queue.id }
}

output "dead_letter_queue_arns" {
  description = "Dead-letter queue ARNs by resources.json key of the main queue."
  value       = { for key, queue in aws_sqs_queue.dead_letter : key => queue.arn }
}

output "bucket_names" {
  description = "S3 bucket names (inputs, results, reference)."
  value       = { for key, bucket in aws_s3_bucket.bucket : key => bucket.bucket }
}

output "jobs_table_name" {
  description = "DynamoDB jobs table."
  value       = aws_dynamodb_table.jobs.name
}

output "ecr_repository_urls" {
  description = "ECR repository URL per service (push <url>:<image_tag>)."
  value       = { for name, repository in aws_ecr_repository.service : name => repository.repository_url }
}

output "secret_arns" {
  description = "Secrets Manager entries to fill before the services start (README, step 2)."
  value       = { for key, secret in aws_secretsmanager_secret.app : key => secret.arn }
}

output "database_endpoint" {
  description = "RDS endpoint (host:port) of the accounts database."
  value       = aws_db_instance.accounts.endpoint
}

output "database_master_secret_arn" {
  description = "Secrets Manager secret RDS keeps the master password in."
  value       = aws_db_instance.accounts.master_user_secret[0].secret_arn
}

output "ses_dkim_tokens" {
  description = "DKIM tokens of the SES identity: publish <token>._domainkey.<domain> CNAME <token>.dkim.amazonses.com."
  value       = aws_sesv2_email_identity.sender.dkim_signing_attributes[0].tokens
}

output "cluster_name" {
  description = "ECS cluster."
  value       = aws_ecs_cluster.main.name
}
