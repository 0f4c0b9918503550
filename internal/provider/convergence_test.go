package provider

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/webhookfleet"
)

// Kill at any point, converge with nothing extra: an apply is stopped after the emulator has
// seen N writes (SIGKILL to the provider, SIGKILL to Terraform, or SIGINT to Terraform), then
// applied again to the end; Dataverse must then hold exactly the configured rows, all in state,
// with a plan of no changes. The steps configured disabled must never be enabled in Dataverse,
// not even between the stop and the next apply. In every test run a few stop points per way of
// stopping; DATAVERSE_STRESS=1 (make stress) runs 20 per way over 10 webhooks.

// crashFleet is W webhooks, each with a Create, an Update and a Delete step (the Delete step
// disabled), each step with one image.
type crashFleet struct{ webhooks int }

const crashStepsPerWebhook = 3

func (f crashFleet) hcl(prefix string) string {
	steps := []struct{ message, imageType, enabled string }{
		{"Create", "PostImage", "true"},
		{"Update", "PreImage", "true"},
		{"Delete", "PreImage", "false"},
	}
	var b strings.Builder
	for i := range f.webhooks {
		b.WriteString(webhookfleet.Webhook(i, prefix, "key-"))
		for j, s := range steps {
			fmt.Fprintf(&b, `
resource "dataverse_webhook_step" "w%[1]d_s%[2]d" {
  webhook_id = dataverse_webhook.w%[1]d.id
  message    = %[3]q
  table      = "account"
  enabled    = %[4]s
}

resource "dataverse_webhook_step_image" "w%[1]d_s%[2]d" {
  step_id = dataverse_webhook_step.w%[1]d_s%[2]d.id
  type    = %[5]q
  alias   = "image"
}
`, i, j, s.message, s.enabled, s.imageType)
		}
	}
	return b.String()
}

// crashRows are the rows of one prefix in Dataverse.
type crashRows struct {
	webhooks, steps, images []string // lower-case ids
	// enabledDisabled lists the Delete steps (configured disabled) that are enabled.
	enabledDisabled []string
	// duplicates names identities held by more than one row.
	duplicates []string
}

// rowsOfPrefix reads, through the backend's client, the webhooks whose names start with
// prefix, their steps and the steps' images.
func rowsOfPrefix(t *testing.T, b backend, prefix string) crashRows {
	t.Helper()
	hooks := mustGet(t, "listing the webhooks named "+prefix+"-*", func(ctx context.Context) ([]dataverse.Webhook, error) {
		return b.client().ListWebhooks(ctx, dataverse.WebhookFilter{NamePrefix: prefix + "-"})
	})
	var out crashRows
	seen := map[string]int{}
	for _, w := range hooks {
		out.webhooks = append(out.webhooks, strings.ToLower(w.ID))
		seen["webhook "+strings.ToLower(w.Name)]++
	}
	steps := mustGet(t, "listing their steps", func(ctx context.Context) ([]dataverse.Step, error) {
		return b.client().ListStepsOfWebhooks(ctx, out.webhooks)
	})
	for _, s := range steps {
		id := strings.ToLower(s.ID)
		out.steps = append(out.steps, id)
		seen["step "+strings.ToLower(s.EventHandlerID)+" "+strings.ToLower(s.Name)]++
		if strings.Contains(s.Name, "Delete") && s.Enabled {
			out.enabledDisabled = append(out.enabledDisabled, id)
		}
	}
	images := mustGet(t, "listing the images of their steps", func(ctx context.Context) (map[string][]dataverse.StepImage, error) {
		return b.client().ListImagesOfSteps(ctx, out.steps)
	})
	for step, list := range images {
		for _, img := range list {
			out.images = append(out.images, strings.ToLower(img.ID))
			seen["image "+strings.ToLower(step)+" "+img.EntityAlias]++
		}
	}
	for identity, n := range seen {
		if n > 1 {
			out.duplicates = append(out.duplicates, fmt.Sprintf("%s (%d rows)", identity, n))
		}
	}
	for _, list := range [][]string{out.webhooks, out.steps, out.images, out.duplicates} {
		slices.Sort(list)
	}
	return out
}

// writes counts the emulator's write requests so far.
// providerChildren lists the provider processes Terraform (pid) started.
func providerChildren(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, ent := range entries {
		child, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis.
		s := string(stat)
		end := strings.LastIndexByte(s, ')')
		open := strings.IndexByte(s, '(')
		if end < 0 || open < 0 {
			continue
		}
		fields := strings.Fields(s[end+1:])
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		if strings.HasPrefix(s[open+1:end], "terraform-prov") {
			out = append(out, child)
		}
	}
	return out
}

