# Every webhook whose name starts with "orders-"
data "dataverse_webhooks" "orders" {
  name_prefix = "orders-"
}

output "order_webhook_urls" {
  value = { for w in data.dataverse_webhooks.orders.webhooks : w.name => w.url }
}
