data "dataverse_webhooks" "orders" {
  name = "orders-sync"
}

data "dataverse_webhook_steps" "orders" {
  webhook_id = one(data.dataverse_webhooks.orders.webhooks[*].id)

  # Without it, a missing webhook fails with "Attempt to get attribute from null value".
  lifecycle {
    precondition {
      condition     = length(data.dataverse_webhooks.orders.webhooks) == 1
      error_message = "No webhook named ${data.dataverse_webhooks.orders.name}."
    }
  }
}

output "orders_steps" {
  value = [for s in data.dataverse_webhook_steps.orders.steps : "${s.message} of ${coalesce(s.table, "any table")} (${s.mode})"]
}
