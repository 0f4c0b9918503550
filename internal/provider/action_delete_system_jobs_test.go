package provider

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/dvuser"
)

// jobsEstate registers two webhooks with one Update-of-account step each, both posting to a
// receiver that fails the deliveries of accounts named fail…, and renames an account so that
// each step leaves failed and succeeded jobs. It returns the two step ids.
func jobsEstate(t *testing.T, e *emulator.Emulator, renames []string) (step, other string) {
	t.Helper()
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"fail`) {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rcv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := dvuser.New(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, name := range []string{"jobs-main", "jobs-other"} {
		hook, err := c.Create(ctx, "serviceendpoints", map[string]any{"name": name, "url": rcv.URL + "/" + name, "contract": 8,
			"authtype": 4, "authvalue": "k", "messageformat": 2})
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Create(ctx, "sdkmessageprocessingsteps", map[string]any{
			"name": name + ": Update of account", "mode": 1, "stage": 40, "rank": 1, "supporteddeployment": 0,
			"eventhandler_serviceendpoint@odata.bind": "/serviceendpoints(" + hook + ")",
			"sdkmessageid@odata.bind":                 "/sdkmessages(" + emulator.SDKMessageID("Update") + ")",
			"sdkmessagefilterid@odata.bind":           "/sdkmessagefilters(" + emulator.SDKMessageFilterID("Update", "account") + ")",
		})
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, s)
	}
	account, err := c.Create(ctx, "accounts", map[string]any{"name": "start"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range renames {
		if err := c.Update(ctx, "accounts", account, map[string]any{"name": name}); err != nil {
			t.Fatal(err)
		}
		if err := e.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return steps[0], steps[1]
}

// jobsOf counts the jobs of a step by status code.
func jobsOf(e *emulator.Emulator, step string) map[int64]int {
	out := map[int64]int{}
	for _, row := range e.Rows("asyncoperations") {
		if row["_owningextensionid_value"] == step {
			out[row["statuscode"].(int64)]++
		}
	}
	return out
}

// invokeAction runs what `terraform apply -invoke` sends: PlanAction, then InvokeAction, and
// returns the progress messages and the diagnostics of completion.
func invokeAction(t *testing.T, server tfprotov6.ProviderServer, config map[string]tftypes.Value) ([]string, []*tfprotov6.Diagnostic) {
	t.Helper()
	ctx := context.Background()
	schemas := providerSchemas(t, server)
	as := schemas.ActionSchemas["dataverse_delete_system_jobs"]
	if as == nil {
		t.Fatal("no action dataverse_delete_system_jobs")
	}
	cfg := dynamicValue(t, objectOf(as.Schema.Block, config))
	actions, ok := server.(tfprotov6.ActionServer)
	if !ok {
		t.Fatal("the provider server has no actions")
	}
	v, err := actions.ValidateActionConfig(ctx, &tfprotov6.ValidateActionConfigRequest{ActionType: "dataverse_delete_system_jobs", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Diagnostics) > 0 {
		return nil, v.Diagnostics
	}
	plan, err := actions.PlanAction(ctx, &tfprotov6.PlanActionRequest{ActionType: "dataverse_delete_system_jobs", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	requireNoDiagnostics(t, "PlanAction", plan.Diagnostics)
	stream, err := actions.InvokeAction(ctx, &tfprotov6.InvokeActionRequest{ActionType: "dataverse_delete_system_jobs", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var progress []string
	var diags []*tfprotov6.Diagnostic
	for ev := range stream.Events {
		switch e := ev.Type.(type) {
		case tfprotov6.ProgressInvokeActionEventType:
			progress = append(progress, e.Message)
		case tfprotov6.CompletedInvokeActionEventType:
			diags = append(diags, e.Diagnostics...)
		}
	}
	return progress, diags
}

func statusSet(statuses ...string) tftypes.Value {
	vals := make([]tftypes.Value, len(statuses))
	for i, s := range statuses {
		vals[i] = str(s)
	}
	return tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, vals)
}

func TestAction_deleteSystemJobs(t *testing.T) {
	t.Parallel()
	e := needsEmulator(t, "seeds system jobs and counts the requests")
	step, other := jobsEstate(t, e, []string{"ok 1", "fail 2", "ok 3", "fail 4", "ok 5", "fail 6"})
	const failed, succeeded = 31, 30
	if got := jobsOf(e, step); got[failed] != 3 || got[succeeded] != 3 {
		t.Fatalf("jobs of the step before = %v, want 3 failed and 3 succeeded", got)
	}
	// Two failed jobs and one succeeded job of the step completed ten days ago.
	aged := map[int64]int{}
	for _, row := range e.Rows("asyncoperations") {
		status := row["statuscode"].(int64)
		if row["_owningextensionid_value"] != step || (status == failed && aged[failed] == 2) || (status == succeeded && aged[succeeded] == 1) {
			continue
		}
		aged[status]++
		if err := e.PatchRow("asyncoperations", row["asyncoperationid"].(string), map[string]any{
			"completedon": time.Now().Add(-240 * time.Hour).UTC().Format(time.RFC3339),
		}); err != nil {
			t.Fatal(err)
		}
	}
	s := protocolProvider(t, emulatorBackend(e))

	// Failed jobs older than a week: the two aged ones, and nothing of the other step.
	e.ResetStats()
	progress, diags := invokeAction(t, s, map[string]tftypes.Value{
		"step_id": str(step), "statuses": statusSet("Failed"), "older_than": str("168h"),
	})
	requireNoDiagnostics(t, "InvokeAction", diags)
	if got := jobsOf(e, step); got[failed] != 1 || got[succeeded] != 3 {
		t.Errorf("jobs of the step after = %v, want 1 failed (the recent one) and 3 succeeded", got)
	}
	if got := jobsOf(e, other); got[failed] != 3 || got[succeeded] != 3 {
		t.Errorf("jobs of the other step = %v: it was touched", got)
	}
	if len(progress) == 0 || !strings.Contains(progress[len(progress)-1], "Deleted 2 failed system jobs") {
		t.Errorf("progress = %q, want a report of 2 deleted", progress)
	}
	// The step, the query, two deletes.
	if n := e.Stats().Requests.Total; n != 4 {
		t.Errorf("the clean-up made %d requests, want 4", n)
	}

	// Everything of the step, at most 2 at a time: the report says more remain.
	progress, diags = invokeAction(t, s, map[string]tftypes.Value{
		"step_id": str(step), "statuses": statusSet("Failed", "Succeeded"), "older_than": str("0s"),
		"max_jobs": tftypes.NewValue(tftypes.Number, 2),
	})
	requireNoDiagnostics(t, "InvokeAction", diags)
	if last := progress[len(progress)-1]; !strings.Contains(last, "Deleted 2 ") || !strings.Contains(last, "More remain") {
		t.Errorf("report = %q, want 2 deleted and more remaining", last)
	}
	if got := jobsOf(e, step); got[failed]+got[succeeded] != 2 {
		t.Errorf("jobs of the step = %v, want 2 left", got)
	}

	// By webhook: every step of it.
	hook := ""
	for _, row := range e.Rows("sdkmessageprocessingsteps") {
		if row["sdkmessageprocessingstepid"] == other {
			hook = fmt.Sprint(row["_eventhandler_value"])
		}
	}
	progress, diags = invokeAction(t, s, map[string]tftypes.Value{
		"webhook_id": str(hook), "statuses": statusSet("Succeeded"), "older_than": str("0s"),
	})
	requireNoDiagnostics(t, "InvokeAction", diags)
	if got := jobsOf(e, other); got[succeeded] != 0 || got[failed] != 3 {
		t.Errorf("jobs of the other webhook's step = %v, want only its 3 failed ones", got)
	}
	if last := progress[len(progress)-1]; !strings.Contains(last, `of webhook "jobs-other" (1 step)`) {
		t.Errorf("report = %q", last)
	}

	for _, tc := range []struct {
		config map[string]tftypes.Value
		want   string
	}{
		{map[string]tftypes.Value{"statuses": statusSet("Failed"), "older_than": str("1h")}, "Set step_id or webhook_id"},
		{map[string]tftypes.Value{"step_id": str(step), "webhook_id": str(hook), "statuses": statusSet("Failed"), "older_than": str("1h")}, "Set step_id or webhook_id"},
		{map[string]tftypes.Value{"step_id": str(step), "statuses": statusSet("Failed"), "older_than": str("-1h")}, "Invalid duration"},
		{map[string]tftypes.Value{"step_id": str(step), "statuses": statusSet("Canceled"), "older_than": str("1h")}, "Invalid Attribute Value Match"},
	} {
		_, diags := invokeAction(t, s, tc.config)
		if len(diags) == 0 || !strings.Contains(diags[0].Summary, tc.want) {
			t.Errorf("%v: diagnostics %+v, want %q", tc.config, diags, tc.want)
		}
	}
}

// Under service protection, with one request allowed in flight, the parallel deletes are
// throttled; each waits as Retry-After says and the clean-up still deletes every job.
func TestAction_deleteSystemJobsWhenThrottled(t *testing.T) {
	t.Parallel()
	e := needsEmulator(t, "slows and limits requests, and seeds system jobs", func(o *emulator.Options) { o.MaxConcurrent = 1; o.Latency = 50 * time.Millisecond })
	step, _ := jobsEstate(t, e, []string{"fail 1", "fail 2", "fail 3", "fail 4", "fail 5", "fail 6"})
	s := protocolProvider(t, emulatorBackend(e))
	_, diags := invokeAction(t, s, map[string]tftypes.Value{
		"step_id": str(step), "statuses": statusSet("Failed"), "older_than": str("0s"),
	})
	requireNoDiagnostics(t, "InvokeAction", diags)
	if got := jobsOf(e, step); len(got) != 0 {
		t.Errorf("jobs left = %v, want none", got)
	}
	if e.Stats().Throttled == 0 {
		t.Error("no request was throttled: the test proves nothing")
	}
}

// terraform apply -invoke (Terraform 1.14 and newer) runs the action and prints its report. Two
// webhooks post to a receiver that fails every delivery; an account renamed twice leaves two
// failed jobs on the step of each, and the action deletes those of one step only.
func TestAction_deleteSystemJobsThroughTheCLI(t *testing.T) {
	requireHashiCorpTerraform(t, "1.14.0")
	t.Parallel()
	holdAccountUpdates(t)
	b := newBackend(t)
	endpoint := b.failingEndpoint(t)
	var steps []string
	for _, name := range []string{"jobs-main", "jobs-other"} {
		hook := registerWebhook(t, b, dataverse.WebhookCreate{Name: b.name(name), URL: endpoint.url,
			AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})
		steps = append(steps, registerStep(t, b, "Update", "account", dataverse.StepCreate{
			StepSettings: dataverse.StepSettings{Name: b.name(name) + ": Update of account",
				Mode: dataverse.StepModeAsynchronous, Stage: dataverse.StepStagePostOperation, Rank: 1},
			WebhookID: hook, Enabled: true,
		}))
	}
	deleteJobsAtCleanup(t, b, steps)
	step, other := steps[:1], steps[1:]
	fireAccountUpdates(t, b, b.name("jobs-main"), 2)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	awaitFailedJobs(ctx, t, b.client(), other, 2)

	ws := newWorkspace(t)
	if err := ws.WriteFile("main.tf", requiredProviders+b.providerBlock()+fmt.Sprintf(`
action "dataverse_delete_system_jobs" "failed" {
  config {
    step_id    = %q
    statuses   = ["Failed"]
    older_than = "0s"
  }
}
`, step[0])); err != nil {
		t.Fatal(err)
	}
	res := mustRun(t, ws, "apply", "-invoke=action.dataverse_delete_system_jobs.failed", "-auto-approve", "-input=false", "-no-color")
	t.Logf("terraform apply -invoke:\n%s", res.Stdout)
	if !strings.Contains(res.Stdout, "Deleted 2 failed system jobs") {
		t.Errorf("the apply does not report the deletes:\n%s", res.Stdout)
	}
	if jobs := failedJobsOf(ctx, t, b.client(), step); len(jobs) != 0 {
		t.Errorf("the step keeps %d failed jobs, want none", len(jobs))
	}
	if jobs := failedJobsOf(ctx, t, b.client(), other); len(jobs) != 2 {
		t.Errorf("the other step has %d failed jobs, want its 2: it was touched", len(jobs))
	}
}
