# An Azure Function that takes its key as ?code=
resource "dataverse_webhook" "orders" {
  name        = "orders-sync"
  url         = "https://fn-contoso.azurewebsites.net/api/orders"
  description = "Order changes to the integration"
  auth_type   = "WebhookKey"

  auth_key_wo     = var.function_key
  auth_wo_version = 1 # change to send a rotated key
}

# An endpoint that expects a header
resource "dataverse_webhook" "audit" {
  name      = "audit-feed"
  url       = "https://audit.contoso.net/dataverse"
  auth_type = "HttpHeader"

  auth_headers_wo = {
    "x-api-key" = var.audit_api_key
  }
}

# Ephemeral variables never reach a saved plan file; write-only attributes never reach state.
variable "function_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "audit_api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}
