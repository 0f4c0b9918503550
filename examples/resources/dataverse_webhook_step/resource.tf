# Fire the webhook after an account's name or phone number changes, asynchronously.
resource "dataverse_webhook_step" "account_updated" {
  webhook_id           = dataverse_webhook.orders.id
  message              = "Update"
  table                = "account"
  stage                = "PostOperation"
  mode                 = "Asynchronous"
  filtering_attributes = ["name", "telephone1"]
  async_auto_delete    = true
}

# Fire it inside the transaction when a contact is created: a failure blocks the create.
resource "dataverse_webhook_step" "contact_created" {
  webhook_id = dataverse_webhook.orders.id
  message    = "Create"
  table      = "contact"
  stage      = "PostOperation"
  mode       = "Synchronous"
  rank       = 10
}

# The webhook the steps fire.
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
