package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// A step that would fire as another step of its webhook does is refused when it plans: against
// the webhook's steps in Dataverse, and against another step of the configuration.
func TestAccWebhookStep_identicalTriggerRefusedAtPlan(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             checkNoRowsLeft(e),
		Steps: []resource.TestStep{
			{Config: imageConfig(e, accountUpdated, "")},
			{
				// The same trigger as the existing step, spelt otherwise and ranked otherwise.
				Config: imageConfig(e, accountUpdated, `
resource "dataverse_webhook_step" "twin" {
  webhook_id = dataverse_webhook.hook.id
  message    = "update"
  table      = "Account"
  rank       = 5
  name       = "twin"
}
`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Another step fires identically.*terraform import`),
			},
			{
				Config: imageConfig(e, accountUpdated, `
resource "dataverse_webhook_step" "a" {
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "contact"
  filtering_attributes = ["fullname"]
  name                 = "a"
}
resource "dataverse_webhook_step" "b" {
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "contact"
  filtering_attributes = ["FullName"]
  name                 = "b"
}
`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Two steps fire identically`),
			},
			{
				// Other filtering columns fire on other changes: allowed.
				Config: imageConfig(e, accountUpdated, `
resource "dataverse_webhook_step" "a" {
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name"]
  name                 = "a"
}
`),
			},
		},
	})
}
