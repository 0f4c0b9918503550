# Lists every webhook with its steps and their images, and prints import blocks for them all.
terraform {
  required_providers {
    dataverse = {
      source  = "dataverse-terraform/dataverse"
      version = "~> 0.1"
    }
  }
}

provider "dataverse" {}

# Neither name nor name_prefix: every webhook of the environment.
data "dataverse_webhooks" "all" {}

data "dataverse_webhook_steps" "each" {
  for_each   = { for w in data.dataverse_webhooks.all.webhooks : w.name => w.id }
  webhook_id = each.value
}

locals {
  # Resource names derived from the webhook names, e.g. "orders-sync" -> orders_sync.
  address = { for w in data.dataverse_webhooks.all.webhooks : w.name => replace(lower(w.name), "/[^a-z0-9_]/", "_") }
}

output "import_blocks" {
  value = join("", flatten([
    for w in data.dataverse_webhooks.all.webhooks : concat(
      [format("import {\n  to = dataverse_webhook.%s\n  id = %q\n}\n\n", local.address[w.name], w.name)],
      [for i, s in data.dataverse_webhook_steps.each[w.name].steps :
      format("import {\n  to = dataverse_webhook_step.%s_%d # %s\n  id = %q\n}\n\n", local.address[w.name], i + 1, s.name, s.id)],
      flatten([for i, s in data.dataverse_webhook_steps.each[w.name].steps : [for img in s.images :
        format("import {\n  to = dataverse_webhook_step_image.%s_%d_%s # %s of %s\n  id = %q\n}\n\n",
      local.address[w.name], i + 1, replace(lower(img.alias), "/[^a-z0-9_]/", "_"), img.alias, s.name, img.id)]]),
    )
  ]))
}
