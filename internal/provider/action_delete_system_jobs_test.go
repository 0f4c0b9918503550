package provider

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/dvuser"
)

// jobsEstate is two webhooks with an asynchronous Update-of-account step each, and an account
// whose renames fire both steps; where a webhook points decides whether its jobs fail or
// succeed. An estate made without a receiver (receiving "") only fails.
type jobsEstate struct {
	b                  backend
	hooks, steps       []string // of jobs-main, then of jobs-other
	failing, receiving string
	user               *dvuser.Client
	account            string
	renames            int
}

func newJobsEstate(t *testing.T, b backend, withReceiver bool) *jobsEstate {
	t.Helper()
	est := &jobsEstate{b: b, failing: b.failingEndpoint(t).url, user: b.user(t)}
	if withReceiver {
		est.receiving = b.receivingEndpoint(t)
	}
	for _, name := range []string{"jobs-main", "jobs-other"} {
		hook := registerWebhook(t, b, dataverse.WebhookCreate{Name: b.name(name), URL: est.failing,
			AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})
		est.hooks = append(est.hooks, hook)
		est.steps = append(est.steps, registerStep(t, b, "Update", "account", dataverse.StepCreate{
			StepSettings: dataverse.StepSettings{Name: b.name(name) + ": Update of account",
				Mode: dataverse.StepModeAsynchronous, Stage: dataverse.StepStagePostOperation, Rank: 1},
			WebhookID: hook, Enabled: true,
		}))
	}
	deleteJobsAtCleanup(t, b, est.steps)
	est.account = mustGet(t, "creating the account whose renames fire the steps", func(ctx context.Context) (string, error) {
		return est.user.Create(ctx, "accounts", map[string]any{"name": b.name("Contoso")})
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := est.user.Delete(ctx, "accounts", est.account); err != nil {
			t.Errorf("deleting the account the test fired updates on: %v", err)
		}
	})
	return est
}

const (
	jobSucceeded = 30 // asyncoperation.statuscode
	jobFailed    = 31
)

// fire points both webhooks at url and renames the account n times, then waits until each step
// holds n more jobs that failed (the failing endpoint) or succeeded (the receiving one).
func (est *jobsEstate) fire(t *testing.T, url string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	status := jobFailed
	if url != est.failing {
		status = jobSucceeded
	}
	want := make([]int, len(est.steps))
	for i, step := range est.steps {
		want[i] = est.jobsOf(t, step)[status] + n
	}
	for _, hook := range est.hooks {
		if _, err := est.b.client().UpdateWebhook(ctx, hook, dataverse.WebhookUpdate{URL: &url}); err != nil {
			t.Fatalf("pointing the webhook at %s: %v", url, err)
		}
	}
	for range n {
		est.renames++
		if err := est.user.Update(ctx, "accounts", est.account, map[string]any{"name": est.b.name(fmt.Sprintf("Contoso %d", est.renames))}); err != nil {
			t.Fatal(err)
		}
	}
	for i, step := range est.steps {
		for wait := 20 * time.Millisecond; est.jobsOf(t, step)[status] < want[i]; wait = min(2*wait, 5*time.Second) {
			select {
			case <-ctx.Done():
				t.Fatalf("step %s holds %v jobs by status after waiting, want %d of status %d", step, est.jobsOf(t, step), want[i], status)
			case <-time.After(wait):
			}
		}
	}
}

// jobsOf counts the completed jobs of a step by status code, as a person would ask the Web API.
func (est *jobsEstate) jobsOf(t *testing.T, step string) map[int]int {
	t.Helper()
	rows := mustGet(t, "listing the jobs of step "+step, func(ctx context.Context) ([]map[string]any, error) {
		filter := url.QueryEscape("_owningextensionid_value eq " + step + " and statecode eq 3")
		return est.user.Rows(ctx, "asyncoperations?$select=statuscode&$filter="+filter, "")
	})
	out := map[int]int{}
	for _, row := range rows {
		if code, ok := row["statuscode"].(float64); ok {
			out[int(code)]++
		}
	}
	return out
}

// invokeAction runs what `terraform apply -invoke` sends: PlanAction, then InvokeAction, and
// returns the progress messages and the diagnostics of completion.
func invokeAction(t *testing.T, server tfprotov6.ProviderServer, config map[string]tftypes.Value) ([]string, []*tfprotov6.Diagnostic) {
	t.Helper()
	return invokeActionKnownLate(t, server, config, "")
}

