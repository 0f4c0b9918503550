import {
  to = dataverse_webhook.orders
  identity = {
    id = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10"
  }
}
