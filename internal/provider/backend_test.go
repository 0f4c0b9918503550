package provider

// Backend test helpers: the emulator or live environment a scenario runs against, and its client.

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/dvuser"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/webhookrecorder"
)

// backend is where a scenario's Terraform runs: the in-process emulator under plain go test, a
// live environment under make testacc (DATAVERSE_LIVE=1). A scenario written against it runs on
// both. The tables and messages scenarios use (Create and Update of account and contact) exist
// in every environment and in the emulator's seed.
type backend interface {
	// providerBlock is the provider configuration, as HCL.
	providerBlock() string
	// name is base with this backend's prefix: names in a live environment carry a random
	// prefix so that runs, and parallel tests of one run, never collide.
	name(base string) string
	// checkDestroyed is a CheckDestroy that fails when a webhook, step or image of this
	// backend is left.
	checkDestroyed() func(*terraform.State) error
	// client reads what the provider stored, out of band.
	client() *dataverse.Client
	// user changes business rows through the Web API, as a person using the environment would,
	// so that registered steps fire.
	user(t *testing.T) *dvuser.Client
	// providerSigningInWith is the provider block with the backend's environment and
	// application but secret for the client secret.
	providerSigningInWith(t *testing.T, secret string) string
	// unmanagedSolution is the unique name of an unmanaged solution webhooks can be added to.
	unmanagedSolution(t *testing.T) string
	// failingEndpoint is a webhook URL every delivery to which fails.
	failingEndpoint(t *testing.T) failingEndpoint
	// receivingEndpoint is a webhook URL that accepts every delivery, so that its system jobs
	// succeed.
	receivingEndpoint(t *testing.T) string
	// recordingEndpoint is a webhook URL, of a path named for base, that accepts every delivery
	// and keeps it: a GET of the same URL returns what it received (package webhookrecorder).
	recordingEndpoint(t *testing.T, base string) string
	// pluginStep is the id of a step whose event handler is a plug-in type, not a webhook.
	pluginStep(t *testing.T) string
	// emulator is the emulator behind the backend, nil on a live environment; for checks of
	// what Dataverse never returns, such as a webhook's auth value.
	emulator() *emulator.Emulator
}

// failingEndpoint is where a scenario points a webhook whose deliveries must fail, and what
// Dataverse then records on each failed system job.
type failingEndpoint struct {
	url string
	// httpStatus is the status the receiver answers, "" when it answers nothing.
	httpStatus string
	// errorCode is the system job's error code: 0x80050201 for a non-success answer,
	// 0x80050205 for a send that got none.
	errorCode string
	// deliveries counts the attempts that reached the receiver; nil when it is not ours to see.
	deliveries *atomic.Int64
}

// liveEnvironment reports whether make testacc points the tests at a real environment.
func liveEnvironment() bool { return os.Getenv("DATAVERSE_LIVE") != "" }

// newBackend gives a scenario its backend: a fresh emulator of its own, shaped by opts, or the
// live environment the provider's environment variables name, which has latency and limits of
// its own.
func newBackend(t *testing.T, opts ...func(*emulator.Options)) backend {
	t.Helper()
	if liveEnvironment() {
		return newLiveBackend(t)
	}
	return emulatorBackend(launchEmulator(t, opts...))
}

// accountUpdates is held by each scenario that fires steps by updating accounts, while it runs
// on a live environment: there one scenario's update fires the steps every other scenario has
// registered on Update of account.
var accountUpdates sync.Mutex

// holdAccountUpdates keeps the scenario that calls it, before it starts its backend, alone
// among those that fire steps by updating accounts until it and its leftovers are gone. Each
// scenario has an emulator of its own, so there it waits for nothing.
func holdAccountUpdates(t *testing.T) {
	t.Helper()
	if liveEnvironment() {
		accountUpdates.Lock()
		t.Cleanup(accountUpdates.Unlock)
	}
}