type stopWay string

const (
	killProvider  stopWay = "SIGKILL to the provider"
	killTerraform stopWay = "SIGKILL to Terraform"
	interrupt     stopWay = "SIGINT to Terraform"
)

var wayCodes = map[stopWay]string{killProvider: "kp", killTerraform: "kt", interrupt: "int"}

// applyStoppedAfter runs an apply and stops it the given way once `after` more writes have been
// counted. It reports whether the stop happened (the apply may finish first).
func applyStoppedAfter(t *testing.T, ws *tfcli.Workspace, requests *requestCounter, way stopWay, after int64) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := ws.Command(ctx, applyArgs("-parallelism=10")...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	base := requests.writes(t)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var orphans []int
	for {
		select {
		case <-done:
			return false
		case <-tick.C:
		}
		if requests.writes(t)-base < after {
			continue
		}
		switch way {
		case killProvider:
			children := providerChildren(cmd.Process.Pid)
			if len(children) == 0 {
				continue // between two provider processes: try at the next write
			}
			for _, pid := range children {
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Kill()
				}
			}
		case killTerraform:
			// The providers outlive their Terraform: nothing tells them it is gone, and an idle
			// provider writes nothing that would fail on its closed pipe. Requests they have in
			// flight may still land, as in a real pipeline.
			orphans = providerChildren(cmd.Process.Pid)
			_ = cmd.Process.Kill()
		case interrupt:
			_ = cmd.Process.Signal(os.Interrupt)
		}
		err := <-done
		if err == nil && way != interrupt {
			t.Logf("the apply finished despite %s after %d writes", way, after)
		}
		if way == killTerraform {
			// Give the orphaned providers a moment to finish what they had sent, then end them
			// as a pipeline's agent would, so that the next apply's counts are its own and no
			// process is left behind.
			time.Sleep(200 * time.Millisecond)
			for _, pid := range orphans {
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Kill()
				}
			}
		}
		return true
	}
}

func TestConvergence_stoppedAppliesConvergeWithNothingExtra(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("finds the provider process through /proc")
	}
	t.Parallel()
	f, points := crashFleet{webhooks: 3}, 2
	if stressMode() {
		f, points = crashFleet{webhooks: 10}, 20
	}
	total := int64(f.webhooks * (1 + 2*crashStepsPerWebhook)) // one create per row
	// Latency leaves room to stop between two writes; a live environment has its own.
	b := newBackend(t, func(o *emulator.Options) { o.Latency = 5 * time.Millisecond })
	for _, way := range []stopWay{killProvider, killTerraform, interrupt} {
		for k := range points {
			// Stop points spread over the apply's writes, from the first to the one before the last.
			after := 1 + int64(k)*(total-2)/int64(max(points-1, 1))
			prefix := b.name(fmt.Sprintf("crash-%s-%d", wayCodes[way], k))
			t.Run(fmt.Sprintf("%s after %d writes", way, after), func(t *testing.T) {
				ws := newWorkspace(t)
				if err := ws.WriteFile("main.tf", requiredProviders+b.providerBlock()+f.hcl(prefix)); err != nil {
					t.Fatal(err)
				}
				stopped := applyStoppedAfter(t, ws, countRequests(t, b, ws), way, after)
				if way == killTerraform {
					setAsideCutState(t, ws)
				}
				rows := rowsOfPrefix(t, b, prefix)
				t.Logf("stopped=%v: %d webhooks, %d steps, %d images in Dataverse", stopped, len(rows.webhooks), len(rows.steps), len(rows.images))
				if len(rows.enabledDisabled) > 0 {
					t.Errorf("steps configured disabled are enabled after the stop: %v", rows.enabledDisabled)
				}
				if len(rows.duplicates) > 0 {
					t.Errorf("duplicates after the stop: %v", rows.duplicates)
				}

				mustRun(t, ws, applyArgs("-parallelism=10")...)
				rows = rowsOfPrefix(t, b, prefix)
				if len(rows.duplicates) > 0 {
					t.Errorf("duplicates after the second apply: %v", rows.duplicates)
				}
				if len(rows.webhooks) != f.webhooks || len(rows.steps) != f.webhooks*crashStepsPerWebhook || len(rows.images) != f.webhooks*crashStepsPerWebhook {
					t.Errorf("Dataverse holds %d webhooks, %d steps, %d images; want %d, %d, %d",
						len(rows.webhooks), len(rows.steps), len(rows.images), f.webhooks, f.webhooks*crashStepsPerWebhook, f.webhooks*crashStepsPerWebhook)
				}
				if len(rows.enabledDisabled) > 0 {
					t.Errorf("steps configured disabled are enabled: %v", rows.enabledDisabled)
				}
				for _, c := range []struct {
					resourceType string
					rows         []string
				}{{"dataverse_webhook", rows.webhooks}, {"dataverse_webhook_step", rows.steps}, {"dataverse_webhook_step_image", rows.images}} {
					if inState := stateIDs(t, ws, c.resourceType); !slices.Equal(inState, c.rows) {
						t.Errorf("%s: state holds %v, Dataverse %v", c.resourceType, inState, c.rows)
					}
				}
				planNoChanges(t, ws, "after the second apply")
			})
		}
	}
}

