# Webhooks import by name or serviceendpointid, steps by sdkmessageprocessingstepid, images by
# sdkmessageprocessingstepimageid.
import {
  to = dataverse_webhook.orders_sync # orders-sync
  id = "4867b753-700c-4358-b318-d1b832e8bd68"
}

import {
  to = dataverse_webhook_step.orders_sync_1 # orders-sync: Update of account
  id = "31ca0f2e-7cf6-4959-8472-dc738e717318"
}

import {
  to = dataverse_webhook_step_image.orders_sync_1_before # before of orders-sync: Update of account
  id = "6f1c2a4e-2b7d-4f0e-9c1a-5d3e8b7a9f10"
}