// needsEmulator gives a test that needs what only the emulator can do (fault injection, request
// counts, seeded rows, its clock, captured deliveries, its store) an emulator of its own; on a
// live environment it skips, saying why.
func needsEmulator(t *testing.T, reason string, opts ...func(*emulator.Options)) *emulator.Emulator {
	t.Helper()
	if liveEnvironment() {
		t.Skip("needs the emulator: " + reason)
	}
	return launchEmulator(t, opts...)
}

func launchEmulator(t *testing.T, opts ...func(*emulator.Options)) *emulator.Emulator {
	t.Helper()
	o := emulator.Options{CA: testCA}
	for _, f := range opts {
		f(&o)
	}
	e, err := emulator.Start(o)
	if err != nil {
		t.Fatalf("starting the emulator: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

type emulatorTarget struct {
	e  *emulator.Emulator
	dv *dataverse.Client
}

// emulatorBackend serves the backend's helpers to a test that started its own emulator. Names
// carry no prefix: each test has an emulator to itself.
func emulatorBackend(e *emulator.Emulator) backend { return &emulatorTarget{e: e} }

func (b *emulatorTarget) providerBlock() string        { return providerBlock(b.e) }
func (b *emulatorTarget) name(base string) string      { return base }
func (b *emulatorTarget) emulator() *emulator.Emulator { return b.e }
func (b *emulatorTarget) checkDestroyed() func(*terraform.State) error {
	return checkNoRowsLeft(b.e)
}

func (b *emulatorTarget) providerSigningInWith(_ *testing.T, secret string) string {
	return providerBlockWithSecret(b.e, secret)
}

func (b *emulatorTarget) unmanagedSolution(*testing.T) string { return emulator.SampleSolution }

func (b *emulatorTarget) user(t *testing.T) *dvuser.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u, err := dvuser.New(ctx, b.e)
	if err != nil {
		t.Fatalf("signing in to the emulator as a user: %v", err)
	}
	return u
}

// failingEndpoint is a receiver on loopback that answers 500 to every delivery.
func (b *emulatorTarget) failingEndpoint(t *testing.T) failingEndpoint {
	rcv, n := failingReceiver(t)
	return failingEndpoint{url: rcv.URL + "/hook", httpStatus: "500", errorCode: "0x80050201", deliveries: n}
}

// receivingEndpoint is a recorder on loopback: it answers 200 to every delivery (a JSON body).
func (b *emulatorTarget) receivingEndpoint(t *testing.T) string {
	t.Helper()
	return b.recordingEndpoint(t, "hook")
}

// recordingEndpoint is a recorder of the test's own on loopback.
func (b *emulatorTarget) recordingEndpoint(t *testing.T, base string) string {
	t.Helper()
	rcv := httptest.NewServer(&webhookrecorder.Recorder{})
	t.Cleanup(rcv.Close)
	return rcv.URL + "/" + base
}

// pluginStep is the step of a plug-in type that the emulator holds, as every real environment
// holds steps of Microsoft's own plug-ins.
func (b *emulatorTarget) pluginStep(*testing.T) string { return emulator.SeededPluginStepID }

func (b *emulatorTarget) client() *dataverse.Client {
	if b.dv == nil {
		env := b.e.Env()
		dv, err := clientFromEnvironment(func(k string) string { return env[k] })
		if err != nil {
			panic(err) // the emulator gives every setting
		}
		b.dv = dv
	}
	return b.dv
}

type liveTarget struct {
	prefix string
	dv     *dataverse.Client
	tokens auth.TokenSource
}

func newLiveBackend(t *testing.T) backend {
	t.Helper()
	if os.Getenv("DATAVERSE_URL") == "" {
		t.Fatal("DATAVERSE_LIVE=1 runs the scenarios against a live environment: set DATAVERSE_URL and the credentials (see README), or unset DATAVERSE_LIVE to run them against the emulator")
	}
	pd, err := providerDataFromEnvironment(os.Getenv)
	if err != nil {
		t.Fatalf("DATAVERSE_LIVE=1: the live environment's settings: %v", err)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	b := &liveTarget{prefix: "tf-acc-" + hex.EncodeToString(suffix) + "-", dv: pd.client, tokens: pd.tokens}
	t.Cleanup(func() { b.removeLeftovers(t) })
	return b
}

// removeLeftovers deletes the webhooks named with this backend's prefix, and so their steps and
// images, that the test registered itself or that a Terraform run it made left behind.
func (b *liveTarget) removeLeftovers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	left, err := b.dv.ListWebhooks(ctx, dataverse.WebhookFilter{NamePrefix: b.prefix})
	if err != nil {
		t.Errorf("listing the webhooks named %s* to delete them: %v", b.prefix, err)
		return
	}
	for _, w := range left {
		if err := b.dv.DeleteWebhook(ctx, w.ID); err != nil && !errors.Is(err, dataverse.ErrNotFound) {
			t.Errorf("deleting the webhook %s: %v", w.Name, err)
		}
	}
}

func (b *liveTarget) providerBlock() string        { return "provider \"dataverse\" {}\n" }
func (b *liveTarget) name(base string) string      { return b.prefix + base }
func (b *liveTarget) client() *dataverse.Client    { return b.dv }
func (b *liveTarget) emulator() *emulator.Emulator { return nil }

// providerSigningInWith names what the environment variables name, and skips when their
// credentials are not a client secret: a secret in the block would then be a second one.
func (b *liveTarget) providerSigningInWith(t *testing.T, secret string) string {
	t.Helper()
	s, diags := resolveSettings(nil, os.Getenv)
	if diags.HasError() || s.auth.ClientSecret == "" {
		t.Skip("signs in with a wrong client secret: the live environment's credentials are not a client secret")
	}
	return providerConfig(s.auth.EnvironmentURL, s.auth.TenantID, s.auth.ClientID, secret, cmp.Or(s.auth.AuthorityHost, auth.DefaultAuthorityHost))
}

// unmanagedSolution is DATAVERSE_ACC_SOLUTION: no solution is known to exist in every
// environment, and a test run creates none.
func (b *liveTarget) unmanagedSolution(t *testing.T) string {
	t.Helper()
	return variableOrSkip(t, "DATAVERSE_ACC_SOLUTION", "adds a webhook to a solution", "the unique name of an unmanaged solution of the environment")
}

// variableOrSkip is the value of the environment variable name, which a scenario needs for what
// it does; unset, the scenario skips, saying what to set it to.
func variableOrSkip(t *testing.T, name, does, setTo string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s: set %s to %s", does, name, setTo)
	}
	return v
}

// user signs in as the provider does, with the credentials of the environment variables.
func (b *liveTarget) user(t *testing.T) *dvuser.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	token, err := b.tokens.Token(ctx, false)
	if err != nil {
		t.Fatalf("signing in to the live environment as a user: %v", err)
	}
	return dvuser.Connect(&http.Client{Transport: defaultTransport()}, b.dv.EnvironmentURL(), token)
}

