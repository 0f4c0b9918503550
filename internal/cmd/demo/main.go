// Command demo walks through the provider end to end against the local emulator: it registers a
// webhook and two steps with Terraform, makes Dataverse fire them at a local receiver, shows a
// failed delivery through the failed-jobs data source, and cleans everything up.
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/dvuser"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/registry"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := startedAt(os.Getenv("DATAVERSE_DEMO_STARTED_AT"), time.Now())
	if err := run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
	say("Done in %s, compiling included. Nothing was left running and the temporary folder is gone.", time.Since(start).Round(100*time.Millisecond))
	goOnByHand()
}

// startedAt is when make demo began (Unix nanoseconds, set before it compiles this command), so
// the time reported is the time waited; otherwise now.
func startedAt(env string, now time.Time) time.Time {
	ns, err := strconv.ParseInt(env, 10, 64)
	if err != nil || ns <= 0 || ns > now.UnixNano() {
		return now
	}
	return time.Unix(0, ns)
}

// goOnByHand prints the commands that repeat the demo step by step.
func goOnByHand() {
	say("To go on by hand (docs/guides/trying-without-a-tenant.md explains each step):")
	for _, line := range []string{
		`make emulator ARGS="--env-file dv.env"   # terminal 1: the emulator, until Ctrl-C`,
		`source dv.env && make build              # terminal 2: its settings, and the provider binary`,
		fmt.Sprintf(`printf 'provider_installation {\n  dev_overrides {\n    "%s" = "%%s"\n  }\n  direct {}\n}\n' "$PWD" > /tmp/dataverse-dev.tfrc`, registry.Address),
		`export TF_CLI_CONFIG_FILE=/tmp/dataverse-dev.tfrc TF_VAR_receiver_api_key=anything`,
		`cd examples/quickstart && terraform apply -var receiver_url=http://127.0.0.1:9/hook`,
	} {
		detail("%s", line)
	}
}

// withProgress runs fn, printing the time elapsed every few seconds until it returns, so a slow
// first build or apply does not look like a hang.
func withProgress(what string, fn func() error) error {
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(3 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				detail("... %s, %s so far", what, time.Since(start).Round(time.Second))
			}
		}
	}()
	err := fn()
	close(done)
	wg.Wait()
	if err == nil {
		detail("%s took %s", what, time.Since(start).Round(100*time.Millisecond))
	}
	return err
}

