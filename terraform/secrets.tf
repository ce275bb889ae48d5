# =============================================================================
# Secrets: the web service's OIDC client secret, Stripe keys and session
# secret. Terraform creates the empty secrets; the operator puts the values
# (README, step 2), so no secret value is ever in the repo or in state. Task
# definitions reference them as `secrets` (ECS injects them at start).
# =============================================================================

locals {
  app_secrets = {
    "oidc-client-secret"    = "OIDC client secret of the GAS web application"
    "stripe-secret-key"     = "Stripe secret API key (sk_live_... or sk_test_...)"
    "stripe-webhook-secret" = "Stripe webhook endpoint signing secret (whsec_...)"
    "session-secret"        = "Key that signs web session cookies (at least 32 random bytes)"
  }
}

resource "aws_secretsmanager_secret" "app" {
  for_each = local.app_secrets

  name                    = "${var.prefix}/${each.key}"
  description             = each.value
  recovery_window_in_days = var.deletion_protection ? 30 : 0
}