// failingEndpoint is DATAVERSE_ACC_FAILING_URL, a receiver that answers 500 to every POST, when
// it is set. Otherwise it is a name under .invalid, which never resolves: Dataverse gets no
// answer at all.
func (b *liveTarget) failingEndpoint(*testing.T) failingEndpoint {
	if u := os.Getenv("DATAVERSE_ACC_FAILING_URL"); u != "" {
		return failingEndpoint{url: u, httpStatus: "500", errorCode: "0x80050201"}
	}
	return failingEndpoint{url: "https://failing-receiver.invalid/hook", errorCode: "0x80050205"}
}

// receivingEndpoint is DATAVERSE_ACC_RECEIVING_URL, a receiver that answers 200 to every POST,
// else a path of the recorder at DATAVERSE_ACC_RECORDER_URL; without either the test skips, as
// no such receiver is known to exist for every environment.
func (b *liveTarget) receivingEndpoint(t *testing.T) string {
	t.Helper()
	if os.Getenv("DATAVERSE_ACC_RECEIVING_URL") == "" && os.Getenv(recorderVariable) != "" {
		return b.recordingEndpoint(t, "receiving")
	}
	return variableOrSkip(t, "DATAVERSE_ACC_RECEIVING_URL", "needs deliveries that succeed",
		"a receiver that answers 200 to every POST, or set "+recorderVariable)
}