func say(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

func detail(format string, args ...any) { fmt.Printf("    "+format+"\n", args...) }

func run(ctx context.Context) error {
	moduleDir, tmp, err := tfcli.Scratch("dataverse-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	say("Building the provider (go build; the first build compiles its dependencies too)...")
	var providerDir string
	if err := withProgress("go build", func() (err error) {
		providerDir, err = tfcli.BuildProvider(ctx, moduleDir, filepath.Join(tmp, "bin"))
		return err
	}); err != nil {
		return err
	}

	say("Starting the Dataverse emulator (Web API + Entra ID token service) on loopback...")
	emu, err := emulator.Start(emulator.Options{StateDir: filepath.Join(tmp, "emulator")})
	if err != nil {
		return fmt.Errorf("starting the emulator: %w", err)
	}
	defer emu.Close()
	detail("environment URL %s", emu.URL())

	apiKey := randomHex(16)
	rcv, err := startReceiver(ctx, apiKey)
	if err != nil {
		return err
	}
	defer rcv.close()
	say("Started a webhook receiver at %s; it accepts requests carrying the right x-api-key header.", rcv.url)

	ws, err := tfcli.NewWorkspace(filepath.Join(tmp, "quickstart"), providerDir)
	if err != nil {
		return err
	}
	defer ws.Close()
	if err := copyTF(filepath.Join(moduleDir, "examples", "quickstart"), ws.Dir); err != nil {
		return err
	}
	for k, v := range emu.Env() {
		ws.Env = append(ws.Env, k+"="+v)
	}
	ws.Env = append(ws.Env, "TF_VAR_receiver_url="+rcv.url+"/dataverse", "TF_VAR_receiver_api_key="+apiKey)
	say("Terraform uses the provider just built through a temporary CLI configuration (TF_CLI_CONFIG_FILE); your own Terraform settings are untouched.")

	say("terraform apply: registering the webhook (HttpHeader auth), two steps and a post-image from examples/quickstart...")
	if err := terraform(ctx, ws, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		return err
	}
	say("What the data sources read back (dataverse_webhooks, dataverse_webhook_steps):")
	if _, err := showOutputs(ctx, ws, "webhooks", "steps"); err != nil {
		return err
	}
	destroyed := false
	defer func() {
		if !destroyed {
			_ = terraform(context.Background(), ws, "destroy", "-auto-approve", "-input=false", "-no-color")
		}
	}()

	api, err := dvuser.New(ctx, emu)
	if err != nil {
		return err
	}

	say("Creating a contact: the synchronous Create step posts to the receiver, with its post-image, before Dataverse answers...")
	if _, err := api.Create(ctx, "contacts", map[string]any{"firstname": "Ada", "lastname": "Lovelace"}); err != nil {
		return err
	}
	if got := rcv.show(); !hasImage(got, "PostEntityImages", "created") {
		return errors.New(`the Create delivery carried no post-image "created"`)
	}

	say("Creating an account, then renaming it: the asynchronous Update step (filtering on name, telephone1) fires...")
	accountID, err := api.Create(ctx, "accounts", map[string]any{"name": "Contoso"})
	if err != nil {
		return err
	}
	// rename renames the account and waits for the deliveries it causes.
	rename := func(name string) error {
		if err := api.Update(ctx, "accounts", accountID, map[string]any{"name": name}); err != nil {
			return err
		}
		return emu.WaitIdle(ctx)
	}
	if err := rename("Contoso Ltd"); err != nil {
		return err
	}
	rcv.show()

	say("Making the receiver answer HTTP 500, then renaming the account again...")
	rcv.setFailing(true)
	if err := rename("Contoso Group"); err != nil {
		return err
	}
	rcv.show()
	say("The delivery failed, so Dataverse recorded a failed system job. terraform apply -refresh-only reads it:")
	if err := terraform(ctx, ws, "apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color"); err != nil {
		return err
	}
	out, err := showOutputs(ctx, ws, "failed_jobs")
	if err != nil {
		return err
	}
	if !strings.Contains(out, "500") {
		return errors.New("the failed job did not show up in the failed_jobs output")
	}

	say("terraform destroy: removing the steps and the webhook...")
	if err := terraform(ctx, ws, "destroy", "-auto-approve", "-input=false", "-no-color"); err != nil {
		return err
	}
	destroyed = true
	if n := len(emu.AddedRows("serviceendpoints")) + len(emu.AddedRows("sdkmessageprocessingsteps")); n != 0 {
		return fmt.Errorf("%d registrations left after destroy", n)
	}
	st := emu.Stats()
	say("The emulator served %d Web API requests and %d token requests. Stopping it and the receiver...", st.Requests.Total, st.TokenRequests)
	return nil
}

// terraform runs a command and prints its output indented, keeping only the lines a newcomer needs.
func terraform(ctx context.Context, ws *tfcli.Workspace, args ...string) error {
	var res tfcli.Result
	err := withProgress("terraform "+args[0], func() (err error) {
		res, err = ws.Run(ctx, args...)
		return err
	})
	fmt.Print(indent(keepUseful(res.Stdout)))
	return err
}

// keepUseful keeps the lines that say what Terraform did, not its banners and warnings.
func keepUseful(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if strings.Contains(t, ": Creation complete") || strings.Contains(t, ": Modifications complete") ||
			strings.Contains(t, ": Destruction complete") || strings.HasPrefix(t, "Apply complete!") ||
			strings.HasPrefix(t, "Destroy complete!") || strings.HasPrefix(t, "Error") {
			out = append(out, t)
		}
	}
	return strings.Join(out, "\n") + "\n"
}

// showOutputs prints the named root module outputs.
func showOutputs(ctx context.Context, ws *tfcli.Workspace, names ...string) (string, error) {
	var all strings.Builder
	for _, n := range names {
		res, err := ws.Run(ctx, "output", "-no-color", n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&all, "%s = %s", n, res.Stdout)
	}
	fmt.Print(indent(all.String()))
	return all.String(), nil
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}

func copyTF(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tf") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, filepath.Base(e.Name()))) //nolint:gosec // the repository's own example folder
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, filepath.Base(e.Name())), b, 0o600); err != nil { //nolint:gosec // names come from the repository's own example folder
			return err
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// receiver is a small webhook endpoint that records what Dataverse sent.
type receiver struct {
	url    string
	srv    *http.Server
	apiKey string

	mu      sync.Mutex
	failing bool
	seen    []delivery
	shown   int
	// refused counts posts without the key: any local process can post to the receiver, so
	// they are neither kept nor shown.
	refused int
}

// maxKeptDeliveries bounds what the receiver keeps; the demo fires a handful.
const maxKeptDeliveries = 100

type delivery struct {
	status  int
	headers http.Header
	body    map[string]any
}

func startReceiver(ctx context.Context, apiKey string) (*receiver, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String(), apiKey: apiKey}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	// The key first: a post without it is not read at all.
	if subtle.ConstantTimeCompare([]byte(req.Header.Get("x-api-key")), []byte(r.apiKey)) != 1 {
		r.mu.Lock()
		r.refused++
		r.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	var ctx map[string]any
	_ = json.Unmarshal(body, &ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	status := http.StatusOK
	if r.failing {
		status = http.StatusInternalServerError
	}
	if len(r.seen) < maxKeptDeliveries {
		r.seen = append(r.seen, delivery{status: status, headers: req.Header.Clone(), body: ctx})
	}
	w.WriteHeader(status)
}

func (r *receiver) setFailing(f bool) {
	r.mu.Lock()
	r.failing = f
	r.mu.Unlock()
}

// show prints the deliveries received since the last call and returns them.
func (r *receiver) show() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shown == len(r.seen) {
		detail("(the receiver got nothing)")
	}
	if r.refused > 0 {
		detail("(the receiver refused %d post(s) without its key; they are not shown)", r.refused)
		r.refused = 0
	}
	fresh := r.seen[r.shown:]
	for _, d := range fresh {
		owning, _ := d.body["OwningExtension"].(map[string]any)
		// Dataverse sends the step's id; OwningExtension.Name is null in real deliveries.
		detail("receiver got POST: %s of %s (%s, %s) from step %s -> answered %d",
			plain(d.body["MessageName"]), plain(d.body["PrimaryEntityName"]), stageName(d.body["Stage"]), modeName(d.body["Mode"]), plain(owning["Id"]), d.status)
		for _, list := range []string{"PreEntityImages", "PostEntityImages"} {
			for _, img := range images(d.body, list) {
				origin := ""
				if img.alias == "AsynchronousStepPrimaryName" {
					// No step asked for it: Dataverse adds the row's primary name to what an
					// asynchronous step posts.
					origin = " (added by Dataverse to every asynchronous step's post)"
				}
				detail("  %s %q arrived%s: %s", strings.TrimSuffix(list, "EntityImages")+"-image", img.alias, origin, plain(strings.Join(img.columns, ", ")))
			}
		}
		var names []string
		for k := range d.headers {
			if strings.HasPrefix(strings.ToLower(k), "x-ms-") {
				names = append(names, fmt.Sprintf("%s: %s", plain(strings.ToLower(k)), plain(d.headers.Get(k))))
			}
		}
		sort.Strings(names)
		for _, n := range names {
			detail("  %s", n)
		}
		detail("  x-api-key: (present, %d characters, matches)", len(d.headers.Get("x-api-key")))
	}
	r.shown = len(r.seen)
	return fresh
}

// plain is a value of a delivery made fit to print: what the emulator posts is shown as it is,
// but the text comes over the network.
func plain(v any) string { return untrusted.PlainText(fmt.Sprint(v)) }

// stageName and modeName turn the execution context's numbers into the names the provider uses.
func stageName(v any) string {
	n, ok := v.(float64)
	if !ok {
		return "stage " + plain(v)
	}
	return dataverse.StepStage(int(n)).String()
}

func modeName(v any) string {
	n, ok := v.(float64)
	if !ok {
		return "mode " + plain(v)
	}
	return dataverse.StepMode(int(n)).String()
}

type image struct {
	alias   string
	columns []string // name=value
}

// images reads one of the execution context's image lists: [{key: alias, value: Entity}], where the
// Entity's Attributes are [{key: column, value: v}].
func images(body map[string]any, list string) []image {
	entries, _ := body[list].([]any)
	var out []image
	for _, e := range entries {
		kv, _ := e.(map[string]any)
		alias, _ := kv["key"].(string)
		ent, _ := kv["value"].(map[string]any)
		attrs, _ := ent["Attributes"].([]any)
		img := image{alias: alias}
		for _, a := range attrs {
			col, _ := a.(map[string]any)
			img.columns = append(img.columns, fmt.Sprintf("%v=%v", col["key"], col["value"]))
		}
		out = append(out, img)
	}
	return out
}

func hasImage(ds []delivery, list, alias string) bool {
	for _, d := range ds {
		for _, img := range images(d.body, list) {
			if img.alias == alias {
				return true
			}
		}
	}
	return false
}

func (r *receiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
}
