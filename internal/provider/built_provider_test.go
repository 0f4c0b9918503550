package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/webhookfleet"
)

// These tests run the Terraform CLI against the provider binary exactly as a user does (a
// separate provider process per command), which the in-process test framework cannot show:
// per-process token requests, and what lands in state files, plan files and logs.

// A webhook and five steps applied, planned and destroyed by the provider binary, the apply
// within a request budget.
func TestBuiltProvider_requestBudgetForOneWebhookAndFiveSteps(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ws := newWorkspace(t)
	var steps strings.Builder
	// Five Update steps of one table, each firing at another stage or on other columns.
	variants := []string{"", webhookfleet.Variant(1, "Update"), webhookfleet.Variant(2, "Update"), webhookfleet.Variant(3, "Update"), "  filtering_attributes = [\"name\"]\n  name = \"Update of name\"\n"}
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&steps, `
resource "dataverse_webhook_step" "s%d" {
  webhook_id = dataverse_webhook.orders.id
  message    = "Update"
  table      = "account"
  rank       = %d
%s}
`, i, i, variants[i-1])
	}
	if err := ws.WriteFile("main.tf", requiredProviders+b.providerBlock()+`
resource "dataverse_webhook" "orders" {
  name        = "`+b.name("orders-sync")+`"
  url         = "https://fn.example.net/api/orders"
  auth_type   = "WebhookKey"
  auth_key_wo = "budget-key"
}
`+steps.String()); err != nil {
		t.Fatal(err)
	}

	requests := countRequests(t, b, ws)
	requests.reset()
	mustRun(t, ws, applyArgs()...)
	checkApplyBudget(t, requests.stats(t))
	hooks := stateIDs(t, ws, "dataverse_webhook")
	if len(hooks) != 1 {
		t.Fatalf("state holds webhooks %v, want one", hooks)
	}
	if steps, err := b.client().ListWebhookSteps(context.Background(), hooks[0]); err != nil || len(steps) != 5 {
		t.Errorf("Dataverse holds %d steps on the webhook (%v), want 5", len(steps), err)
	}

	planNoChanges(t, ws, "after the apply")
	mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color")
	if err := b.checkDestroyed()(nil); err != nil {
		t.Error(err)
	}
}

// checkApplyBudget checks what the apply of one webhook and five steps asked of Dataverse.
func checkApplyBudget(t *testing.T, st emulator.Stats) {
	t.Helper()
	t.Logf("apply: %d Web API requests %v, %d token requests", st.Requests.Total, st.Requests.ByMethod, st.TokenRequests)
	// plan: one listing of the webhooks (the name check), one pair check, one read of the
	// table's columns (the steps filter on columns); apply: the same three again (its own
	// process), one webhook create and five step creates.
	if st.Requests.Total > 12 || st.Requests.ByEntitySet["EntityDefinitions"] > 2 {
		t.Errorf("apply made %d Web API requests, want at most 12, of them 2 column reads (%v by set)", st.Requests.Total, st.Requests.ByEntitySet)
	}
	if got := st.Requests.ByMethod["POST"]; got != 6 {
		t.Errorf("apply made %d creates, want 6", got)
	}
	// Only the plan and apply processes talk to Dataverse; each fetches one token. (-1 on a
	// live environment: only the emulator counts sign-ins.)
	if st.TokenRequests > 2 {
		t.Errorf("apply made %d token requests, want at most one per provider process (2)", st.TokenRequests)
	}
}

// The secret must appear nowhere a user or a log collector can read, in any of its encodings.
// It comes in as a pipeline passes it, through an ephemeral variable: a literal written into
// the configuration is the configuration's, and Terraform itself shows it in plan JSON.
func TestBuiltProvider_writeOnlySecretsLeaveNoTrace(t *testing.T) {
	t.Parallel()
	for _, tc := range secretCases("wk-S3nt&nel<one>", "hh-S3nt&nel<two>", "qs-S3nt&nel<three>") {
		t.Run(tc.authType.String(), func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			ws, logFile, cfg := secretWorkspace(t, b, tc, "secret")
			var output strings.Builder
			collect := func(r tfcli.Result) { output.WriteString(r.Stdout + r.Stderr) }

			collect(mustRun(t, ws, "plan", "-out=tfplan", "-input=false", "-no-color"))
			collect(mustRun(t, ws, "show", "-json", "tfplan"))
			haystacks := workspaceHaystacks(t, ws) // the plan file, before apply consumes nothing
			collect(mustRun(t, ws, "apply", "-input=false", "-no-color", "tfplan"))
			collect(mustRun(t, ws, "show", "-json"))
			// rotate: a new version sends the secret again
			if err := ws.WriteFile("main.tf", strings.Replace(cfg, "auth_wo_version = 1", "auth_wo_version = 2", 1)); err != nil {
				t.Fatal(err)
			}
			collect(mustRun(t, ws, "apply", "-auto-approve", "-input=false", "-no-color"))
			collect(mustRun(t, ws, "apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color"))

			want := wantAuthValue(t, tc.authType, tc.key, tc.sentinel)
			// Dataverse never returns the secret; the emulator shows it was sent as encoded.
			if e := b.emulator(); e != nil {
				if stored, _ := e.AuthValue(webhookIDInState(t, ws)); stored != want {
					t.Errorf("the emulator did not receive exactly the encoded secret")
				}
			}
			collect(mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color"))

			for name, hay := range workspaceHaystacks(t, ws) {
				haystacks["after destroy: "+name] = hay
			}
			haystacks["command output"] = output.String()
			logBytes, err := os.ReadFile(logFile)
			if err != nil || len(logBytes) == 0 {
				t.Fatalf("no trace log was written: %v", err)
			}
			haystacks["trace log"] = string(logBytes)

			needles := secretForms("secret", tc.sentinel)
			for k, v := range secretForms("encoded auth value", want) {
				needles[k] = v
			}
			for k, v := range secretForms("provider client secret", providerClientSecret(b)) {
				needles[k] = v
			}
			assertNoSecrets(t, haystacks, needles)
		})
	}
}
