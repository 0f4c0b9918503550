# By serviceendpointid
terraform import dataverse_webhook.orders 6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10

# By name: an id that is not a GUID is looked up as a webhook name, ignoring case as Dataverse does
terraform import dataverse_webhook.orders orders-sync
