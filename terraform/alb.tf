# =============================================================================
# Load balancer: HTTPS in (ACM certificate), HTTP redirected to HTTPS, the
# site to web, each service's SNS webhook path to that service.
#
# TLS ends at the ALB; the ALB talks HTTP to the tasks inside the VPC (their
# security groups admit only the ALB). SNS reaches the webhooks through the
# same public HTTPS name, which is why the certificate must be valid for
# var.domain_name (SNS refuses self-signed endpoints).
# =============================================================================

resource "aws_lb" "main" {
  name                       = "${var.prefix}-alb"
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb.id]
  subnets                    = aws_subnet.public[*].id
  drop_invalid_header_fields = true
  idle_timeout               = 120
  enable_deletion_protection = var.deletion_protection
}

# -----------------------------------------------------------------------------
# Target groups: one per service, health-checked on /healthz
# -----------------------------------------------------------------------------

resource "aws_lb_target_group" "service" {
  for_each = local.service_ports

  name                 = "${var.prefix}-${each.key}"
  port                 = each.value
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = aws_vpc.main.id
  deregistration_delay = 30

  health_check {
    path                = "/healthz"
    protocol            = "HTTP"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

# -----------------------------------------------------------------------------
# Listeners: 443 serves, 80 redirects
# -----------------------------------------------------------------------------

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.service["web"].arn
  }
}

resource "aws_lb_listener" "http_redirect" {
  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }
}

# -----------------------------------------------------------------------------
# Listener rules: each webhook path (from resources.json) to its service;
# everything else falls through to web (the default action)
# -----------------------------------------------------------------------------

resource "aws_lb_listener_rule" "webhook" {
  for_each = local.webhooks

  listener_arn = aws_lb_listener.https.arn
  priority     = 10 + index(sort(keys(local.webhooks)), each.key)

  condition {
    path_pattern {
      values = [each.value.path]
    }
  }

  condition {
    http_request_method {
      values = ["POST"]
    }
  }

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.service[each.key].arn
  }
}

# -----------------------------------------------------------------------------
# DNS (optional): an alias record for var.domain_name in a Route 53 zone
# -----------------------------------------------------------------------------

resource "aws_route53_record" "site" {
  count = var.route53_zone_id != "" ? 1 : 0

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.main.dns_name
    zone_id                = aws_lb.main.zone_id
    evaluate_target_health = true
  }
}
