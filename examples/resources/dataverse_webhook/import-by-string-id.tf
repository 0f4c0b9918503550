# Terraform 1.5+ import block; the id may be the webhook's name or its serviceendpointid.
import {
  to = dataverse_webhook.orders
  id = "orders-sync"
}