// invokeActionKnownLate is invokeAction with the attribute late unknown when the configuration
// is validated and planned, as a reference to a resource of the same apply is.
func invokeActionKnownLate(t *testing.T, server tfprotov6.ProviderServer, config map[string]tftypes.Value, late string) ([]string, []*tfprotov6.Diagnostic) {
	t.Helper()
	ctx := context.Background()
	schemas := providerSchemas(t, server)
	as := schemas.ActionSchemas["dataverse_delete_system_jobs"]
	if as == nil {
		t.Fatal("no action dataverse_delete_system_jobs")
	}
	cfg := dynamicValue(t, objectOf(as.Schema.Block, config))
	planned := cfg
	if late != "" {
		early := maps.Clone(config)
		early[late] = tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
		planned = dynamicValue(t, objectOf(as.Schema.Block, early))
	}
	actions, ok := server.(tfprotov6.ActionServer)
	if !ok {
		t.Fatal("the provider server has no actions")
	}
	v, err := actions.ValidateActionConfig(ctx, &tfprotov6.ValidateActionConfigRequest{ActionType: "dataverse_delete_system_jobs", Config: planned})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Diagnostics) > 0 {
		return nil, v.Diagnostics
	}
	plan, err := actions.PlanAction(ctx, &tfprotov6.PlanActionRequest{ActionType: "dataverse_delete_system_jobs", Config: planned})
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

// Each step of two webhooks holds three failed and three succeeded jobs, two failed and one
// succeeded of them completed before a gap; the action deletes what each configuration takes
// and nothing else.
func TestAction_deleteSystemJobs(t *testing.T) {
	t.Parallel()
	holdAccountUpdates(t)
	b := newBackend(t)
	est := newJobsEstate(t, b, true)
	step, other := est.steps[0], est.steps[1]
	// The gap covers the second the emulator's completion times are given in, and on a live
	// environment the difference between this machine's clock and Dataverse's.
	gap := 3 * time.Second
	if b.emulator() == nil {
		gap = time.Minute
	}
	est.fire(t, est.failing, 2)
	est.fire(t, est.receiving, 1)
	cutoff := time.Now().Add(gap / 2)
	time.Sleep(gap)
	est.fire(t, est.failing, 1)
	est.fire(t, est.receiving, 2)
	if got := est.jobsOf(t, step); got[jobFailed] != 3 || got[jobSucceeded] != 3 {
		t.Fatalf("jobs of the step before = %v, want 3 failed and 3 succeeded", got)
	}
	s := protocolProvider(t, b)

	// Failed jobs completed before the gap: two, and nothing of the other step.
	resetCounts(b)
	progress, diags := invokeAction(t, s, map[string]tftypes.Value{
		"step_id": str(step), "statuses": statusSet("Failed"), "older_than": str(time.Since(cutoff).Round(time.Millisecond).String()),
	})
	requireNoDiagnostics(t, "InvokeAction", diags)
	// The step, the query, two deletes.
	if e := b.emulator(); e != nil {
		if st := e.Stats().Requests; st.Total != 4 {
			t.Errorf("the clean-up made %d requests, want 4: %v", st.Total, st.ByEntitySet)
		}
	}
	if got := est.jobsOf(t, step); got[jobFailed] != 1 || got[jobSucceeded] != 3 {
		t.Errorf("jobs of the step after = %v, want 1 failed (the recent one) and 3 succeeded", got)
	}
	if got := est.jobsOf(t, other); got[jobFailed] != 3 || got[jobSucceeded] != 3 {
		t.Errorf("jobs of the other step = %v: it was touched", got)
	}
	if len(progress) == 0 || !strings.Contains(progress[len(progress)-1], "Deleted 2 failed system jobs") {
		t.Errorf("progress = %q, want a report of 2 deleted", progress)
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
	if got := est.jobsOf(t, step); got[jobFailed]+got[jobSucceeded] != 2 {
		t.Errorf("jobs of the step = %v, want 2 left", got)
	}
	// One at a time: the report speaks of one job.
	progress, diags = invokeAction(t, s, map[string]tftypes.Value{
		"step_id": str(step), "statuses": statusSet("Failed", "Succeeded"), "older_than": str("0s"),
		"max_jobs": tftypes.NewValue(tftypes.Number, 1),
	})
	requireNoDiagnostics(t, "InvokeAction", diags)
	if last := progress[len(progress)-1]; !strings.Contains(last, "Deleted 1 failed and succeeded system job of step") {
		t.Errorf("report = %q, want 1 system job deleted", last)
	}

	// By webhook: every step of it.
	progress, diags = invokeAction(t, s, map[string]tftypes.Value{
		"webhook_id": str(est.hooks[1]), "statuses": statusSet("Succeeded"), "older_than": str("0s"),
	})
	requireNoDiagnostics(t, "InvokeAction", diags)
	if got := est.jobsOf(t, other); got[jobSucceeded] != 0 || got[jobFailed] != 3 {
		t.Errorf("jobs of the other webhook's step = %v, want only its 3 failed ones", got)
	}
	if last := progress[len(progress)-1]; !strings.Contains(last, fmt.Sprintf("of webhook %q (1 step)", b.name("jobs-other"))) {
		t.Errorf("report = %q", last)
	}

	// A deleted step's jobs stay, and its id still reaches them; once they are gone, the id
	// names nothing.
	mustGet(t, "deleting the other step", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, b.client().DeleteStep(ctx, other)
	})
	progress, diags = invokeAction(t, s, map[string]tftypes.Value{
		"step_id": str(other), "statuses": statusSet("Failed"), "older_than": str("0s"),
	})
	requireNoDiagnostics(t, "InvokeAction", diags)
	if last := progress[len(progress)-1]; !strings.Contains(last, "Deleted 3 failed system jobs of deleted step "+other) {
		t.Errorf("report = %q, want the deleted step's 3 failed jobs deleted", last)
	}
	if _, diags = invokeAction(t, s, map[string]tftypes.Value{
		"step_id": str(other), "statuses": statusSet("Failed"), "older_than": str("0s"),
	}); len(diags) == 0 || diags[0].Summary != "No such step" {
		t.Errorf("a step id naming neither a step nor a job: diagnostics %+v, want No such step", diags)
	}

	// Both ids, one of them a reference known only when the action runs: refused when the
	// configuration is validated, as terraform plan -invoke does, before anything is deleted.
	before := est.jobsOf(t, step)
	_, diags = invokeActionKnownLate(t, s, map[string]tftypes.Value{
		"step_id": str(step), "webhook_id": str(est.hooks[1]), "statuses": statusSet("Failed", "Succeeded"), "older_than": str("0s"),
	}, "webhook_id")
	if len(diags) == 0 || diags[0].Summary != "Set step_id or webhook_id" {
		t.Errorf("step_id and a late webhook_id: diagnostics %+v, want Set step_id or webhook_id", diags)
	}
	if after := est.jobsOf(t, step); !maps.Equal(after, before) {
		t.Errorf("jobs of the step = %v after the refused action, were %v", after, before)
	}

	for _, tc := range []struct {
		config map[string]tftypes.Value
		want   string
	}{
		{map[string]tftypes.Value{"statuses": statusSet("Failed"), "older_than": str("1h")}, "Set step_id or webhook_id"},
		{map[string]tftypes.Value{"step_id": str(step), "webhook_id": str(est.hooks[1]), "statuses": statusSet("Failed"), "older_than": str("1h")}, "Set step_id or webhook_id"},
		{map[string]tftypes.Value{"step_id": str(step), "statuses": statusSet("Failed"), "older_than": str("-1h")}, "Invalid duration"},
		{map[string]tftypes.Value{"step_id": str(step), "statuses": statusSet("Canceled"), "older_than": str("1h")}, "Invalid Attribute Value Match"},
	} {
		_, diags := invokeAction(t, s, tc.config)
		if len(diags) == 0 || !strings.Contains(diags[0].Summary, tc.want) {
			t.Errorf("%v: diagnostics %+v, want %q", tc.config, diags, tc.want)
		}
	}
}

