package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// Several webhooks with one name in one apply: the name check and the create are serialized,
// so exactly one is created and the others fail with the name-in-use error.
func TestAccWebhook_sameNameInOneApply(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             checkNoRowsLeft(e),
		Steps: []resource.TestStep{{
			Config: providerBlock(e) + `
resource "dataverse_webhook" "twin" {
  count       = 4
  name        = "same-name"
  url         = "https://fn.example.net/twin/${count.index}"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
`,
			ExpectError: regexp.MustCompile(`Webhook name used twice`),
		}},
	})
	// Refused at plan: none is created, so none is left for the error to suggest importing.
	if n := len(e.Rows("serviceendpoints")); n != 0 {
		t.Errorf("%d webhooks named same-name were created, want none", n)
	}
}

// What Dataverse compares without case (ids, message and table names) may be written in any
// case without a diff.
func TestAccWebhookStep_caseOfIdsAndNames(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	cfg := providerBlock(e) + `
resource "dataverse_webhook" "hook" {
  name        = "cased"
  url         = "https://fn.example.net/cased"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
resource "dataverse_webhook_step" "test" {
  webhook_id = upper(dataverse_webhook.hook.id)
  message    = "update"
  table      = "Account"
}
`
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             checkNoRowsLeft(e),
		Steps: []resource.TestStep{
			{Config: cfg, Check: resource.TestCheckResourceAttr(stepAddr, "message", "update")},
			{Config: cfg, PlanOnly: true},
		},
	})
}

// Removing a hand-set name brings the default name back.
func TestAccWebhookStep_removingTheNameRestoresTheDefault(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	var id string
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             checkNoRowsLeft(e),
		Steps: []resource.TestStep{
			{Config: stepConfig(e, `
  message = "Update"
  table   = "account"
  name    = "custom-name"
`), Check: sameStepID(&id)},
			{
				Config: stepConfig(e, `
  message = "Update"
  table   = "account"
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(stepAddr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(sameStepID(&id),
					resource.TestCheckResourceAttr(stepAddr, "name", "orders-sync: Update of account")),
			},
			{Config: stepConfig(e, `
  message = "Update"
  table   = "account"
`), PlanOnly: true},
		},
	})
}

// A step whose images cannot follow a new message or stage is refused at plan time.
func TestAccWebhookStep_changeThatStrandsItsImages(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	cfg := func(message, stage string) string {
		return stepConfig(e, fmt.Sprintf(`
  message = %q
  table   = "account"
  stage   = %q
  mode    = "Synchronous"
`, message, stage)) + `
resource "dataverse_webhook_step_image" "both" {
  step_id = dataverse_webhook_step.test.id
  type    = "Both"
  alias   = "row"
}
`
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             checkNoRowsLeft(e),
		Steps: []resource.TestStep{
			{Config: cfg("Update", "PostOperation")},
			{Config: cfg("Create", "PostOperation"), ExpectError: regexp.MustCompile(`(?s)The step's images would no longer fit.*No pre-image on Create`)},
			// Only the stage changed: the error points at it.
			{Config: cfg("Update", "PreOperation"), ExpectError: regexp.MustCompile(`(?s)The step's images would no longer fit.*\d+:\s+stage\s+=\s+"PreOperation".*PostOperation`)},
			{Config: cfg("Assign", "PostOperation")},
		},
	})
}

// Setting a solution on a webhook that had none recorded keeps the webhook; changing a
// recorded one replaces it.
func TestAccWebhook_solutionAfterNone(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	base := `
  name        = "solution-later"
  url         = "https://fn.example.net/later"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
`
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             checkNoRowsLeft(e),
		Steps: []resource.TestStep{
			{Config: webhookConfig(e, base)},
			{
				Config: webhookConfig(e, base+`  solution_unique_name = "contoso_integrations"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(webhookAddr, plancheck.ResourceActionUpdate)},
				},
			},
			{
				Config: webhookConfig(e, base+`  solution_unique_name = "Default"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(webhookAddr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				Check: func(*terraform.State) error {
					if n := len(e.Rows("serviceendpoints")); n != 1 {
						return fmt.Errorf("%d webhooks in Dataverse after the replacement, want 1", n)
					}
					return nil
				},
			},
		},
	})
}
