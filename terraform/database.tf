# =============================================================================
# Database: RDS PostgreSQL for accounts (users, tiers, Stripe ids, processed
# Stripe events, sessions, API tokens), in the private subnets.
#
# The master password is generated and kept by RDS in Secrets Manager
# (manage_master_user_password), so it is never in Terraform state; tasks get
# it as PGPASSWORD (node-postgres reads it when DATABASE_URL has none).
# Connections are TLS (rds.force_ssl); sslmode=no-verify because Node does not
# ship the RDS CA: encrypted, inside the VPC, to the endpoint DNS name.
# =============================================================================

resource "aws_db_subnet_group" "accounts" {
  name       = "${var.prefix}-accounts"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_parameter_group" "accounts" {
  name   = "${var.prefix}-accounts-pg${var.db_engine_major_version}"
  family = "postgres${var.db_engine_major_version}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
}

resource "aws_db_instance" "accounts" {
  identifier     = "${var.prefix}-accounts"
  engine         = "postgres"
  engine_version = var.db_engine_major_version
  instance_class = var.db_instance_class

  allocated_storage     = var.db_allocated_storage_gib
  max_allocated_storage = var.db_allocated_storage_gib * 5
  storage_type          = "gp3"
  storage_encrypted     = true

  db_name                     = "gas"
  username                    = "gas"
  manage_master_user_password = true

  db_subnet_group_name   = aws_db_subnet_group.accounts.name
  parameter_group_name   = aws_db_parameter_group.accounts.name
  vpc_security_group_ids = [aws_security_group.database.id]
  publicly_accessible    = false
  multi_az               = var.db_multi_az

  backup_retention_period    = 7
  auto_minor_version_upgrade = true
  deletion_protection        = var.deletion_protection
  skip_final_snapshot        = !var.deletion_protection
  final_snapshot_identifier  = var.deletion_protection ? "${var.prefix}-accounts-final" : null
}
