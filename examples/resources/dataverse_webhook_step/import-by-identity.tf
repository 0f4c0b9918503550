import {
  to = dataverse_webhook_step.account_updated
  identity = {
    id = "0b7c5b8e-51c9-4c36-9f0f-7d8d2f6f3e21"
  }
}
