data "dataverse_webhooks" "orders" {
  name = "orders-sync"
}

data "dataverse_webhook_steps" "orders" {
  webhook_id = one(data.dataverse_webhooks.orders.webhooks).id
}

output "orders_steps" {
  value = [for s in data.dataverse_webhook_steps.orders.steps : "${s.message} of ${coalesce(s.table, "any table")} (${s.mode})"]
}
