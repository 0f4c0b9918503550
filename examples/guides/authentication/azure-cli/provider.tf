# The account signed in with `az login`; for a desk, not a pipeline.
provider "dataverse" {
  environment_url = "https://contoso.crm.dynamics.com"
  use_cli         = true
}
