package provider

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/webhookfleet"
)

// Scale, throttling, faults and cancellation, through the Terraform CLI. Sizes suit every test
// run; DATAVERSE_STRESS=1 (make stress) runs them at full size and adds the timing checks,
// which would flake on a loaded 2-core machine at small sizes.

// fleet is a configuration of webhooks, each with the same number of steps: the graph of
// webhookfleet, which the benchmark applies too.
type fleet struct {
	webhooks, stepsPerWebhook int
}

func (f fleet) graph() webhookfleet.Fleet {
	return webhookfleet.Fleet{Webhooks: f.webhooks, StepsPerWebhook: f.stepsPerWebhook}
}

func (f fleet) steps() int { return f.graph().Steps() }

// pairs counts the distinct (message, table) pairs of the fleet.
func (f fleet) pairs() int { return f.graph().Pairs() }

// hcl is the fleet's resource blocks, the webhooks named after prefix.
func (f fleet) hcl(prefix string) string { return f.graph().HCL(prefix, "key-") }

// webhooksPerStepQuery is how many webhooks' steps the client reads in one query.
const webhooksPerStepQuery = 40

// refreshQueries is what a refresh of the whole fleet may cost: the webhooks in one query, and
// their steps in one query per webhooksPerStepQuery webhooks.
func (f fleet) refreshQueries() int64 {
	return int64(1 + (f.webhooks+webhooksPerStepQuery-1)/webhooksPerStepQuery)
}

// writeFleet writes the configuration of a fleet against an emulator.
func writeFleet(t *testing.T, ws *tfcli.Workspace, e *emulator.Emulator, f fleet, prefix string) {
	t.Helper()
	writeFleetFor(t, ws, emulatorBackend(e), f, prefix)
}

func emulatorIDs(e *emulator.Emulator, set, key string) []string {
	var ids []string
	for _, row := range e.AddedRows(set) {
		ids = append(ids, strings.ToLower(fmt.Sprint(row[key])))
	}
	slices.Sort(ids)
	return ids
}

// checkStateMatchesDataverse fails unless Dataverse holds exactly the webhooks and steps in state:
// no duplicate created by a retry, no row orphaned by a lost answer. A nil want skips the counts.
func checkStateMatchesDataverse(t *testing.T, ws *tfcli.Workspace, e *emulator.Emulator, want *fleet) {
	t.Helper()
	checkStateMatches(t, ws, emulatorIDs(e, "serviceendpoints", "serviceendpointid"),
		emulatorIDs(e, "sdkmessageprocessingsteps", "sdkmessageprocessingstepid"), want)
}

// checkStateMatchesBackend is checkStateMatchesDataverse for the webhooks of a backend named
// namePrefix*, and their steps, as its client lists them.
func checkStateMatchesBackend(t *testing.T, ws *tfcli.Workspace, b backend, namePrefix string, want *fleet) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	hooks, err := b.client().ListWebhooks(ctx, dataverse.WebhookFilter{NamePrefix: namePrefix})
	if err != nil {
		t.Fatalf("listing the webhooks named %s*: %v", namePrefix, err)
	}
	hookIDs := make([]string, len(hooks))
	for i, h := range hooks {
		hookIDs[i] = strings.ToLower(h.ID)
	}
	steps, err := b.client().ListStepsOfWebhooks(ctx, hookIDs)
	if err != nil {
		t.Fatalf("listing the steps of the webhooks named %s*: %v", namePrefix, err)
	}
	stepIDs := make([]string, len(steps))
	for i, st := range steps {
		stepIDs[i] = strings.ToLower(st.ID)
	}
	slices.Sort(hookIDs)
	slices.Sort(stepIDs)
	checkStateMatches(t, ws, hookIDs, stepIDs, want)
}

func checkStateMatches(t *testing.T, ws *tfcli.Workspace, webhookIDs, stepIDs []string, want *fleet) {
	t.Helper()
	wantWebhooks, wantSteps := -1, -1
	if want != nil {
		wantWebhooks, wantSteps = want.webhooks, want.steps()
	}
	for _, c := range []struct {
		resourceType string
		inDataverse  []string
		want         int
	}{
		{"dataverse_webhook", webhookIDs, wantWebhooks},
		{"dataverse_webhook_step", stepIDs, wantSteps},
	} {
		inState := stateIDs(t, ws, c.resourceType)
		inDataverse := c.inDataverse
		if !slices.Equal(inState, inDataverse) {
			t.Errorf("%s: state holds %d ids, Dataverse %d rows; they differ (orphans: %v; missing: %v)",
				c.resourceType, len(inState), len(inDataverse), missingFrom(inState, inDataverse), missingFrom(inDataverse, inState))
		}
		if c.want >= 0 && len(inDataverse) != c.want {
			t.Errorf("%s: Dataverse holds %d rows, want %d", c.resourceType, len(inDataverse), c.want)
		}
	}
}

