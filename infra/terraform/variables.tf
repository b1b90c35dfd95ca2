variable "aws_region" {
  description = "AWS region for every resource."
  type        = string
  default     = "eu-central-1"
}

variable "project" {
  description = "Name prefix of every resource."
  type        = string
  default     = "velo"
}

variable "environment" {
  description = "Deployment stage, part of every name (prod, staging, ...)."
  type        = string
  default     = "prod"
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# --- network -------------------------------------------------------------------------------

variable "create_vpc" {
  description = "Create a VPC with public and private subnets; false = use existing_* below."
  type        = bool
  default     = true
}

variable "vpc_cidr" {
  description = "CIDR of the created VPC."
  type        = string
  default     = "10.40.0.0/16"
}

# Named explicitly (not "the first N available"), so the subnets never move when AWS adds a zone.
variable "availability_zones" {
  description = "Zones of the created VPC, one public and one private subnet each (aws_region's)."
  type        = list(string)
  default     = ["eu-central-1a", "eu-central-1b"]
}

variable "existing_vpc_id" {
  description = "VPC to deploy into when create_vpc = false."
  type        = string
  default     = ""
}

variable "existing_private_subnet_ids" {
  description = "Private subnets (with a NAT route) for ECS and RDS when create_vpc = false."
  type        = list(string)
  default     = []
}

# --- landing zone --------------------------------------------------------------------------

# Same policy as `velo lifecycle` (settings archive_after_days / expire_after_days).
variable "archive_after_days" {
  description = "Landing-zone objects move to S3 Intelligent-Tiering after this many days."
  type        = number
  default     = 30
}

variable "expire_after_days" {
  description = "Landing-zone objects are deleted after this many days."
  type        = number
  default     = 365
}

# --- functions -----------------------------------------------------------------------------

variable "lambda_dist_dir" {
  description = "Directory holding the zips built by `make lambda-package`."
  type        = string
  default     = "../../lambda_dist"
}

variable "sentiment_schedule" {
  description = "EventBridge schedule of the sentiment function (UTC)."
  type        = string
  default     = "cron(0 6 * * ? *)"
}

variable "news_api_url" {
  description = "Base URL of the NEWS_SENTIMENT-style news API (VELO_NEWS_API_URL)."
  type        = string
  default     = "https://www.alphavantage.co"
}

variable "fx_api_url" {
  description = "Base URL of the Open-Exchange-Rates-style FX API (VELO_FX_API_URL)."
  type        = string
  default     = "https://openexchangerates.org/api"
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of every log group."
  type        = number
  default     = 365
}

# --- Dagster on ECS ------------------------------------------------------------------------

variable "image_tag" {
  description = "Tag of the Dagster image in ECR; CD passes the commit SHA (tags are immutable)."
  type        = string
}

variable "warehouse" {
  description = "Warehouse kind the deployed pipelines use (VELO_WAREHOUSE)."
  type        = string
  default     = "snowflake"

  validation {
    condition     = contains(["duckdb", "postgres", "snowflake"], var.warehouse)
    error_message = "warehouse must be duckdb, postgres or snowflake."
  }
}

variable "dagster_cpu" {
  description = "Fargate CPU units of the Dagster task (webserver + daemon + code location)."
  type        = number
  default     = 1024
}

variable "dagster_memory" {
  description = "Fargate memory (MiB) of the Dagster task."
  type        = number
  default     = 4096
}

# --- Snowflake (not secret; the password is the snowflake_password secret) ----------------

variable "snowflake_account" {
  description = "Snowflake account identifier (SNOWFLAKE_ACCOUNT), e.g. myorg-myaccount."
  type        = string
  default     = ""
}

variable "snowflake_user" {
  description = "Snowflake service user of dbt (SNOWFLAKE_USER)."
  type        = string
  default     = "VELO_SVC"
}

variable "snowflake_role" {
  description = "Snowflake role of dbt (SNOWFLAKE_ROLE)."
  type        = string
  default     = "TRANSFORMER"
}

variable "snowflake_database" {
  description = "Snowflake database (SNOWFLAKE_DATABASE)."
  type        = string
  default     = "VELO"
}

variable "snowflake_warehouse" {
  description = "Snowflake virtual warehouse (SNOWFLAKE_WAREHOUSE)."
  type        = string
  default     = "TRANSFORMING"
}

# --- operations database -------------------------------------------------------------------

variable "db_instance_class" {
  description = "RDS instance class of the PostgreSQL operations DB."
  type        = string
  default     = "db.t4g.small"
}

variable "db_engine_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "16"
}

variable "db_allocated_storage" {
  description = "Initial storage (GiB); autoscaling up to 5x."
  type        = number
  default     = 20
}

variable "db_multi_az" {
  description = "Run a standby replica in a second AZ."
  type        = bool
  default     = true
}

variable "db_deletion_protection" {
  description = "Refuse to delete the operations DB (turn off only to tear down a test stack)."
  type        = bool
  default     = true
}

variable "lambda_secrets_ready" {
  description = "Set true once the secrets the functions read have values (first apply: false)."
  type        = bool
  default     = false
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarms topic (dead-letter queues); \"\" = none."
  type        = string
  default     = ""
}
