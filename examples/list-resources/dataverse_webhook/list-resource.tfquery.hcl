# The webhooks whose name starts with "crm-" (compared without case).
list "dataverse_webhook" "crm" {
  provider = dataverse
  config {
    name_prefix = "crm-"
  }
}

# Every webhook of the environment: a list block returns at most `limit` results, 100 unless set.
list "dataverse_webhook" "all" {
  provider = dataverse
  limit    = 1000
}
