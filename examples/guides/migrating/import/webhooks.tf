# generated.tf after review: nulls removed, the step and image bound by reference, and the
# webhook's key supplied, so that Terraform owns it from now on.
variable "orders_function_key" {
  description = "The key of the orders function (its default function key in the Azure portal)"
  type        = string
  sensitive   = true
  ephemeral   = true
}

resource "dataverse_webhook" "orders_sync" {
  name      = "orders-sync"
  url       = "https://fn-contoso.azurewebsites.net/api/orders"
  auth_type = "WebhookKey"

  # Without these two lines Dataverse keeps the key it holds; with them apply sends this one.
  auth_key_wo     = var.orders_function_key
  auth_wo_version = 1
}

resource "dataverse_webhook_step" "orders_sync_1" {
  webhook_id           = dataverse_webhook.orders_sync.id
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name", "telephone1"]
}

resource "dataverse_webhook_step_image" "orders_sync_1_before" {
  step_id    = dataverse_webhook_step.orders_sync_1.id
  type       = "PreImage"
  alias      = "before"
  attributes = ["name", "telephone1"]
}
