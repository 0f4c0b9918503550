# The webhook to watch, found by name. In the configuration that manages it, use
# dataverse_webhook.<name>.id instead.
data "dataverse_webhooks" "orders" {
  name = "orders-sync"
}

# A check block warns, without failing the run, when the webhook has failed deliveries in the
# last 24 hours: a scheduled `terraform plan` in a pipeline then reports it.
check "orders_webhook_healthy" {
  data "dataverse_webhook_failed_jobs" "recent" {
    webhook_id = one(data.dataverse_webhooks.orders.webhooks).id
    since      = timeadd(plantimestamp(), "-24h")
    top        = 20
  }

  assert {
    condition     = length(data.dataverse_webhook_failed_jobs.recent.jobs) == 0
    error_message = "Webhook ${one(data.dataverse_webhooks.orders.webhooks).name} had ${length(data.dataverse_webhook_failed_jobs.recent.jobs)} failed deliveries in the last 24 hours; newest: ${try(data.dataverse_webhook_failed_jobs.recent.jobs[0].friendly_message, "none")}"
  }
}

# Outside a check block: every failed job of one step of the webhook.
data "dataverse_webhook_steps" "orders" {
  webhook_id = one(data.dataverse_webhooks.orders.webhooks).id
}

data "dataverse_webhook_failed_jobs" "account_updated" {
  step_id = one([for s in data.dataverse_webhook_steps.orders.steps : s.id if s.message == "Update" && s.table == "account"])
}
