# Quickstart: one webhook with header authentication, two steps, a post-image, and the three data sources.
# Works against the local emulator (make demo) and, unchanged, against a real environment when
# DATAVERSE_URL and the credentials are in the environment.
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

variable "receiver_url" {
  description = "Where Dataverse posts the events (ports 80 and 443 only on a real environment)."
  type        = string
}

variable "receiver_api_key" {
  description = "The key the receiver expects in the x-api-key header."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "name_prefix" {
  description = "Prefix of the webhook's name, so several people can try this in one environment."
  type        = string
  default     = "quickstart"
}

resource "dataverse_webhook" "quickstart" {
  name        = "${var.name_prefix}-orders"
  url         = var.receiver_url
  description = "Created by the quickstart example"
  auth_type   = "HttpHeader"

  auth_headers_wo = {
    "x-api-key" = var.receiver_api_key
  }
  auth_wo_version = 1
}

# Asynchronous: fires after an account's name or phone number changes; failures become failed system jobs.
resource "dataverse_webhook_step" "account_updated" {
  webhook_id           = dataverse_webhook.quickstart.id
  message              = "Update"
  table                = "account"
  mode                 = "Asynchronous"
  filtering_attributes = ["name", "telephone1"]
}

# Synchronous: runs inside the create of a contact; if the receiver fails, the create fails.
resource "dataverse_webhook_step" "contact_created" {
  webhook_id = dataverse_webhook.quickstart.id
  message    = "Create"
  table      = "contact"
  mode       = "Synchronous"
}

# The contact as it was created, sent with every delivery of the Create step as the post-image "created".
resource "dataverse_webhook_step_image" "contact_created" {
  step_id    = dataverse_webhook_step.contact_created.id
  type       = "PostImage"
  alias      = "created"
  attributes = ["firstname", "lastname"]
}

data "dataverse_webhooks" "quickstart" {
  name_prefix = var.name_prefix
  depends_on  = [dataverse_webhook.quickstart]
}

data "dataverse_webhook_steps" "quickstart" {
  webhook_id = dataverse_webhook.quickstart.id
  depends_on = [dataverse_webhook_step.account_updated, dataverse_webhook_step_image.contact_created]
}

data "dataverse_webhook_failed_jobs" "quickstart" {
  webhook_id = dataverse_webhook.quickstart.id
  top        = 10
  depends_on = [dataverse_webhook_step.account_updated, dataverse_webhook_step.contact_created]
}

output "webhooks" {
  description = "Webhook registrations whose name starts with the prefix."
  value       = [for w in data.dataverse_webhooks.quickstart.webhooks : "${w.name} -> ${w.url} (${w.auth_type}, secret set: ${w.is_auth_value_set})"]
}

output "steps" {
  description = "The steps registered for the webhook."
  value       = [for s in data.dataverse_webhook_steps.quickstart.steps : "${s.message} of ${s.table}: ${s.mode}, ${s.stage}, ${s.enabled ? "enabled" : "disabled"}"]
}

output "failed_jobs" {
  description = "Failed deliveries of the webhook, newest first."
  value       = [for j in data.dataverse_webhook_failed_jobs.quickstart.jobs : "${j.completed_on} ${j.name}: ${j.friendly_message}"]
}
