# The folder that will own the environment's registrations (terraform query needs Terraform 1.14
# or newer). The provider reads its settings from DATAVERSE_* environment variables (see the
# authentication guide).
terraform {
  required_providers {
    dataverse = {
      source = "dataverse-terraform/dataverse"
    }
  }
}

provider "dataverse" {}
