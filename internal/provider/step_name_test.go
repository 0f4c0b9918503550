package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// A new step on an existing webhook shows its default name in the plan, with the message and the
// table as the catalog spells them, whatever their case in the configuration.
func TestAccWebhookStep_defaultNameKnownAtPlan(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	want := b.name("orders-sync") + ": Update of account"
	contactCreated := stepOn("Create", "contact")
	unitTest(t, b, []resource.TestStep{
		{Config: imageConfig(b, contactCreated, "")},
		{
			Config: imageConfig(b, contactCreated, `
resource "dataverse_webhook_step" "second" {
  webhook_id = dataverse_webhook.hook.id
  message    = "update"
  table      = "Account"
}
`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue("dataverse_webhook_step.second", tfjsonpath.New("name"), knownvalue.StringExact(want)),
			}},
			Check: resource.TestCheckResourceAttr("dataverse_webhook_step.second", "name", want),
		},
	})
}
