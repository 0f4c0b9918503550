# The failed jobs of a webhook's steps completed more than 30 days ago.
action "dataverse_delete_system_jobs" "orders_failed" {
  config {
    webhook_id = dataverse_webhook.orders.id
    statuses   = ["Failed"]
    older_than = "720h"
  }
}

# Every completed job of one step, failed or succeeded, at most 5000 in one invocation.
action "dataverse_delete_system_jobs" "account_updated_all" {
  config {
    step_id    = dataverse_webhook_step.account_updated.id
    statuses   = ["Failed", "Succeeded"]
    older_than = "0s"
    max_jobs   = 5000
  }
}