// setAsideCutState moves the state file aside when Terraform was killed while writing it, which
// leaves the file cut short, as the crash-safe applies guide tells a user to: the next apply
// then takes the rows over by their ids, as after a lost state.
func setAsideCutState(t *testing.T, ws *tfcli.Workspace) {
	t.Helper()
	path := filepath.Join(ws.Dir, "terraform.tfstate")
	state, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && json.Valid(state)) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Terraform was killed while writing its state (%d bytes, not JSON): set aside", len(state))
	if err := os.Rename(path, path+".cut"); err != nil {
		t.Fatal(err)
	}
}

// Two applies of one configuration at once, each with its own state, against one environment:
// both must succeed or fail with a clear conflict, and Dataverse must hold one row per object.
func TestConvergence_concurrentAppliesOfOneConfigurationMakeOneRowEach(t *testing.T) {
	t.Parallel()
	f := crashFleet{webhooks: 3}
	if stressMode() {
		f = crashFleet{webhooks: 10}
	}
	// Latency widens the window between a name check and its create, where the two meet; a live
	// environment has its own.
	b := newBackend(t, func(o *emulator.Options) { o.Latency = 20 * time.Millisecond })
	prefix := b.name("twice")
	var spaces [2]*tfcli.Workspace
	for i := range spaces {
		spaces[i] = newWorkspace(t)
		if err := spaces[i].WriteFile("main.tf", requiredProviders+b.providerBlock()+f.hcl(prefix)); err != nil {
			t.Fatal(err)
		}
	}
	results := make(chan string, len(spaces))
	for _, ws := range spaces {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			res, err := ws.Run(ctx, applyArgs("-parallelism=10")...)
			if err != nil {
				results <- oneLine(res.Stdout + res.Stderr)
				return
			}
			results <- ""
		}()
	}
	for range spaces {
		if out := <-results; out != "" {
			// A clear conflict is acceptable; anything else is not.
			if !strings.Contains(out, "already exists") && !strings.Contains(out, "already in use") {
				t.Errorf("an apply failed without naming a conflict: %s", tail(out, 2000))
			} else {
				t.Logf("an apply reported a conflict: %s", tail(out, 400))
			}
		}
	}
	rows := rowsOfPrefix(t, b, prefix)
	if e := b.emulator(); e != nil {
		st := e.Stats()
		t.Logf("%d creates for %d rows: %d met a row the other apply made", st.Requests.ByMethod["POST"],
			len(rows.webhooks)+len(rows.steps)+len(rows.images), st.Requests.ByMethod["POST"]-int64(len(rows.webhooks)+len(rows.steps)+len(rows.images)))
	}
	if len(rows.duplicates) > 0 {
		t.Errorf("two rows for one object: %v", rows.duplicates)
	}
	if len(rows.webhooks) != f.webhooks || len(rows.steps) != f.webhooks*crashStepsPerWebhook || len(rows.images) != f.webhooks*crashStepsPerWebhook {
		t.Errorf("Dataverse holds %d webhooks, %d steps, %d images; want %d, %d, %d",
			len(rows.webhooks), len(rows.steps), len(rows.images), f.webhooks, f.webhooks*crashStepsPerWebhook, f.webhooks*crashStepsPerWebhook)
	}
	for i, ws := range spaces {
		if inState := stateIDs(t, ws, "dataverse_webhook_step"); !slices.Equal(inState, rows.steps) {
			t.Errorf("workspace %d holds steps %v, Dataverse %v", i, inState, rows.steps)
		}
	}
}