// recorderVariable names the base URL of a webhook recorder (internal/cmd/webhook-recorder)
// that the live environment can reach.
const recorderVariable = "DATAVERSE_ACC_RECORDER_URL"

// recordingEndpoint is a path of the recorder at DATAVERSE_ACC_RECORDER_URL named with this
// backend's prefix, which the recorder forgets when the test ends; without it the test skips.
func (b *liveTarget) recordingEndpoint(t *testing.T, base string) string {
	t.Helper()
	recorder := variableOrSkip(t, recorderVariable, "reads what a webhook receives",
		"the base URL of a webhook-recorder the environment can reach (go run ./internal/cmd/webhook-recorder)")
	u := strings.TrimRight(recorder, "/") + "/" + b.name(base)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := webhookrecorder.Forget(ctx, http.DefaultClient, u, os.Getenv(recorderTokenVariable)); err != nil {
			t.Errorf("asking the recorder to forget %s: %v", u, err)
		}
	})
	return u
}

// recorderTokenVariable names the recorder's read token (its WEBHOOK_RECORDER_TOKEN), if it has one.
const recorderTokenVariable = "DATAVERSE_ACC_RECORDER_TOKEN"

// readRecorded is what the recorder at url (a recordingEndpoint) kept.
func readRecorded(ctx context.Context, url string) ([]webhookrecorder.Post, error) {
	return webhookrecorder.Read(ctx, http.DefaultClient, url, os.Getenv(recorderTokenVariable))
}

// pluginStep finds a step of a plug-in type among the environment's own, which Microsoft's
// solutions register in every environment; the lookup's annotation names the table its event
// handler is in. A test registers none: a plug-in step would run code in the environment.
func (b *liveTarget) pluginStep(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rows, err := b.user(t).Rows(ctx, "sdkmessageprocessingsteps?$select=sdkmessageprocessingstepid,_eventhandler_value&$top=200",
		`odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"`)
	if err != nil {
		t.Fatalf("looking for a plug-in step: %v", err)
	}
	for _, r := range rows {
		if r["_eventhandler_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "plugintype" {
			if id, ok := r["sdkmessageprocessingstepid"].(string); ok {
				return id
			}
		}
	}
	t.Skip("imports a plug-in step: none of the environment's first 200 steps has a plug-in type as its event handler")
	return ""
}

// checkDestroyed asks for the webhooks named with this backend's prefix; a step or image cannot
// outlive its webhook, as Dataverse deletes them with it.
func (b *liveTarget) checkDestroyed() func(*terraform.State) error {
	return func(*terraform.State) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		left, err := b.dv.ListWebhooks(ctx, dataverse.WebhookFilter{NamePrefix: b.prefix})
		if err != nil {
			return fmt.Errorf("listing the webhooks named %s*: %w", b.prefix, err)
		}
		if len(left) > 0 {
			return fmt.Errorf("%d webhooks named %s* left after destroy", len(left), b.prefix)
		}
		return nil
	}
}

// requestCounter counts the Web API requests of the Terraform commands run in a workspace. The
// emulator counts what it serves. On a live environment the provider's debug log is read
// instead, one line per attempt as it ends: only first attempts count, so that a request retried
// after a 429 counts once, and sign-ins are not counted at all.
type requestCounter struct {
	e       *emulator.Emulator
	logPath string
	// read is how much of the log has been counted into st; st counts since the last reset.
	read int64
	st   emulator.Stats
	// retried counts the attempts after the first, which the log tells apart.
	retried int64
}

