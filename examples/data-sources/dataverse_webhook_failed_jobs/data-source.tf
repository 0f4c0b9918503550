# A check block warns, without failing the run, when the webhook has failed deliveries in the
# last 24 hours: a scheduled `terraform plan` in a pipeline then reports it.
check "orders_webhook_healthy" {
  data "dataverse_webhook_failed_jobs" "recent" {
    webhook_id = dataverse_webhook.orders.id
    since      = timeadd(plantimestamp(), "-24h")
    top        = 20
  }

  assert {
    condition     = length(data.dataverse_webhook_failed_jobs.recent.jobs) == 0
    error_message = "Webhook orders-sync had ${length(data.dataverse_webhook_failed_jobs.recent.jobs)} failed deliveries in the last 24 hours; newest: ${try(data.dataverse_webhook_failed_jobs.recent.jobs[0].friendly_message, "none")}"
  }
}

# Outside a check block: every failed job of one step.
data "dataverse_webhook_failed_jobs" "account_updated" {
  step_id = dataverse_webhook_step.account_updated.id
}
