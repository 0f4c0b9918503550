# A read-only configuration that watches webhooks: it manages nothing, needs no state backend and
# no webhook secrets, and its identity needs only read access. A scheduled pipeline runs
# `terraform plan -refresh-only`; each failed check is a warning in the plan's output.
terraform {
  required_version = ">= 1.11"
  required_providers {
    dataverse = {
      source  = "dataverse-terraform/dataverse"
      version = "~> 0.1"
    }
  }
}

provider "dataverse" {}

variable "name_prefix" {
  description = "Watch the webhooks whose name starts with this."
  type        = string
  default     = "orders-"
}

variable "window" {
  description = "How far back to look for failed deliveries, as a negative duration; match the schedule."
  type        = string
  default     = "-1h"
}

data "dataverse_webhooks" "watched" {
  name_prefix = var.name_prefix
}

data "dataverse_webhook_failed_jobs" "recent" {
  for_each   = { for w in data.dataverse_webhooks.watched.webhooks : w.name => w.id }
  webhook_id = each.value
  since      = timeadd(plantimestamp(), var.window)
  top        = local.top
}

locals {
  # The most jobs read per webhook: a webhook with more failures is reported as "at least" this.
  top = 50
  failing = {
    for name, d in data.dataverse_webhook_failed_jobs.recent : name => d.jobs if length(d.jobs) > 0
  }
}

check "webhooks_found" {
  assert {
    condition     = length(data.dataverse_webhooks.watched.webhooks) > 0
    error_message = "No webhook's name starts with \"${var.name_prefix}\": nothing is being watched."
  }
}

check "webhooks_deliver" {
  assert {
    condition = length(local.failing) == 0
    # One line per failing webhook, with what the person on call needs to find the newest failure
    # at the endpoint: the step, the row that changed, the answer, and the correlation id.
    error_message = join("\n", [
      for jobs in values(local.failing) :
      "${jobs[0].webhook_name}: ${length(jobs) < local.top ? "" : "at least "}${length(jobs)} failed deliveries since ${timeadd(plantimestamp(), var.window)}; newest at ${jobs[0].completed_on} from step ${jobs[0].step_name} for ${coalesce(jobs[0].record_table, "no row")} ${coalesce(jobs[0].record_id, "-")}: HTTP ${coalesce(jobs[0].http_status, "none")}, ${coalesce(jobs[0].error_code, "no code")}, correlation id ${jobs[0].correlation_id}: ${jobs[0].friendly_message}"
    ])
  }
}

# A secret cleared outside Terraform makes every delivery fail authentication at the endpoint.
check "webhook_secrets_set" {
  assert {
    condition = alltrue([for w in data.dataverse_webhooks.watched.webhooks : w.is_auth_value_set])
    error_message = "Webhooks without a secret: ${join(", ", [
      for w in data.dataverse_webhooks.watched.webhooks : w.name if !w.is_auth_value_set
    ])}. Apply their configuration again to send it."
  }
}
