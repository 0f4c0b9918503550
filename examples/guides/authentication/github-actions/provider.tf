# GitHub Actions: the job's ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN
# supply the federated token; the URL and the IDs come from the workflow's environment.
provider "dataverse" {
  use_oidc = true
}
