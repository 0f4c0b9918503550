# Webhooks import by name or serviceendpointid, steps by sdkmessageprocessingstepid.
import {
  to = dataverse_webhook.orders_sync
  id = "orders-sync"
}

import {
  to = dataverse_webhook_step.orders_sync_1 # orders-sync: Update of account
  id = "31ca0f2e-7cf6-4959-8472-dc738e717318"
}
