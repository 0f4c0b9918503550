# The webhook to watch, found by name. In the configuration that manages it, use
# dataverse_webhook.<name>.id instead.
data "dataverse_webhooks" "orders" {
  name = "orders-sync"
}

# A check block warns, without failing the run, when the webhook has failed deliveries in the
# last 24 hours: a scheduled `terraform plan` in a pipeline then reports them, one line each,
# with what the person on call needs to find the failure at the endpoint.
check "orders_webhook_healthy" {
  data "dataverse_webhook_failed_jobs" "recent" {
    webhook_id = one(data.dataverse_webhooks.orders.webhooks[*].id)
    since      = timeadd(plantimestamp(), "-24h")
    top        = 20
  }

  assert {
    condition = length(data.dataverse_webhook_failed_jobs.recent.jobs) == 0
    error_message = join("\n", concat(
      ["Webhook ${try(data.dataverse_webhook_failed_jobs.recent.jobs[0].webhook_name, "")} had ${length(data.dataverse_webhook_failed_jobs.recent.jobs)} failed deliveries in the last 24 hours:"],
      [for j in data.dataverse_webhook_failed_jobs.recent.jobs :
        "${j.completed_on} ${j.step_name}: ${coalesce(j.record_table, "no row")} ${coalesce(j.record_id, "-")}, HTTP ${coalesce(j.http_status, "none")}, ${coalesce(j.error_code, "no code")}, correlation id ${j.correlation_id}: ${j.friendly_message}"
      ]
    ))
  }
}

# A missing webhook (renamed, or not created yet) is a warning too; the check above then warns
# only that it was given no webhook.
check "orders_webhook_exists" {
  assert {
    condition     = length(data.dataverse_webhooks.orders.webhooks) == 1
    error_message = "No webhook named ${data.dataverse_webhooks.orders.name}: its failed deliveries cannot be checked."
  }
}

# Outside a check block: every failed job of one step of the webhook. Here a missing webhook
# fails the plan, with the precondition's message.
data "dataverse_webhook_steps" "orders" {
  webhook_id = one(data.dataverse_webhooks.orders.webhooks[*].id)

  lifecycle {
    precondition {
      condition     = length(data.dataverse_webhooks.orders.webhooks) == 1
      error_message = "No webhook named ${data.dataverse_webhooks.orders.name}."
    }
  }
}

data "dataverse_webhook_failed_jobs" "account_updated" {
  step_id = one([for s in data.dataverse_webhook_steps.orders.steps : s.id if s.message == "Update" && s.table == "account"])
}
