terraform {
  required_version = ">= 1.11"
  required_providers {
    dataverse = {
      source  = "dataverse-terraform/dataverse"
      version = "~> 0.1"
    }
  }
}

# Client secret authentication. Every setting can come from the environment instead
# (DATAVERSE_URL, DATAVERSE_TENANT_ID, DATAVERSE_CLIENT_ID, DATAVERSE_CLIENT_SECRET, or the ARM_* names).
provider "dataverse" {
  environment_url = "https://contoso.crm.dynamics.com"
  tenant_id       = var.tenant_id
  client_id       = var.client_id
  client_secret   = var.client_secret
}

variable "tenant_id" {
  type = string
}

variable "client_id" {
  type = string
}

variable "client_secret" {
  type      = string
  sensitive = true
  ephemeral = true # provider settings may be ephemeral: kept out of saved plan files
}
