# Every webhook of the environment, every step that fires one and every image of those steps.
# A list block returns at most `limit` results (100 unless set).
list "dataverse_webhook" "hooks" {
  provider = dataverse
  limit    = 1000
}

list "dataverse_webhook_step" "steps" {
  provider = dataverse
  limit    = 5000
}

list "dataverse_webhook_step_image" "images" {
  provider = dataverse
  limit    = 5000
}
