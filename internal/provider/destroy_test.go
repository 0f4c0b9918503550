package provider

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// An image its step cannot take, on a step created in the same apply, fails the apply after the
// webhook and the step are written. A refresh, and a destroy (which plans the configuration once
// more before it plans the destroy), must not refuse the image again, or what exists could not
// be destroyed.
func TestAccDestroy_neverBlockedByAFailedImage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, step, image, want string
	}{
		{"post-image on Delete", stepOn("Delete", "account"), `type  = "PostImage"`, `(?s)No post-image on Delete`},
		{"post-image on PreOperation", `
  message = "Update"
  table   = "account"
  mode    = "Synchronous"
  stage   = "PreOperation"
`, `type  = "PostImage"`, `(?s)Post-images need a PostOperation step`},
		{"pre-image on Create", stepOn("Create", "account"), `type  = "PreImage"`, `(?s)No pre-image on Create`},
		// One of the two is written before the other is refused.
		{"alias twice", accountUpdated, `type  = "PreImage"
  alias = "row"
}

resource "dataverse_webhook_step_image" "twin" {
  step_id = dataverse_webhook_step.test.id
  type    = "PostImage"`, `(?s)Image alias already in use.*"row"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			config := imageConfig(b, tc.step, imageResource(tc.image+"\n  alias = \"row\""))
			unitTest(t, b, []resource.TestStep{
				{Config: config, ExpectError: regexp.MustCompile(tc.want)},
				{
					// The webhook and the step the failed apply wrote are in state and in Dataverse.
					RefreshState:       true,
					ExpectNonEmptyPlan: true, // the image is tainted: the next apply tries it again
					Check: resource.ComposeTestCheckFunc(
						resource.TestCheckResourceAttrSet("dataverse_webhook_step.test", "id"),
						stepsOnWebhook(b, 1),
					),
				},
				// The next apply refuses the image again.
				{Config: config, ExpectError: regexp.MustCompile(tc.want)},
				// plan -destroy with refresh, then apply, as terraform destroy does.
				{Config: config, Destroy: true, Check: b.checkDestroyed()},
			})
		})
	}
}

// A webhook changed outside Terraform into another kind of service endpoint, and so its steps
// into steps of no webhook, are still refreshed and destroyed: a refresh warns, never refuses.
// The change is what a person would write through the Web API; where Dataverse refuses it, no
// such webhook can exist there and the scenario skips.
func TestAccDestroy_neverBlockedByAWebhookChangedElsewhere(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	config := imageConfig(b, accountUpdated, "")
	var hookID string
	// endpointsLeft counts the service endpoints of the webhook's id: once it is a queue
	// endpoint, the backend's webhook listing no longer sees it.
	endpointsLeft := func() (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		rows, err := b.user(t).Rows(ctx, "serviceendpoints?$select=serviceendpointid&$filter="+url.PathEscape("serviceendpointid eq "+hookID), "")
		return len(rows), err
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check:  func(s *terraform.State) error { hookID = attrOf(s, "dataverse_webhook.hook", "id"); return nil },
			},
			{
				PreConfig: func() {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					// contract 1 is a queue endpoint, not a webhook (8).
					err := b.user(t).Update(ctx, "serviceendpoints", hookID, map[string]any{"contract": 1})
					if status := liveRefusal(b, err); status != 0 {
						t.Skipf("Dataverse refuses to change a webhook's contract (HTTP %d), so no webhook changes kind there", status)
					}
					if err != nil {
						t.Fatalf("changing the webhook into a queue endpoint: %v", err)
					}
					// The backend's clean-up removes webhooks only: a failed run must not leave
					// the queue endpoint behind.
					t.Cleanup(func() {
						if n, err := endpointsLeft(); err == nil && n > 0 {
							ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
							defer cancel()
							_ = b.user(t).Delete(ctx, "serviceendpoints", hookID)
						}
					})
				},
				RefreshState: true,
			},
			{
				Config:  config,
				Destroy: true,
				// The destroy step ends with an empty state, after which Terraform's own
				// CheckDestroy does not run: the step checks what is left itself.
				Check: func(s *terraform.State) error {
					n, err := endpointsLeft()
					if err != nil {
						return fmt.Errorf("reading the endpoint %s after destroy: %w", hookID, err)
					}
					if n > 0 {
						return fmt.Errorf("the endpoint %s is left after destroy", hookID)
					}
					return b.checkDestroyed()(s)
				},
			},
		},
	})
}

// A webhook whose configuration has no secret (as an adopted one) and whose secret someone then
// clears in Dataverse stays without one: every plan warns and changes nothing, and terraform
// destroy, which plans the configuration first, is not stopped by it.
func TestBuiltProvider_clearedSecretWithoutOneInTheConfigurationBlocksNoDestroy(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ws := newWorkspace(t)
	name := b.name("cleared")
	withKey := requiredProviders + b.providerBlock() + webhookBlock("hook", name, "")
	if err := ws.WriteFile("main.tf", withKey); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ws, "apply", "-auto-approve", "-input=false", "-no-color")
	if err := ws.WriteFile("main.tf", strings.Replace(withKey, `auth_key_wo = "k"`, "", 1)); err != nil {
		t.Fatal(err)
	}
	planSays(t, ws, "No changes.")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	hooks, err := b.client().ListWebhooks(ctx, dataverse.WebhookFilter{Name: name})
	if err != nil || len(hooks) != 1 {
		t.Fatalf("looking up the webhook: %d found, %v", len(hooks), err)
	}
	err = b.user(t).Update(ctx, "serviceendpoints", hooks[0].ID, map[string]any{"authvalue": nil})
	if status := liveRefusal(b, err); status != 0 {
		t.Skipf("the Web API refuses to clear a webhook's secret (HTTP %d), so no webhook loses it there", status)
	}
	if err != nil {
		t.Fatalf("clearing the webhook's secret: %v", err)
	}

	const warning = "Warning: Webhook holds no secret"
	for range 2 {
		res := mustRun(t, ws, "plan", "-input=false", "-no-color", "-detailed-exitcode")
		out := oneLine(res.Stdout + res.Stderr)
		if strings.Count(out, warning) != 1 || !strings.Contains(out, "No changes.") || !strings.Contains(out, "auth_key_wo") {
			t.Fatalf("plan after the secret was cleared: want no changes and one warning naming auth_key_wo:\n%s", out)
		}
	}
	res := mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color")
	if !strings.Contains(res.Stdout, "1 destroyed") {
		t.Errorf("destroy did not destroy the webhook:\n%s", res.Stdout)
	}
	if err := b.checkDestroyed()(nil); err != nil {
		t.Error(err)
	}
}

// A step bound by a literal webhook_id to a webhook managed elsewhere, which is then deleted
// there (Dataverse deletes its steps with it): terraform destroy of the step's configuration
// ends with nothing to delete, rather than refusing the webhook id the refresh can no longer
// find, and a plan warns instead of refusing.
func TestBuiltProvider_stepOfAWebhookDeletedElsewhereBlocksNoDestroy(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	hook := registerWebhook(t, b, dataverse.WebhookCreate{Name: b.name("elsewhere"), URL: "https://fn.example.net/api/elsewhere",
		AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})
	destroyAfterParentDeleted(t, b, fmt.Sprintf(`
resource "dataverse_webhook_step" "test" {
  webhook_id = %q
  message    = "Update"
  table      = "account"
}
`, hook), func(ctx context.Context) error { return b.client().DeleteWebhook(ctx, hook) },
		"Warning: Webhook deleted outside Terraform", "No webhook has id "+hook+" any more")
}

// destroyAfterParentDeleted applies resources, deletes the row they hang from behind Terraform
// (deleteParent), and checks that a plan says so (the warning, the text) without refusing and
// that terraform destroy completes.
func destroyAfterParentDeleted(t *testing.T, b backend, resources string, deleteParent func(context.Context) error, warning, text string) {
	t.Helper()
	ws := newWorkspace(t)
	if err := ws.WriteFile("main.tf", requiredProviders+b.providerBlock()+resources); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ws, applyArgs()...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := deleteParent(ctx); err != nil {
		t.Fatalf("deleting behind Terraform: %v", err)
	}
	planned := oneLine(mustRun(t, ws, "plan", "-input=false", "-no-color").Stdout)
	if !strings.Contains(planned, warning) || !strings.Contains(planned, text) {
		t.Errorf("the plan does not say %q, %q:\n%s", warning, text, planned)
	}
	res, err := ws.Run(ctx, "destroy", "-auto-approve", "-input=false", "-no-color")
	if err != nil || !strings.Contains(res.Stdout, "Destroy complete!") {
		t.Fatalf("destroy after the deletion behind Terraform: exit %d\n%s", res.ExitCode, tail(res.Stdout+res.Stderr, 30))
	}
}

// A tainted webhook is planned as a create of its own name: its own row, under the derived id,
// is neither taken over with a warning nor refused when the configuration changed its
// description meanwhile. The apply replaces it, and terraform destroy of such a state runs.
func TestBuiltProvider_taintedWebhookIsReplacedNotTakenOver(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	config := func(description string) string {
		return requiredProviders + b.providerBlock() + webhookBlock("hook", b.name("tainted"), fmt.Sprintf("description = %q", description))
	}
	for _, destroy := range []bool{false, true} {
		ws := newWorkspace(t)
		if err := ws.WriteFile("main.tf", config("first")); err != nil {
			t.Fatal(err)
		}
		mustRun(t, ws, applyArgs()...)
		mustRun(t, ws, "taint", "dataverse_webhook.hook")
		if err := ws.WriteFile("main.tf", config("second")); err != nil {
			t.Fatal(err)
		}
		if destroy {
			out := oneLine(mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color").Stdout)
			if !strings.Contains(out, "Destroy complete! Resources: 1 destroyed.") {
				t.Errorf("destroy of the tainted webhook:\n%s", out)
			}
			continue
		}
		planned := oneLine(mustRun(t, ws, "plan", "-input=false", "-no-color").Stdout)
		if strings.Contains(planned, "Existing webhook taken over") || !strings.Contains(planned, "must be replaced") {
			t.Errorf("the plan of the tainted webhook:\n%s", planned)
		}
		applied := oneLine(mustRun(t, ws, applyArgs()...).Stdout)
		if strings.Contains(applied, "Existing webhook taken over") || !strings.Contains(applied, "1 added, 0 changed, 1 destroyed") {
			t.Errorf("the apply of the tainted webhook:\n%s", applied)
		}
		planNoChanges(t, ws, "after the replacement")
		mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color")
	}
}

// An image bound by a literal step_id to a step deleted elsewhere (Dataverse deletes its images
// with it): terraform destroy ends with nothing to delete, and a plan warns instead of refusing.
func TestBuiltProvider_imageOfAStepDeletedElsewhereBlocksNoDestroy(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	step := seededStep(t, b, "Update", dataverse.StepStagePostOperation, dataverse.StepModeAsynchronous)
	destroyAfterParentDeleted(t, b, fmt.Sprintf(`
resource "dataverse_webhook_step_image" "test" {
  step_id = %q
  type    = "PreImage"
  alias   = "before"
}
`, step), func(ctx context.Context) error { return b.client().DeleteStep(ctx, step) },
		"Warning: Step deleted outside Terraform", "No step has id "+step+" any more")
}

// An apply refuses the second of two new steps that would take one default name; the state
// then holds the webhook and the first step. A plan of that configuration refuses the second
// step again, at plan now that the webhook exists, but terraform destroy (and plan -destroy),
// which plan the configuration first to refresh the state, run: a destroy run skips the checks
// of that plan, whose creates Terraform discards.
func TestBuiltProvider_destroyIsNotStoppedByTheChecksOfAResourceToCreate(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ws := newWorkspace(t)
	config := requiredProviders + hookConfig(b, "destroy-checks", "https://fn.example.net/api/checks")
	for _, s := range []struct{ address, column string }{{"last", "lastname"}, {"first", "firstname"}} {
		config += fmt.Sprintf("\nresource \"dataverse_webhook_step\" %q {\n  webhook_id           = dataverse_webhook.hook.id\n"+
			"  message              = \"Update\"\n  table                = \"contact\"\n  filtering_attributes = [%q]\n}\n", s.address, s.column)
	}
	if err := ws.WriteFile("main.tf", config); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if res, err := ws.Run(ctx, applyArgs()...); err == nil {
		t.Fatalf("the apply of two steps with one default name succeeded:\n%s", tail(res.Stdout, 20))
	}
	if n := len(stateIDs(t, ws, "dataverse_webhook_step")); n != 1 {
		t.Fatalf("%d steps in state after the refused apply, want 1", n)
	}
	res, err := ws.Run(ctx, "plan", "-input=false", "-no-color")
	if err == nil || !strings.Contains(res.Stderr, "Step name already in use") {
		t.Fatalf("the plan after the refused apply: exit %d, want the name refused\n%s", res.ExitCode, tail(res.Stdout+res.Stderr, 20))
	}
	res = mustRun(t, ws, "plan", "-destroy", "-input=false", "-no-color")
	if !strings.Contains(oneLine(res.Stdout), "0 to add, 0 to change, 2 to destroy") {
		t.Errorf("plan -destroy:\n%s", tail(res.Stdout, 20))
	}
	res = mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color")
	if !strings.Contains(res.Stdout, "Destroy complete! Resources: 2 destroyed.") {
		t.Errorf("destroy:\n%s", tail(res.Stdout, 20))
	}
}