// missingFrom lists the ids of have that are not in list.
func missingFrom(list, have []string) []string {
	var out []string
	for _, id := range have {
		if _, found := slices.BinarySearch(list, id); !found {
			out = append(out, id)
		}
	}
	return out
}

// A no-change plan reads every webhook and step. Read one by one that is W+S requests; from the
// client's snapshots it is one query for the webhooks and one per 40 webhooks for the steps.
// Creating them costs a name check and a create per webhook, a create per step, and one
// filter lookup per (message, table) pair in each provider process: nothing re-reads what a
// create returned.
func TestScale_requestBudgetsOfApplyPlanAndDestroy(t *testing.T) {
	t.Parallel()
	f := fleet{webhooks: 50, stepsPerWebhook: 4}
	if stressMode() {
		f = fleet{webhooks: 200, stepsPerWebhook: 4}
	}
	b := newBackend(t)
	ws := newWorkspace(t)
	prefix := b.name("budget")
	writeFleetFor(t, ws, b, f, prefix)
	requests := countRequests(t, b, ws)

	requests.reset()
	mustRun(t, ws, applyArgs("-parallelism=20")...)
	st := requests.stats(t)
	t.Logf("apply of %d webhooks and %d steps: %d Web API requests %v %v, %d token requests",
		f.webhooks, f.steps(), st.Requests.Total, st.Requests.ByMethod, st.Requests.ByEntitySet, st.TokenRequests)
	// The plan and the apply run in two provider processes; each looks each pair up once.
	lookups := 2 * f.pairs()
	if budget := int64(f.webhooks + f.webhooks + f.steps() + lookups); st.Requests.Total > budget {
		t.Errorf("apply made %d Web API requests, want at most %d (%d name checks, %d webhook creates, %d step creates, %d pair lookups)",
			st.Requests.Total, budget, f.webhooks, f.webhooks, f.steps(), lookups)
	}
	if got, want := st.Requests.ByMethod["POST"], int64(f.webhooks+f.steps()); got != want {
		t.Errorf("apply made %d creates, want %d", got, want)
	}
	if got := st.Requests.ByEntitySet["sdkmessagefilters"]; got > int64(lookups) {
		t.Errorf("apply made %d filter lookups, want at most %d (one per pair per process)", got, lookups)
	}
	if got := st.Requests.ByMethod["GET"] - st.Requests.ByEntitySet["sdkmessagefilters"]; got > int64(f.webhooks) {
		t.Errorf("apply made %d reads besides the filter lookups, want at most %d name checks: a create's answer must not be read again", got, f.webhooks)
	}
	if st.TokenRequests > 2 { // -1 on a live environment: only the emulator counts sign-ins
		t.Errorf("apply made %d token requests, want at most one per provider process that calls Dataverse (2)", st.TokenRequests)
	}
	checkStateMatchesBackend(t, ws, b, prefix, &f)

	requests.reset()
	planNoChanges(t, ws, "after the apply")
	st = requests.stats(t)
	t.Logf("no-change plan: %d Web API requests %v", st.Requests.Total, st.Requests.ByEntitySet)
	if refresh := f.refreshQueries(); st.Requests.Total > refresh {
		t.Errorf("a no-change plan of %d webhooks and %d steps made %d Web API requests, want at most %d: one query for the "+
			"webhooks and one per %d webhooks for their steps, never one per resource (%v)",
			f.webhooks, f.steps(), st.Requests.Total, refresh, webhooksPerStepQuery, st.Requests.ByEntitySet)
	}

	requests.reset()
	mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=20")
	st = requests.stats(t)
	t.Logf("destroy: %d Web API requests %v", st.Requests.Total, st.Requests.ByMethod)
	if got, most := st.Requests.ByMethod["DELETE"], int64(f.webhooks+f.steps()); got > most {
		t.Errorf("destroy made %d deletes, want at most %d", got, most)
	}
	// The refresh before a destroy reads as the plan's does.
	if got, most := st.Requests.ByMethod["GET"], f.refreshQueries(); got > most {
		t.Errorf("destroy made %d reads, want at most %d (the refresh's queries, never one per resource)", got, most)
	}
	if got, most := st.Requests.Total, int64(f.webhooks+f.steps())+f.refreshQueries(); got > most {
		t.Errorf("destroy made %d Web API requests, want at most %d", got, most)
	}
	if err := b.checkDestroyed()(nil); err != nil {
		t.Error(err)
	}
}

