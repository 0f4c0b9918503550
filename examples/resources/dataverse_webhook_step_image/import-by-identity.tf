import {
  to = dataverse_webhook_step_image.before
  identity = {
    id = "5d2f8a61-0c4e-4b7a-9e13-7a6c2b9d4f08"
  }
}
