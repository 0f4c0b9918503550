# Send an account's name and phone number as they were before the change…
resource "dataverse_webhook_step_image" "before" {
  step_id    = dataverse_webhook_step.account_updated.id
  type       = "PreImage"
  alias      = "before"
  attributes = ["name", "telephone1"]
}

# …and the whole row as it is after it (the step runs in PostOperation).
resource "dataverse_webhook_step_image" "after" {
  step_id = dataverse_webhook_step.account_updated.id
  type    = "PostImage"
  alias   = "after"
  name    = "account after update"
}
