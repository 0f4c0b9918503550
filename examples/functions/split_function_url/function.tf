# The URL the Azure portal copies for a function, key included.
variable "orders_function_url" {
  description = "URL of the orders function with its key, as the Azure portal's Get function URL copies it"
  type        = string
  sensitive   = true
}

locals {
  orders_function = provider::dataverse::split_function_url(var.orders_function_url)
}

# Dataverse adds ?code=<key> itself: url gets the URL without the key, and the key goes to the
# write-only auth_key_wo, so it never reaches state.
resource "dataverse_webhook" "orders" {
  name      = "orders-sync"
  url       = nonsensitive(local.orders_function.url) # holds no key, so it can show in plans
  auth_type = "WebhookKey"

  auth_key_wo     = local.orders_function.key
  auth_wo_version = 1 # change to send a rotated key
}