// An apply whose state was lost (Terraform killed before it saved, a pipeline's state never
// uploaded) left its rows in Dataverse. The next apply finds them under their own ids and takes
// them over, duplicating nothing; a row that no longer matches the configuration is refused with
// an import hint rather than taken over or duplicated.
func TestConvergence_rowsOfALostStateAreAdopted(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ws := newWorkspace(t)
	f := crashFleet{webhooks: 2}
	prefix := b.name("lost")
	cfg := requiredProviders + b.providerBlock() + f.hcl(prefix)
	if err := ws.WriteFile("main.tf", cfg); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ws, applyArgs()...)
	before := rowsOfPrefix(t, b, prefix)
	if err := os.Remove(filepath.Join(ws.Dir, "terraform.tfstate")); err != nil {
		t.Fatal(err)
	}

	// Nothing tells these rows from another configuration's webhooks of the same names: the
	// plan says it takes them over, naming each, without writing.
	requests := countRequests(t, b, ws)
	requests.reset()
	planned := oneLine(mustRun(t, ws, "plan", "-input=false", "-no-color").Stdout)
	// Terraform shows the first warning of a kind and counts the others (one, of two webhooks).
	name := prefix + "-000"
	if !strings.Contains(planned, "Existing webhook taken over with dataverse_webhook.w0, on main.tf") ||
		!strings.Contains(planned, fmt.Sprintf("named %q with id %s", name, dataverse.WebhookIDFor(name, 0))) ||
		!strings.Contains(planned, "(and one more similar warning") {
		t.Errorf("the plan does not warn that it takes over each webhook:\n%s", planned)
	}
	if n := requests.writes(t); n != 0 {
		t.Errorf("the plan wrote %d times", n)
	}
	requests.reset()
	mustRun(t, ws, applyArgs()...)
	after := rowsOfPrefix(t, b, prefix)
	if !slices.Equal(after.webhooks, before.webhooks) || !slices.Equal(after.steps, before.steps) || !slices.Equal(after.images, before.images) {
		t.Errorf("Dataverse changed from %+v to %+v; want the rows taken over as they were", before, after)
	}
	if got := stateIDs(t, ws, "dataverse_webhook_step"); !slices.Equal(got, after.steps) {
		t.Errorf("state holds steps %v, Dataverse %v", got, after.steps)
	}
	if got := requests.stats(t).Requests.ByMethod["DELETE"]; got != 0 {
		t.Errorf("the apply deleted %d rows; want none", got)
	}
	planNoChanges(t, ws, "after taking the rows over")

	// The state is lost again, and meanwhile the configuration changed one webhook's url.
	if err := os.Remove(filepath.Join(ws.Dir, "terraform.tfstate")); err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(cfg, "https://fn.example.net/api/"+prefix+"/1", "https://fn.example.net/api/"+prefix+"/moved", 1)
	if changed == cfg {
		t.Fatal("the configuration has no url of webhook 1 to change")
	}
	if err := ws.WriteFile("main.tf", changed); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The plan refuses it, as the apply would.
	res, err := ws.Run(ctx, "plan", "-input=false", "-no-color")
	if err == nil {
		t.Fatal("the plan would take over a webhook whose url differs from the configuration")
	}
	out := oneLine(res.Stdout + res.Stderr)
	hookID := dataverse.WebhookIDFor(prefix+"-001", 0)
	for _, want := range []string{"A webhook with this identity already exists", "url (stored", "terraform import <resource address> " + hookID, "add a moved block from the old address"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, tail(res.Stdout+res.Stderr, 40))
		}
	}
	if again := rowsOfPrefix(t, b, prefix); !slices.Equal(again.webhooks, before.webhooks) || len(again.duplicates) > 0 {
		t.Errorf("webhooks %v (duplicates %v), want %v", again.webhooks, again.duplicates, before.webhooks)
	}
}

