# Send an account's name and phone number as they were before the change…
resource "dataverse_webhook_step_image" "before" {
  step_id    = dataverse_webhook_step.account_updated.id
  type       = "PreImage"
  alias      = "before"
  attributes = ["name", "telephone1"]
}

# …and the whole row as it is after it (the step runs in PostOperation).
resource "dataverse_webhook_step_image" "after" {
  step_id = dataverse_webhook_step.account_updated.id
  type    = "PostImage"
  alias   = "after"
  name    = "account after update"
}

# The step whose payload carries the images, and its webhook.
resource "dataverse_webhook_step" "account_updated" {
  webhook_id           = dataverse_webhook.orders.id
  message              = "Update"
  table                = "account"
  mode                 = "Asynchronous"
  filtering_attributes = ["name", "telephone1"]
}

resource "dataverse_webhook" "orders" {
  name            = "orders-sync"
  url             = "https://fn-contoso.azurewebsites.net/api/orders"
  auth_type       = "WebhookKey"
  auth_key_wo     = var.function_key
  auth_wo_version = 1
}

variable "function_key" {
  type      = string
  sensitive = true
  ephemeral = true
}
