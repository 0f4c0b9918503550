variable "orders_function_key" {
  description = "The Azure Functions key Dataverse sends as ?code=."
  type        = string
  sensitive   = true # hidden in output
  ephemeral   = true # kept out of saved plan files; set it again for apply
}

resource "dataverse_webhook" "orders" {
  name      = "orders-sync"
  url       = "https://fn-contoso.azurewebsites.net/api/orders"
  auth_type = "WebhookKey"

  auth_key_wo     = var.orders_function_key
  auth_wo_version = 2 # was 1: the key was rotated on 2025-03-01
}
