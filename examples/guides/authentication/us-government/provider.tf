# GCC High: Dataverse under crm.microsoftdynamics.us, Entra ID at login.microsoftonline.us.
provider "dataverse" {
  environment_url = "https://contoso.crm.microsoftdynamics.us"
  authority_host  = "https://login.microsoftonline.us"
  tenant_id       = "00000000-0000-0000-0000-000000000000"
  client_id       = "11111111-1111-1111-1111-111111111111"
}