func countRequests(t *testing.T, b backend, ws *tfcli.Workspace) *requestCounter {
	t.Helper()
	if e := b.emulator(); e != nil {
		return &requestCounter{e: e}
	}
	c := &requestCounter{logPath: filepath.Join(t.TempDir(), "provider.log")}
	c.reset()
	ws.Env = append(ws.Env, "TF_LOG_PROVIDER=DEBUG", "TF_LOG_PATH="+c.logPath)
	return c
}

// reset counts only what follows.
func (c *requestCounter) reset() {
	if c.e != nil {
		c.e.ResetStats()
		return
	}
	if fi, err := os.Stat(c.logPath); err == nil {
		c.read = fi.Size()
	}
	c.st, c.retried = emulator.Stats{TokenRequests: -1}, 0
	c.st.Requests.ByMethod, c.st.Requests.ByEntitySet = map[string]int64{}, map[string]int64{}
}

// The fields of the provider's log line of one Web API attempt (logRequest), which come in any
// order.
var (
	firstAttemptField = regexp.MustCompile(`\sattempt=1(\s|$)`)
	methodField       = regexp.MustCompile(`\smethod=(\w+)`)
	entitySetField    = regexp.MustCompile(`\spath="?/api/data/v9\.2/([A-Za-z$]+)`)
)

// stats are the counts since the last reset; TokenRequests is -1 when they are not known.
func (c *requestCounter) stats(t *testing.T) emulator.Stats {
	t.Helper()
	if c.e != nil {
		return c.e.Stats()
	}
	f, err := os.Open(c.logPath)
	if errors.Is(err, os.ErrNotExist) {
		return c.st // no command has run yet
	}
	if err != nil {
		t.Fatalf("reading the provider's log: %v", err)
	}
	defer f.Close()
	rest, err := io.ReadAll(io.NewSectionReader(f, c.read, 1<<40))
	if err != nil {
		t.Fatalf("reading the provider's log: %v", err)
	}
	// Count whole lines only: the last may still be being written.
	whole := bytes.LastIndexByte(rest, '\n') + 1
	c.read += int64(whole)
	for _, line := range strings.Split(string(rest[:whole]), "\n") {
		if !strings.Contains(line, "Dataverse Web API request:") {
			continue
		}
		if !firstAttemptField.MatchString(line) {
			c.retried++
			continue
		}
		method, set := methodField.FindStringSubmatch(line), entitySetField.FindStringSubmatch(line)
		if method == nil || set == nil {
			t.Fatalf("a Web API request line of the provider's log names no method or entity set: %s", line)
		}
		c.st.Requests.Total++
		c.st.Requests.ByMethod[method[1]]++
		c.st.Requests.ByEntitySet[set[1]]++
	}
	return c.st
}

// retries counts the attempts after a first since the last reset, where the provider's log
// tells them apart; the emulator counts them among its requests, so there it gives 0.
func (c *requestCounter) retries(t *testing.T) int64 {
	t.Helper()
	c.stats(t)
	return c.retried
}

// writes counts the creates, updates and deletes since the last reset.
func (c *requestCounter) writes(t *testing.T) int64 {
	t.Helper()
	m := c.stats(t).Requests.ByMethod
	return m["POST"] + m["PATCH"] + m["DELETE"]
}

// countingClient is a client of b's environment of its own, as Configure builds one (a provider
// process), that counts its requests.
func countingClient(t *testing.T, b backend) (*dataverse.Client, *requestsBySet) {
	t.Helper()
	getenv := os.Getenv
	e := b.emulator()
	if e != nil {
		env := map[string]string{"DATAVERSE_URL": e.URL(), "DATAVERSE_TENANT_ID": e.TenantID(), "DATAVERSE_CLIENT_ID": e.ClientID(),
			"DATAVERSE_CLIENT_SECRET": e.ClientSecret(), "DATAVERSE_AUTHORITY_HOST": e.AuthorityHost()}
		getenv = func(name string) string { return env[name] }
	}
	s, diags := resolveSettings(nil, getenv)
	if e != nil {
		s.auth.HTTPClient, s.client.HTTPClient = e.HTTPClient(), e.HTTPClient()
	}
	if diags.HasError() {
		t.Fatalf("the environment's settings: %v", diags)
	}
	tokens, _, err := auth.NewTokenSource(s.auth)
	if err != nil {
		t.Fatal(err)
	}
	counts := &requestsBySet{n: map[string]int64{}}
	cfg := s.client
	cfg.EnvironmentURL, cfg.TokenSource, cfg.OnRequest = s.auth.EnvironmentURL, tokens, counts.count
	c, err := dataverse.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, counts
}

