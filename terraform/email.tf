# =============================================================================
# E-mail: the SES identity the notifier sends from (a domain, or a single
# address while the account is in the SES sandbox). A domain identity needs
# the DKIM CNAME records in the output ses_dkim_tokens.
# =============================================================================

resource "aws_sesv2_email_identity" "sender" {
  email_identity = var.ses_identity != "" ? var.ses_identity : var.domain_name
}