// Every create is committed and its answer dropped, and the provider may make one attempt only:
// each create ends with its retries exhausted and its outcome unknown. The provider must read each
// row back by its id and record it, so the apply succeeds with exactly the configured rows.
func TestConvergence_lostAnswersWithNoRetryLeftAreReadBack(t *testing.T) {
	t.Parallel()
	b := newFaultyBackend(t, faults{dropAfterCommit: 1, seed: 3})
	ws := b.workspace(t)
	f := crashFleet{webhooks: 2}
	prefix := b.name("unanswered")
	provider := strings.Replace(b.providerBlock(), "provider \"dataverse\" {", "provider \"dataverse\" {\n  max_retries = 1\n", 1)
	if err := ws.WriteFile("main.tf", requiredProviders+provider+f.hcl(prefix)); err != nil {
		t.Fatal(err)
	}
	requests := countRequests(t, b, ws)
	requests.reset()
	mustRun(t, ws, applyArgs()...)
	rows := rowsOfPrefix(t, b, prefix)
	if len(rows.duplicates) > 0 || len(rows.webhooks) != f.webhooks || len(rows.steps) != f.webhooks*crashStepsPerWebhook || len(rows.images) != f.webhooks*crashStepsPerWebhook {
		t.Errorf("Dataverse holds %+v; want %d webhooks with %d steps and an image each", rows, f.webhooks, crashStepsPerWebhook)
	}
	if got := stateIDs(t, ws, "dataverse_webhook_step_image"); !slices.Equal(got, rows.images) {
		t.Errorf("state holds images %v, Dataverse %v", got, rows.images)
	}
	creates := int64(len(rows.webhooks) + len(rows.steps) + len(rows.images))
	if got := requests.stats(t).Requests.ByMethod["POST"]; got != creates {
		t.Errorf("%d creates for %d rows: want one attempt each", got, creates)
	}
	if n := requests.retries(t); n != 0 {
		t.Errorf("%d requests were tried again with max_retries = 1", n)
	}
	if st, writes := b.faultStats(), requests.writes(t); st.Dropped != writes {
		t.Errorf("%d answers dropped, want the answers of all %d writes", st.Dropped, writes)
	}
	planNoChanges(t, ws, "after the apply")
}

// A webhook keeps the id derived from its first name when it is renamed. A new webhook given
// that first name finds the id held by a webhook of another name, and takes the next id of the
// name's sequence rather than failing or touching the renamed one.
func TestAccWebhook_oldNameOfARenamedWebhook(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	hook := func(address, name string) string { return webhookBlock(address, b.name(name), "") }
	first := dataverse.WebhookIDFor(b.name("first name"), 0)
	unitTest(t, b, []resource.TestStep{
		{
			Config: b.providerBlock() + hook("a", "first name"),
			Check:  resource.TestCheckResourceAttr("dataverse_webhook.a", "id", first),
		},
		{
			Config: b.providerBlock() + hook("a", "second name"),
			Check:  resource.TestCheckResourceAttr("dataverse_webhook.a", "id", first),
		},
		{
			Config: b.providerBlock() + hook("a", "second name") + hook("b", "first name"),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("dataverse_webhook.a", "id", first),
				resource.TestCheckResourceAttr("dataverse_webhook.a", "name", b.name("second name")),
				resource.TestCheckResourceAttr("dataverse_webhook.b", "id", dataverse.WebhookIDFor(b.name("first name"), 1)),
			),
		},
	})
}

// Interrupting an apply (Ctrl-C) leaves what was created in state and nothing outside it, and
// the next apply finishes the job without creating anything twice.
func TestConvergence_interruptedApplyMakesNoDuplicates(t *testing.T) {
	t.Parallel()
	f := fleet{webhooks: 20, stepsPerWebhook: 3}
	if stressMode() {
		f = fleet{webhooks: 60, stepsPerWebhook: 4}
	}
	// Each request takes long enough that the apply is still creating when the signal arrives;
	// on a live environment, as long as it takes there.
	b := newBackend(t, func(o *emulator.Options) { o.Latency = 150 * time.Millisecond })
	ws := newWorkspace(t)
	prefix := b.name("interrupted")
	writeFleetFor(t, ws, b, f, prefix)

	const interruptAfter = 10
	created := 0
	out, stderr, waitErr := applyInterruptedAt(t, ws, func(line string) bool {
		if strings.Contains(line, "Creation complete") {
			created++
		}
		return created == interruptAfter
	})
	if created < interruptAfter {
		t.Fatalf("the apply finished before %d resources were created; nothing was interrupted:\n%s%s", interruptAfter, tail(out, 20), stderr)
	}
	if waitErr == nil {
		t.Fatalf("the apply ended successfully after the interrupt; want it stopped early:\n%s", tail(out, 20))
	}
	if !strings.Contains(out+stderr, "Interrupt received") {
		t.Errorf("terraform did not report the interrupt:\n%s", tail(out, 20))
	}
	inState := len(stateIDs(t, ws, "dataverse_webhook")) + len(stateIDs(t, ws, "dataverse_webhook_step"))
	t.Logf("interrupted after %d creations; %d resources in state", created, inState)
	if inState >= f.webhooks+f.steps() {
		t.Errorf("all %d resources are in state; the interrupt stopped nothing", inState)
	}
	checkStateMatchesBackend(t, ws, b, prefix, nil)

	mustRun(t, ws, applyArgs()...)
	checkStateMatchesBackend(t, ws, b, prefix, &f)
	planNoChanges(t, ws, "after the second apply")
	mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color")
	if err := b.checkDestroyed()(nil); err != nil {
		t.Error(err)
	}
}