// requestsBySet counts a client's first attempts by the entity set they address.
type requestsBySet struct {
	mu sync.Mutex
	n  map[string]int64
}

func (c *requestsBySet) count(_ context.Context, l dataverse.RequestLog) {
	if l.Attempt != 1 {
		return
	}
	set := strings.TrimPrefix(l.Path, dataverse.APIPath)
	if i := strings.IndexAny(set, "(/?"); i >= 0 {
		set = set[:i]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[set]++
}

func (c *requestsBySet) of(set string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[set]
}

func (c *requestsBySet) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.n)
}

// clientFromEnvironment builds the client the provider would from the variables getenv reads.
func clientFromEnvironment(getenv func(string) string) (*dataverse.Client, error) {
	pd, err := providerDataFromEnvironment(getenv)
	if err != nil {
		return nil, err
	}
	return pd.client, nil
}

// providerDataFromEnvironment is what the provider's Configure makes of the variables getenv
// reads and an empty provider block.
func providerDataFromEnvironment(getenv func(string) string) (*providerData, error) {
	s, diags := resolveSettings(nil, getenv)
	if diags.HasError() {
		return nil, fmt.Errorf("%v", diags)
	}
	return newProviderData(s, "test", nil)
}

// stored checks the row of the resource at address as Dataverse returns it, read by read (such
// as the backend client's GetStep).
func stored[T any](read func(context.Context, string) (T, error), address string, check func(T) error) func(*terraform.State) error {
	return func(s *terraform.State) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		row, err := read(ctx, attrOf(s, address, "id"))
		if err != nil {
			return fmt.Errorf("reading %s: %w", address, err)
		}
		return check(row)
	}
}

// behindTerraform is a PreConfig that changes Dataverse through the backend's client, as another
// tool or an administrator would between two Terraform runs.
func behindTerraform(t *testing.T, b backend, change func(context.Context, *dataverse.Client) error) func() {
	t.Helper()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := change(ctx, b.client()); err != nil {
			t.Fatalf("changing Dataverse behind Terraform: %v", err)
		}
	}
}

// liveRefusal is the HTTP status with which a live environment's Web API refused the request
// behind err (a 4xx), or 0. A scenario that makes a change a person could make, but that
// Dataverse is not known to allow, leaves itself out on such a refusal; the emulator allowing
// the change is what keeps it covered, so there a refusal is a failure.
func liveRefusal(b backend, err error) int {
	var refused *dvuser.Error
	if b.emulator() == nil && errors.As(err, &refused) && refused.Status >= 400 && refused.Status < 500 {
		return refused.Status
	}
	return 0
}

// emulatorSteps are steps of a scenario that need what only the emulator can do; on a live
// environment they are left out, and the log says why.
func emulatorSteps(t *testing.T, b backend, reason string, steps ...resource.TestStep) []resource.TestStep {
	t.Helper()
	if b.emulator() == nil {
		t.Logf("leaving out %d steps that need the emulator: %s", len(steps), reason)
		return nil
	}
	return steps
}

// planRefused plans config, which must fail with an error matching want. On the emulator, check
// then reads what the plan asked of it; a live environment counts nothing, so there only the
// error is checked.
func planRefused(t *testing.T, b backend, config, want string, check func(emulator.Stats)) {
	t.Helper()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		Steps:                    []resource.TestStep{{Config: config, PlanOnly: true, ExpectError: regexp.MustCompile(want)}},
	})
	if e := b.emulator(); e != nil && check != nil {
		check(e.Stats())
	}
}

