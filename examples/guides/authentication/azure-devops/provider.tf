# Azure DevOps: the service connection's workload identity federation issues the token, through
# SYSTEM_OIDCREQUESTURI and SYSTEM_ACCESSTOKEN; the IDs come from the pipeline's variables.
provider "dataverse" {
  use_oidc                           = true
  ado_pipeline_service_connection_id = "22222222-2222-2222-2222-222222222222"
}
