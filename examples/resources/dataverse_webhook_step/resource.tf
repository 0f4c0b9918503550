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