// soleError is a pattern for Terraform's error output when it holds exactly one diagnostic, and
// that one matches want (which must not itself span an "Error:" heading).
func soleError(want string) string {
	noHeading := `(?:[^E]|E[^r]|Er[^r]|Err[^o]|Erro[^r]|Error[^:])*`
	return `(?s)\A` + noHeading + `Error:` + noHeading + want + noHeading + `\z`
}

// resetCounts starts the emulator's request counts afresh, so that a check counts only what
// follows; a live environment counts nothing.
func resetCounts(b backend) {
	if e := b.emulator(); e != nil {
		e.ResetStats()
	}
}

// storeFilteringAttributes writes the filtering columns of step id as another tool would, the
// list as it is given.
func storeFilteringAttributes(ctx context.Context, c *dataverse.Client, id string, columns ...string) error {
	step, err := c.GetStep(ctx, id)
	if err != nil {
		return err
	}
	to := step.StepSettings
	to.FilteringAttributes = columns
	_, err = c.UpdateStep(ctx, id, dataverse.StepUpdate{From: step.StepSettings, To: to})
	return err
}

// stepsOnWebhook checks how many steps Dataverse holds on dataverse_webhook.hook.
func stepsOnWebhook(b backend, want int) func(*terraform.State) error {
	const address = "dataverse_webhook.hook"
	return func(s *terraform.State) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		steps, err := b.client().ListWebhookSteps(ctx, attrOf(s, address, "id"))
		if err != nil {
			return fmt.Errorf("listing the steps of %s: %w", address, err)
		}
		if len(steps) != want {
			return fmt.Errorf("%d steps on %s in Dataverse, want %d", len(steps), address, want)
		}
		return nil
	}
}

// providerBlock configures the provider for an emulator explicitly, without environment variables.
func providerBlock(e *emulator.Emulator) string { return providerBlockWithSecret(e, e.ClientSecret()) }

// providerBlockWithSecret is providerBlock signing in with secret; "" leaves client_secret to
// the environment.
func providerBlockWithSecret(e *emulator.Emulator, secret string) string {
	return providerConfig(e.URL(), e.TenantID(), e.ClientID(), secret, e.AuthorityHost())
}

// providerConfig is the provider block for an environment and its token service.
func providerConfig(environmentURL, tenantID, clientID, secret, authorityHost string) string {
	secretLine := ""
	if secret != "" {
		secretLine = fmt.Sprintf("  client_secret   = %q\n", secret)
	}
	return fmt.Sprintf(`
provider "dataverse" {
  environment_url = %q
  tenant_id       = %q
  client_id       = %q
%s  authority_host  = %q
}
`, environmentURL, tenantID, clientID, secretLine, authorityHost)
}

// checkNoRowsLeft is a CheckDestroy that fails when the emulator still holds any webhook,
// step or image that it did not come with.
func checkNoRowsLeft(e *emulator.Emulator) func(*terraform.State) error {
	return func(*terraform.State) error {
		for _, set := range []string{"serviceendpoints", "sdkmessageprocessingsteps", "sdkmessageprocessingstepimages"} {
			if rows := e.AddedRows(set); len(rows) > 0 {
				return fmt.Errorf("%d %s rows left after destroy", len(rows), set)
			}
		}
		if row, ok := e.Row("sdkmessageprocessingsteps", emulator.SeededPluginStepID); !ok || row["modifiedon"] != row["createdon"] {
			return errors.New("the environment's own plug-in step was deleted or changed")
		}
		return nil
	}
}

