# Client secret: set DATAVERSE_CLIENT_SECRET (or ARM_CLIENT_SECRET) in the environment rather than
# in a file; the other settings can come from the environment too.
provider "dataverse" {
  environment_url = "https://contoso.crm.dynamics.com"
  tenant_id       = "00000000-0000-0000-0000-000000000000"
  client_id       = "11111111-1111-1111-1111-111111111111"
}
