package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
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

// Renaming a webhook in the same apply that adds or changes its steps plans their default names
// from the new name, known at plan, and the steps that kept their default under the old name
// follow it; a name set by hand stays.
func TestAccWebhookStep_defaultNamesFollowARename(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := func(webhook, extra string) string {
		return b.providerBlock() + fmt.Sprintf(`
resource "dataverse_webhook" "hook" {
  name        = %q
  url         = "https://fn.example.net/renamed"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
resource "dataverse_webhook_step" "kept" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Update"
  table      = "account"
}
resource "dataverse_webhook_step" "named" {
  webhook_id = dataverse_webhook.hook.id
  name       = "hand-named step"
  message    = "Delete"
  table      = "account"
}
%s`, b.name(webhook), extra)
	}
	added := `
resource "dataverse_webhook_step" "added" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Create"
  table      = "contact"
}
`
	name := func(address, want string) plancheck.PlanCheck {
		return plancheck.ExpectKnownValue(address, tfjsonpath.New("name"), knownvalue.StringExact(want))
	}
	renamed := b.name("orders-renamed")
	unitTest(t, b, []resource.TestStep{
		{Config: cfg("orders", "")},
		{
			Config: cfg("orders-renamed", added),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				name("dataverse_webhook_step.added", renamed+": Create of contact"),
				name("dataverse_webhook_step.kept", renamed+": Update of account"),
				name("dataverse_webhook_step.named", "hand-named step"),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				stored(b.client().GetStep, "dataverse_webhook_step.kept", func(s *dataverse.Step) error {
					if s.Name != renamed+": Update of account" {
						return fmt.Errorf("Dataverse holds the name %q", s.Name)
					}
					return nil
				}),
			),
		},
		{Config: cfg("orders-renamed", added), PlanOnly: true},
	})
}

// A webhook name long enough to cut its steps' default names to the column's length makes steps
// on different tables share one; the refusal says the cut is why.
func TestAccWebhookStep_defaultNameCutByALongWebhookName(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	name := b.name("long")
	name += strings.Repeat("w", 250-len(name))
	step := func(label, table string) string {
		return fmt.Sprintf(`
resource "dataverse_webhook_step" %q {
  webhook_id = dataverse_webhook.hook.id
  message    = "Update"
  table      = %q
}
`, label, table)
	}
	hook := b.providerBlock() + fmt.Sprintf(`
resource "dataverse_webhook" "hook" {
  name        = %q
  url         = "https://fn.example.net/api/long"
  auth_type   = "WebhookKey"
  auth_key_wo = "key-sentinel-0001"
}
`, name)
	unitTest(t, b, []resource.TestStep{
		{
			Config: hook + step("accounts", "account"),
			Check:  resource.TestCheckResourceAttr("dataverse_webhook_step.accounts", "name", name+": Upda"),
		},
		{
			Config:      hook + step("accounts", "account") + step("contacts", "contact"),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)cut\s+to\s+the\s+256\s+characters\s+a\s+step\s+name\s+holds.*Set\s+name\s+on\s+this\s+step,\s+or\s+shorten\s+the\s+webhook's\s+name`),
		},
	})
}
