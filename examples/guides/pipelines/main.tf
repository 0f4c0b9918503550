# The configuration the GitHub Actions and Azure DevOps pipelines of the authentication guide
# plan on pull requests and apply on main. The pipelines sign in with OIDC through ARM_* variables
# and pass the webhook's secret as TF_VAR_function_key; check-failed-jobs.sh runs after apply.
terraform {
  required_version = ">= 1.11"
  required_providers {
    dataverse = {
      source  = "dataverse-terraform/dataverse"
      version = "~> 0.1"
    }
  }
  # Every run must share one state: add a backend here, such as
  #   backend "azurerm" { use_oidc = true }
  # configured by the pipeline's `terraform init -backend-config=...`.
}

# DATAVERSE_URL, ARM_TENANT_ID, ARM_CLIENT_ID and ARM_USE_OIDC come from the pipeline.
provider "dataverse" {}

variable "orders_url" {
  description = "The Azure Function that receives order changes."
  type        = string
  default     = "https://fn-contoso.azurewebsites.net/api/orders"
}

variable "function_key" {
  description = "The function's key, from the pipeline's secrets."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "function_key_version" {
  description = "Bump it in the same change that rotates the key."
  type        = number
  default     = 1
}

resource "dataverse_webhook" "orders" {
  name            = "orders-sync"
  url             = var.orders_url
  auth_type       = "WebhookKey"
  auth_key_wo     = var.function_key
  auth_wo_version = var.function_key_version
}

resource "dataverse_webhook_step" "account_updated" {
  webhook_id           = dataverse_webhook.orders.id
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name", "telephone1"]
}

# check-failed-jobs.sh turns a failed assertion into a failed pipeline run.
check "orders_webhook_delivers" {
  data "dataverse_webhook_failed_jobs" "recent" {
    webhook_id = dataverse_webhook.orders.id
    since      = timeadd(plantimestamp(), "-1h")
  }

  assert {
    condition = length(data.dataverse_webhook_failed_jobs.recent.jobs) == 0
    error_message = join("\n", [
      for j in data.dataverse_webhook_failed_jobs.recent.jobs :
      "${j.webhook_name}: delivery failed at ${j.completed_on} (step ${j.step_name}, ${coalesce(j.record_table, "no row")} ${coalesce(j.record_id, "-")}, HTTP ${coalesce(j.http_status, "none")}, ${coalesce(j.error_code, "no code")}, correlation id ${j.correlation_id}): ${j.friendly_message}"
    ])
  }
}