// failingReceiver answers every delivery with HTTP 500 and counts them.
func failingReceiver(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// fireAccountUpdates creates an account and renames it n times, as a user would. After each
// rename it waits until the steps of the webhook named webhookName hold one more failed job, so
// that their completion times differ and "newest first" is observable; none of those steps may
// fire on Create of account. The account is deleted when the test ends.
func fireAccountUpdates(t *testing.T, b backend, webhookName string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	stepIDs := stepIDsOfWebhookNamed(ctx, t, b.client(), webhookName)
	before := len(failedJobsOf(ctx, t, b.client(), stepIDs))
	user := b.user(t)
	id, err := user.Create(ctx, "accounts", map[string]any{"name": b.name("Contoso")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := user.Delete(ctx, "accounts", id); err != nil {
			t.Errorf("deleting the account the test fired updates on: %v", err)
		}
	})
	for i := range n {
		if err := user.Update(ctx, "accounts", id, map[string]any{"name": b.name(fmt.Sprintf("Contoso %d", i))}); err != nil {
			t.Fatal(err)
		}
		awaitFailedJobs(ctx, t, b.client(), stepIDs, before+i+1)
	}
}

func stepIDsOfWebhookNamed(ctx context.Context, t *testing.T, dv *dataverse.Client, name string) []string {
	t.Helper()
	hooks, err := dv.ListWebhooks(ctx, dataverse.WebhookFilter{Name: name})
	if err != nil || len(hooks) != 1 {
		t.Fatalf("looking up the webhook %s: %d found, %v", name, len(hooks), err)
	}
	steps, err := dv.ListWebhookSteps(ctx, hooks[0].ID)
	if err != nil || len(steps) == 0 {
		t.Fatalf("listing the steps of the webhook %s: %d found, %v", name, len(steps), err)
	}
	ids := make([]string, len(steps))
	for i, st := range steps {
		ids[i] = st.ID
	}
	return ids
}

func failedJobsOf(ctx context.Context, t *testing.T, dv *dataverse.Client, stepIDs []string) []dataverse.SystemJob {
	t.Helper()
	jobs, err := dv.ListFailedJobs(ctx, dataverse.FailedJobsQuery{StepIDs: stepIDs})
	if err != nil {
		t.Fatalf("listing the failed jobs: %v", err)
	}
	return jobs
}

// deleteJobsOf deletes every completed system job of the steps, so that a live environment
// keeps none of them, and fails the test when some remain. Dataverse keeps a step's jobs after
// the step is deleted, so it runs before.
func deleteJobsOf(t *testing.T, b backend, stepIDs []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	q := dataverse.JobCleanup{StepIDs: stepIDs, Failed: true, Succeeded: true, CompletedBefore: time.Now().Add(time.Hour), Max: 5000}
	if _, err := b.client().DeleteCompletedJobs(ctx, q, nil); err != nil {
		t.Errorf("deleting the system jobs of steps %v: %v", stepIDs, err)
	}
	if jobs := failedJobsOf(ctx, t, b.client(), stepIDs); len(jobs) != 0 {
		t.Errorf("steps %v keep %d failed jobs after the clean-up", stepIDs, len(jobs))
	}
}

// deleteJobsOfWebhook runs deleteJobsOf on the steps of the webhook named webhookName.
func deleteJobsOfWebhook(t *testing.T, b backend, webhookName string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	deleteJobsOf(t, b, stepIDsOfWebhookNamed(ctx, t, b.client(), webhookName))
}

// deleteJobsAtCleanup runs deleteJobsOf when the test ends; registered after the steps, it runs
// before their own clean-up deletes them.
func deleteJobsAtCleanup(t *testing.T, b backend, stepIDs []string) {
	t.Helper()
	t.Cleanup(func() { deleteJobsOf(t, b, stepIDs) })
}

// awaitFailedJobs polls until the steps hold want failed jobs: the emulator delivers in
// milliseconds, a live environment's asynchronous service in seconds to minutes.
func awaitFailedJobs(ctx context.Context, t *testing.T, dv *dataverse.Client, stepIDs []string, want int) {
	t.Helper()
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		got := len(failedJobsOf(ctx, t, dv, stepIDs))
		if got >= want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d failed jobs after waiting, want %d", got, want)
		case <-time.After(wait):
		}
	}
}