// throttleLimits are the emulator's service protection limits for the throttling test: the
// documented ones at full size, and a short window with few requests at test size so that
// throttling really happens.
func throttleLimits(stress bool) func(*emulator.Options) {
	return func(o *emulator.Options) {
		o.MaxConcurrent, o.MaxRequestsPerWindow, o.Window = 8, 40, 2*time.Second
		if stress {
			o.MaxConcurrent, o.MaxRequestsPerWindow, o.Window = 52, 600, 10*time.Second
		}
	}
}

// With Terraform running more operations at once than Dataverse admits, the provider waits out
// every 429 and the apply succeeds with exactly one row per resource.
//
// At full size (emulator only) the apply must also take no more than 1.3 times the larger of
// what its request budget needs under the limits and what the same apply takes without limits
// (Terraform's own pace, measured first): waiting out a 429 must cost little more than the wait
// Dataverse asks for.
func TestScale_throttledApplyLosesNothing(t *testing.T) {
	if stressMode() {
		throttledApplyAtFullSize(t)
		return
	}
	t.Parallel()
	f := fleet{webhooks: 20, stepsPerWebhook: 3}
	b := newFaultyBackend(t, faults{throttle: 0.1, seed: 7})
	ws := b.workspace(t)
	prefix := b.name("throttled")
	writeFleetFor(t, ws, b, f, prefix)
	wall := timedApply(t, ws)
	st := b.faultStats()
	t.Logf("throttled plan and apply of %d webhooks and %d steps: apply %s, %d Web API requests, %d throttled",
		f.webhooks, f.steps(), wall.Round(time.Millisecond), st.Requests, st.Throttled)
	if st.Throttled == 0 {
		t.Errorf("no request was throttled; the test does not exercise throttling (%d requests)", st.Requests)
	}
	checkStateMatchesBackend(t, ws, b, prefix, &f)
	mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=64")
	if err := b.checkDestroyed()(nil); err != nil {
		t.Error(err)
	}
}

// throttledApplyAtFullSize runs alone, so that its two timings compare like with like, against
// emulators whose limits it sets from the first timing.
func throttledApplyAtFullSize(t *testing.T) {
	// 1206 requests: two full windows of 600 and a few more, or fewer per window below.
	f := fleet{webhooks: 200, stepsPerWebhook: 4}
	e := needsEmulator(t, "times an apply under service protection limits set from an unlimited one",
		func(o *emulator.Options) { o.MaxConcurrent, o.MaxRequestsPerWindow = -1, -1 })
	unlimited := timedApply(t, fleetWorkspace(t, e, f))
	t.Logf("the same apply without limits: %s", unlimited.Round(time.Millisecond))

	var limits emulator.Options
	throttleLimits(true)(&limits)
	// Dataverse's 600 per window throttle only a machine fast enough to send more: the window
	// admits what lets the limits alone need about 1.5 times the unlimited apply, so that
	// throttling happens on any machine (and never more than Dataverse admits).
	budget := int64(2*f.webhooks + f.steps() + f.pairs())
	perWindow := int(float64(budget) * float64(limits.Window) / (1.5 * float64(unlimited)))
	limits.MaxRequestsPerWindow = min(limits.MaxRequestsPerWindow, max(50, perWindow))
	e = launchEmulator(t, func(o *emulator.Options) {
		o.MaxConcurrent, o.MaxRequestsPerWindow, o.Window = limits.MaxConcurrent, limits.MaxRequestsPerWindow, limits.Window
	})
	ws := fleetWorkspace(t, e, f)
	wall := timedApply(t, ws)
	st := e.Stats()
	t.Logf("throttled plan and apply of %d webhooks and %d steps: apply %s, %d Web API requests, %d throttled",
		f.webhooks, f.steps(), wall.Round(time.Millisecond), st.Requests.Total, st.Throttled)
	if st.Throttled == 0 {
		t.Errorf("the emulator throttled no request; the test does not exercise throttling (%d requests)", st.Requests.Total)
	}
	checkStateMatchesDataverse(t, ws, e, &f)

	// The budget: a name check and a create per webhook, a create per step, a lookup per pair.
	// Each window admits MaxRequestsPerWindow of them.
	byLimits := time.Duration((budget-1)/int64(limits.MaxRequestsPerWindow)) * limits.Window
	bound := max(byLimits, unlimited)
	t.Logf("the limits alone need %s for a budget of %d requests; wall / max(limits, unlimited apply) = %.2f",
		byLimits, budget, float64(wall)/float64(bound))
	if float64(wall) > 1.3*float64(bound) {
		t.Errorf("throttled apply took %s, more than 1.3 times %s (the limits need %s for %d requests at %d per %s; without limits the apply took %s)",
			wall.Round(time.Millisecond), bound.Round(time.Millisecond), byLimits, budget, limits.MaxRequestsPerWindow, limits.Window, unlimited.Round(time.Millisecond))
	}
	mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=64")
	if err := checkNoRowsLeft(e)(nil); err != nil {
		t.Error(err)
	}
}