func TestSetAsideCutState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, state string
		wantMoved   bool
	}{
		{name: "whole state stays", state: `{"version": 4, "resources": []}`},
		{name: "cut state is set aside", state: `{"version": 4, "reso`, wantMoved: true},
		{name: "no state", state: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := &tfcli.Workspace{Dir: t.TempDir()}
			path := filepath.Join(ws.Dir, "terraform.tfstate")
			if tc.state != "" {
				if err := os.WriteFile(path, []byte(tc.state), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			setAsideCutState(t, ws)
			_, errState := os.Stat(path)
			_, errCut := os.Stat(path + ".cut")
			if moved := errors.Is(errState, os.ErrNotExist) && errCut == nil; moved != tc.wantMoved {
				t.Errorf("moved = %v, want %v (state: %v, cut: %v)", moved, tc.wantMoved, errState, errCut)
			}
			if !tc.wantMoved && tc.state != "" && errState != nil {
				t.Errorf("the state is gone: %v", errState)
			}
		})
	}
}

// An image whose Create is interrupted (Ctrl-C) while it checks its alias and message property
// is not kept in state as refused: nothing refused it, and the next apply creates it as planned.
func TestConvergence_interruptedImageCheckKeepsNoImage(t *testing.T) {
	t.Parallel()
	// Each request is slow enough that the signal arrives while the image's checks are asking.
	b := newBackend(t, func(o *emulator.Options) { o.Latency = 400 * time.Millisecond })
	ws := newWorkspace(t)
	prefix := b.name("interrupted-image")
	cfg := requiredProviders + b.providerBlock() + webhookfleet.Webhook(0, prefix, "key-") +
		stepBlock("step", "w0", stepOn("Update", "account")) + `
resource "dataverse_webhook_step_image" "img" {
  step_id    = dataverse_webhook_step.step.id
  alias      = "before"
  type       = "PreImage"
  attributes = ["name"]
}
`
	if err := ws.WriteFile("main.tf", cfg); err != nil {
		t.Fatal(err)
	}
	interrupted := false
	out, stderr, _ := applyInterruptedAt(t, ws, func(line string) bool {
		interrupted = interrupted || strings.Contains(line, "dataverse_webhook_step_image.img: Creating...")
		return interrupted
	})
	if !interrupted {
		t.Fatalf("the image was never created:\n%s%s", tail(out, 20), stderr)
	}
	if strings.Contains(out, "dataverse_webhook_step_image.img: Creation complete") {
		t.Skipf("the image was created before the interrupt reached it:\n%s", tail(out, 20))
	}
	for _, id := range stateIDs(t, ws, "dataverse_webhook_step_image") {
		gctx, gcancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := b.client().GetStepImage(gctx, id)
		gcancel()
		if err != nil {
			t.Errorf("the state holds image %s that Dataverse does not (%v): an interrupted check was kept as a refusal", id, err)
		}
	}
	mustRun(t, ws, applyArgs()...)
	planNoChanges(t, ws, "after the second apply")
	if got := len(stateIDs(t, ws, "dataverse_webhook_step_image")); got != 1 {
		t.Errorf("%d images in state after the second apply, want 1", got)
	}
}

// applyInterruptedAt runs an apply and sends it SIGINT (Ctrl-C) once, at the first line of its
// output for which at reports true; it returns the output and how the apply ended.
func applyInterruptedAt(t *testing.T, ws *tfcli.Workspace, at func(line string) bool) (stdout, stderr string, waitErr error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := ws.Command(ctx, applyArgs()...)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sent := false
	lines := bufio.NewScanner(pipe)
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if !sent && at(lines.Text()) {
			sent = true
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, _ = io.Copy(io.Discard, pipe)
	waitErr = cmd.Wait()
	return out.String(), errOut.String(), waitErr
}
