# Lists every webhook with its steps and their images, or those whose names start with
# name_prefix, and prints import blocks for them all.
terraform {
  required_providers {
    dataverse = {
      source  = "dataverse-terraform/dataverse"
      version = "~> 0.1"
    }
  }
}

provider "dataverse" {}

variable "name_prefix" {
  description = "Only the webhooks whose names start with this, such as \"crm-\"; unset, every webhook of the environment."
  type        = string
  default     = null
}

data "dataverse_webhooks" "all" {
  name_prefix = var.name_prefix
}

data "dataverse_webhook_steps" "each" {
  for_each   = { for w in data.dataverse_webhooks.all.webhooks : w.id => w.id }
  webhook_id = each.value
}

locals {
  webhooks = data.dataverse_webhooks.all.webhooks
  # Resource names derived from the webhook names, e.g. "orders-sync" -> orders_sync; a name that
  # does not start with a letter gets "webhook_" in front, since an address must.
  base = { for w in local.webhooks : w.id => format("%s%s",
    can(regex("^[a-z]", lower(w.name))) ? "" : "webhook_",
  replace(lower(w.name), "/[^a-z0-9_]/", "_")) }
  # Webhooks that share a name (nothing documents that Dataverse refuses it) are told apart by the
  # start of their ID.
  base_count = { for base, ids in { for id, base in local.base : base => id... } : base => length(ids) }
  address    = { for id, base in local.base : id => local.base_count[base] > 1 ? "${base}_${substr(id, 0, 8)}" : base }
}

output "import_blocks" {
  value = join("", flatten([
    for w in local.webhooks : concat(
      [format("import {\n  to = dataverse_webhook.%s # %s\n  id = %q\n}\n\n", local.address[w.id], w.name, w.id)],
      [for i, s in data.dataverse_webhook_steps.each[w.id].steps :
      format("import {\n  to = dataverse_webhook_step.%s_%d # %s\n  id = %q\n}\n\n", local.address[w.id], i + 1, s.name, s.id)],
      flatten([for i, s in data.dataverse_webhook_steps.each[w.id].steps : [for img in s.images :
        format("import {\n  to = dataverse_webhook_step_image.%s_%d_%s # %s of %s\n  id = %q\n}\n\n",
      local.address[w.id], i + 1, replace(lower(img.alias), "/[^a-z0-9_]/", "_"), img.alias, s.name, img.id)]]),
    )
  ]))
}
