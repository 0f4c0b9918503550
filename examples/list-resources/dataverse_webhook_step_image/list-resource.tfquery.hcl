# The images of one step, by its sdkmessageprocessingstepid.
list "dataverse_webhook_step_image" "account_updated" {
  provider = dataverse
  config {
    step_id = "0b7c5b8e-51c9-4c36-9f0f-7d8d2f6f3e21"
  }
}

# The images of the steps of every webhook whose name starts with "crm-".
list "dataverse_webhook_step_image" "crm" {
  provider = dataverse
  config {
    webhook_name_prefix = "crm-"
  }
}

# Every image of every step that fires a webhook.
list "dataverse_webhook_step_image" "all" {
  provider = dataverse
  limit    = 5000
}