// fleetWorkspace is a workspace holding the configuration of a fleet against an emulator.
func fleetWorkspace(t *testing.T, e *emulator.Emulator, f fleet) *tfcli.Workspace {
	t.Helper()
	ws := newWorkspace(t)
	writeFleet(t, ws, e, f, "throttled")
	return ws
}

// timedApply plans a workspace's configuration to a file, then times
// `terraform apply -parallelism=64` of that plan: the plan's work is Terraform's, not
// Dataverse's. It lets the provider go up to Dataverse's own concurrency limit.
func timedApply(t *testing.T, ws *tfcli.Workspace) time.Duration {
	t.Helper()
	ws.Env = append(ws.Env, "DATAVERSE_MAX_CONCURRENT_REQUESTS=52")
	mustRun(t, ws, "plan", "-out=tfplan", "-input=false", "-no-color")
	start := time.Now()
	mustRun(t, ws, applyArgs("-parallelism=64", "tfplan")...)
	return time.Since(start)
}

// Gateway faults and answers lost after the write committed are retried without creating a
// second row or losing one.
func TestScale_faultsAndLostAnswersLoseNothing(t *testing.T) {
	t.Parallel()
	f := fleet{webhooks: 20, stepsPerWebhook: 3}
	if stressMode() {
		f = fleet{webhooks: 100, stepsPerWebhook: 4}
	}
	b := newFaultyBackend(t, faults{gateway: 0.1, dropAfterCommit: 0.05, seed: 42})
	ws := b.workspace(t)
	prefix := b.name("faulty")
	writeFleetFor(t, ws, b, f, prefix)

	mustRun(t, ws, applyArgs("-parallelism=20")...)
	st := b.faultStats()
	t.Logf("apply: %d Web API requests, %d faults, %d answers dropped", st.Requests, st.Faults, st.Dropped)
	if st.Faults == 0 || st.Dropped == 0 {
		t.Errorf("%d faults and %d dropped answers in %d requests; the test needs both", st.Faults, st.Dropped, st.Requests)
	}
	checkStateMatchesBackend(t, ws, b, prefix, &f)

	planNoChanges(t, ws, "after a faulty apply")
	checkStateMatchesBackend(t, ws, b, prefix, &f)

	mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=20")
	if err := b.checkDestroyed()(nil); err != nil {
		t.Error(err)
	}
}

