# Managed identity of the VM, App Service or container the run happens on. client_id picks a
# user-assigned identity; leave it out for the system-assigned one.
provider "dataverse" {
  environment_url = "https://contoso.crm.dynamics.com"
  use_msi         = true
  client_id       = "33333333-3333-3333-3333-333333333333"
}