// Under service protection the parallel deletes are throttled (on the emulator by one request
// allowed in flight, on a live environment by a fault proxy); each waits as Retry-After says
// and the clean-up still deletes every job.
func TestAction_deleteSystemJobsWhenThrottled(t *testing.T) {
	t.Parallel()
	holdAccountUpdates(t)
	b := newFaultyBackend(t, faults{oneInFlight: true, throttle: 0.3, seed: 11})
	est := newJobsEstate(t, b, false)
	est.fire(t, est.failing, 6)
	s := protocolProvider(t, b)
	_, diags := invokeAction(t, s, map[string]tftypes.Value{
		"step_id": str(est.steps[0]), "statuses": statusSet("Failed"), "older_than": str("0s"),
	})
	requireNoDiagnostics(t, "InvokeAction", diags)
	if got := est.jobsOf(t, est.steps[0]); len(got) != 0 {
		t.Errorf("jobs left = %v, want none", got)
	}
	if b.faultStats().Throttled == 0 {
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

// Validation, which terraform plan -invoke runs, refuses two ids even when one is a reference
// not known yet, and passes one unknown id alone.
func TestAction_deleteSystemJobsScopeValidatedWithUnknowns(t *testing.T) {
	t.Parallel()
	server := protocolProvider(t, newBackend(t))
	as := providerSchemas(t, server).ActionSchemas["dataverse_delete_system_jobs"]
	actions, ok := server.(tfprotov6.ActionServer)
	if as == nil || !ok {
		t.Fatal("no action dataverse_delete_system_jobs")
	}
	unknown := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	const id = "00000000-0000-0000-0000-000000000001"
	for _, tc := range []struct {
		name        string
		step, hook  tftypes.Value
		wantRefused bool
	}{
		{"a step id and an unknown webhook id", str(id), unknown, true},
		{"two unknown ids", unknown, unknown, true},
		{"an unknown step id alone", unknown, tftypes.NewValue(tftypes.String, nil), false},
	} {
		cfg := dynamicValue(t, objectOf(as.Schema.Block, map[string]tftypes.Value{
			"step_id": tc.step, "webhook_id": tc.hook, "statuses": statusSet("Failed"), "older_than": str("1h"),
		}))
		v, err := actions.ValidateActionConfig(context.Background(), &tfprotov6.ValidateActionConfigRequest{ActionType: "dataverse_delete_system_jobs", Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		refused := len(v.Diagnostics) == 1 && v.Diagnostics[0].Summary == "Set step_id or webhook_id"
		if refused != tc.wantRefused || (!tc.wantRefused && len(v.Diagnostics) > 0) {
			t.Errorf("%s: diagnostics %+v, want refused %v", tc.name, v.Diagnostics, tc.wantRefused)
		}
	}
}