// A request Dataverse refuses for good fails its resource at once, with Dataverse's code and
// message, and is not retried.
func TestScale_permanentErrorsFailAtOnceWithDataversesWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// arrange prepares the backend and returns the provider block and the webhook's extra arguments.
		arrange     func(t *testing.T, b backend) (provider, extra string)
		wantStatus  string
		wantCode    string
		wantMessage string
		// liveWant, when set, is what a live environment's diagnostic must match in place of
		// wantStatus and wantCode, which are then the emulator's alone: Dataverse's own for the
		// case are not on record.
		liveWant  string
		wantPosts int64
		wantGets  int64
	}{
		{
			name: "application without a user in the environment",
			arrange: func(t *testing.T, b backend) (string, string) {
				return strangerProvider(t, b), ""
			},
			wantStatus: "HTTP 403", wantMessage: "is not a member of the organization",
			liveWant:  `HTTP 4\d\d`,
			wantPosts: 0, wantGets: 1, // the plan's listing of the webhooks, refused
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			ws := newWorkspace(t)
			provider, extra := tc.arrange(t, b)
			name := b.name("refused")
			if err := ws.WriteFile("main.tf", requiredProviders+provider+fmt.Sprintf(`
resource "dataverse_webhook" "refused" {
  name        = %q
  url         = "https://fn.example.net/api/refused"
  auth_type   = "WebhookKey"
  auth_key_wo = "refused-key"
  %s
}
`, name, extra)); err != nil {
				t.Fatal(err)
			}
			requests := countRequests(t, b, ws)
			requests.reset()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			res, err := ws.Run(ctx, applyArgs()...)
			if err == nil {
				t.Fatalf("apply succeeded; want it refused:\n%s", res.Stdout)
			}
			st := requests.stats(t)
			wants := []string{tc.wantStatus, tc.wantCode}
			switch {
			case b.emulator() != nil:
				// The emulator's own wording; a live environment's may differ, and is passed on as it is.
				wants = append(wants, tc.wantMessage)
			case tc.liveWant != "":
				wants = nil
				if !regexp.MustCompile(tc.liveWant).MatchString(oneLine(res.Stderr)) {
					t.Errorf("the diagnostic does not match %s:\n%s", tc.liveWant, res.Stderr)
				}
			}
			for _, want := range wants {
				if want != "" && !strings.Contains(oneLine(res.Stderr), want) {
					t.Errorf("the diagnostic lacks %q:\n%s", want, res.Stderr)
				}
			}
			if got := st.Requests.ByMethod["POST"]; got != tc.wantPosts {
				t.Errorf("creates sent = %d, want %d: a permanent error is not retried", got, tc.wantPosts)
			}
			if got := st.Requests.ByMethod["GET"]; got != tc.wantGets {
				t.Errorf("reads sent = %d, want %d (the name checks)", got, tc.wantGets)
			}
			if n := requests.retries(t); n != 0 {
				t.Errorf("%d requests were tried again: a permanent error is not retried", n)
			}
			if hooks := rowsOfPrefix(t, b, name).webhooks; len(hooks) != 0 {
				t.Errorf("webhooks %v in Dataverse after a refused create", hooks)
			}
		})
	}
}

// managedSolution is the unique name of a managed solution, to which no component can be added:
// on the emulator its sample one, in a live environment one of those Microsoft installs in
// every environment.
func managedSolution(t *testing.T, b backend) string {
	t.Helper()
	if b.emulator() != nil {
		return emulator.SampleManagedSolution
	}
	rows := mustGet(t, "looking for a managed solution", func(ctx context.Context) ([]map[string]any, error) {
		return b.user(t).Rows(ctx, "solutions?$select=uniquename&$filter="+url.QueryEscape("ismanaged eq true")+"&$top=1", "")
	})
	if len(rows) == 0 {
		t.Skip("adds a webhook to a managed solution: the environment has none")
	}
	return fmt.Sprint(rows[0]["uniquename"])
}

// strangerProvider is a provider block signing in as an application of the backend's tenant
// that has no application user in its environment: on the emulator one registered for the
// test, in a live environment DATAVERSE_ACC_STRANGER_CLIENT_ID's with its secret.
func strangerProvider(t *testing.T, b backend) string {
	t.Helper()
	if e := b.emulator(); e != nil {
		const strangerID, strangerSecret = "7d3c1b2a-9e8f-4a6b-8c5d-1e2f3a4b5c6d", "stranger~S3cret-value"
		e.Entra().RegisterSecretClient(strangerID, strangerSecret)
		return providerConfig(e.URL(), e.TenantID(), strangerID, strangerSecret, e.AuthorityHost())
	}
	const does = "signs in as an application without a user in the environment"
	id := variableOrSkip(t, "DATAVERSE_ACC_STRANGER_CLIENT_ID", does, "the client id of an application of the tenant that has no application user in the environment")
	secret := variableOrSkip(t, "DATAVERSE_ACC_STRANGER_CLIENT_SECRET", does, "a client secret of DATAVERSE_ACC_STRANGER_CLIENT_ID")
	return providerConfig(os.Getenv("DATAVERSE_URL"), os.Getenv("DATAVERSE_TENANT_ID"), id, secret,
		cmp.Or(os.Getenv("DATAVERSE_AUTHORITY_HOST"), auth.DefaultAuthorityHost))
}
