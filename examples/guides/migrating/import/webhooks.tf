# generated.tf after review: nulls removed, the step bound to the webhook by reference, and the
# secret supplied, which configuration generation cannot read back from Dataverse.
variable "orders_function_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "dataverse_webhook" "orders_sync" {
  name      = "orders-sync"
  url       = "https://fn-contoso.azurewebsites.net/api/orders"
  auth_type = "WebhookKey"

  auth_key_wo = var.orders_function_key
  # Leave auth_wo_version unset to keep the key Dataverse holds; set it to send this one.
}

resource "dataverse_webhook_step" "orders_sync_1" {
  webhook_id           = dataverse_webhook.orders_sync.id
  name                 = "orders-sync: Update of account"
  message              = "Update"
  table                = "account"
  stage                = "PostOperation"
  mode                 = "Asynchronous"
  filtering_attributes = ["name", "telephone1"]
}
