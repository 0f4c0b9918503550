# By serviceendpointid
terraform import dataverse_webhook.orders 6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10

# By name: an id that is not a GUID is looked up as a webhook name, ignoring case as Dataverse does
terraform import dataverse_webhook.orders orders-sync

# Dataverse never returns the secret, so an imported webhook's state has no auth_wo_version: with
# auth_wo_version in the configuration, the next plan shows one update that sets it and sends the
# configured secret. Leave auth_wo_version out to keep the secret Dataverse holds.
