# The steps that fire one webhook, by its serviceendpointid.
list "dataverse_webhook_step" "orders" {
  provider = dataverse
  config {
    webhook_id = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10"
  }
}

# The steps of every webhook whose name starts with "crm-".
list "dataverse_webhook_step" "crm" {
  provider = dataverse
  config {
    webhook_name_prefix = "crm-"
  }
}

# Every step that fires a webhook (steps of plug-ins are never listed).
list "dataverse_webhook_step" "all" {
  provider = dataverse
  limit    = 5000
}
