package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
)

// Column names are checked against the table's columns at plan, with the nearest real column,
// from one metadata request per table however many steps and images name columns of it.
func TestAccWebhookStep_unknownColumnsRefusedAtPlan(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, step, rest, want string }{
		{"filtering attribute", `
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name", "nmea"]
`, "", `(?s)Unknown column.*Table "account" has no column "nmea".*Did you mean "name"\?`},
		{"image of the step", `
  message = "Update"
  table   = "account"
  images  = [{ alias = "before", type = "PreImage", attributes = ["telephon1"] }]
`, "", `(?s)Unknown column.*no column "telephon1".*Did you mean "telephone1"\?`},
		{"contact column on an account step", `
  message              = "Update"
  table                = "account"
  filtering_attributes = ["fullname"]
`, `
resource "dataverse_webhook_step" "other" {
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name"]
  images               = [{ alias = "before", type = "PreImage", attributes = ["accountnumber"] }]
}
`, `(?s)Unknown column.*no column "fullname"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			planRefused(t, b, imageConfig(b, tc.step, tc.rest), tc.want, func(st emulator.Stats) {
				if n := st.Requests.ByEntitySet["EntityDefinitions"]; n != 1 {
					t.Errorf("%d column metadata requests, want one for the one table", n)
				}
			})
		})
	}
}

// An image of a step managed elsewhere is checked against the step's table too.
func TestAccWebhookStepImage_unknownColumnRefusedAtPlan(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	stepID := seededStep(t, b, "Update", dataverse.StepStagePostOperation, dataverse.StepModeAsynchronous)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		Steps: []resource.TestStep{{
			Config: b.providerBlock() + `
resource "dataverse_webhook_step_image" "test" {
  step_id    = "` + stepID + `"
  type       = "PreImage"
  alias      = "before"
  attributes = ["acountnumber"]
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Unknown column.*no column "acountnumber".*Did you mean "accountnumber"\?`),
		}},
	})
}
