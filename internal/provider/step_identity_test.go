package provider

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// A step that would fire as another step of its webhook does is refused when it plans: against
// the webhook's steps in Dataverse, and against another step of the configuration.
func TestAccWebhookStep_identicalTriggerRefusedAtPlan(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	unitTest(t, b, []resource.TestStep{
		{Config: imageConfig(b, accountUpdated, "")},
		{
			// The same trigger as the existing step, spelt otherwise and ranked otherwise.
			Config: imageConfig(b, accountUpdated, `
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
			Config: imageConfig(b, accountUpdated, `
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
			Config: imageConfig(b, accountUpdated, `
resource "dataverse_webhook_step" "a" {
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name"]
  name                 = "a"
}
`),
		},
	})
}

// Steps of one webhook have unique names, default names too: two Update steps of one table that
// filter on other columns get one default name, and the second is refused with the fix (set
// name). At plan when the webhook exists; at apply when it is created in the same run.
func TestAccWebhookStep_namesUniqueOnAWebhook(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	filtering := func(address, column string) string {
		return `
resource "dataverse_webhook_step" "` + address + `" {
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "contact"
  filtering_attributes = ["` + column + `"]
}
`
	}
	unitTest(t, b, []resource.TestStep{
		{Config: imageConfig(b, accountUpdated, "")},
		{
			// Two new steps of the configuration.
			Config:      imageConfig(b, accountUpdated, filtering("by_name", "lastname")+filtering("by_phone", "telephone1")),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Step name used twice.*set name on this step`),
		},
		{Config: imageConfig(b, accountUpdated, filtering("by_name", "lastname"))},
		{
			// A new step against a step of the webhook in Dataverse.
			Config:      imageConfig(b, accountUpdated, filtering("by_name", "lastname")+filtering("by_phone", "telephone1")),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Step name already in use.*set name on this step`),
		},
		{
			// Named, both are welcome.
			Config: imageConfig(b, accountUpdated, filtering("by_name", "lastname")+
				strings.Replace(filtering("by_phone", "telephone1"), "\n}", "\n  name = \"contact phone changes\"\n}", 1)),
			Check: resource.TestCheckResourceAttr("dataverse_webhook_step.by_phone", "name", "contact phone changes"),
		},
	})
	// A webhook created in the same apply: its id is unknown at plan, so the apply refuses.
	b2 := newBackend(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             b2.checkDestroyed(),
		Steps: []resource.TestStep{{
			Config: imageConfig(b2, accountUpdated, filtering("by_name", "lastname")+filtering("by_phone", "telephone1")),
			// Refused when Terraform plans the step again during the apply, once the webhook exists.
			ExpectError: regexp.MustCompile(`(?s)Step name (used twice|already in use).*set name on this step`),
		}},
	})
}

// Two steps of one webhook that fire on the same message, table, stage, mode and filtering
// columns would deliver every event twice: the second is refused (at plan when the webhook's id is known), and nothing of it is
// left in Dataverse. Steps that differ in filtering columns only are two steps. A name given in
// the configuration is unique among the steps of the webhook.
func TestAccWebhookStep_identicalTriggerRefused(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	hook := hookConfig(b, "twice-fired", "https://fn.example.net/twice") + `
resource "dataverse_webhook_step" "first" {
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name", "telephone1"]
}
`
	second := `
resource "dataverse_webhook_step" "second" {
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "account"
  name                 = "another name"
  filtering_attributes = ["telephone1"]
  depends_on           = [dataverse_webhook_step.first]
}
`
	unitTest(t, b, []resource.TestStep{
		{
			Config: hook + `
resource "dataverse_webhook_step" "second" {
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "account"
  name                 = "another name"
  filtering_attributes = ["telephone1", "NAME"]
  depends_on           = [dataverse_webhook_step.first]
}
`,
			ExpectError: regexp.MustCompile(`(?s)(Another step fires|Two steps fire) identically.*deliver every event twice`),
		},
		{
			Config: hook + second,
			Check:  stepsOnWebhook(b, 2),
		},
		{
			// A third step that fires on another message but takes the second one's name.
			Config: hook + second + `
resource "dataverse_webhook_step" "third" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Create"
  table      = "account"
  name       = "Another Name"
  depends_on = [dataverse_webhook_step.second]
}
`,
			ExpectError: regexp.MustCompile(`(?s)Step name already in use.*terraform import`),
		},
	})
}

// Dataverse keeps a step's rank in an Int32: a larger rank is refused when it plans, naming the
// attribute, and the largest one is stored as written.
func TestAccWebhookStep_rankFitsAnInt32(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	unitTest(t, b, []resource.TestStep{
		{
			Config:      stepConfig(b, "  message = \"Update\"\n  table   = \"account\"\n  rank    = 2147483648\n"),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Value.*rank.*between 0 and 2147483647`),
		},
		{
			Config: stepConfig(b, "  message = \"Update\"\n  table   = \"account\"\n  rank    = 2147483647\n"),
			Check:  resource.TestCheckResourceAttr(stepAddr, "rank", "2147483647"),
		},
	})
}
