package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/entra"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// hostileEnvironment is a loopback HTTPS server that issues real tokens (the emulator's token
// service) and answers the Web API with webAPI, as a hostile or broken Dataverse would.
type hostileEnvironment struct {
	url, tenantID, clientID, clientSecret string
}

func startHostileEnvironment(t *testing.T, webAPI http.HandlerFunc) *hostileEnvironment {
	t.Helper()
	if liveEnvironment() {
		t.Skip("plays a hostile server; runs without DATAVERSE_LIVE only")
	}
	tlsConfig, err := testCA.ServerTLSConfig("")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.TLS = tlsConfig
	base := "https://" + srv.Listener.Addr().String()
	svc, err := entra.New(entra.Options{BaseURL: base, Audience: base})
	if err != nil {
		t.Fatal(err)
	}
	// Random, as Entra ID issues secrets: a secret made of words would share runs with the trace
	// log's own text (client_secret), which the log checks below read as an echo.
	h := &hostileEnvironment{url: base, tenantID: svc.TenantID(), clientID: "33333333-0000-4000-8000-000000000001", clientSecret: "Hst~q7Kz.w2Vx_9pLr-4Mn8Tb6Yc3Jd"}
	svc.RegisterSecretClient(h.clientID, h.clientSecret)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/data/") {
			webAPI(w, r)
			return
		}
		svc.Handler().ServeHTTP(w, r)
	})
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return h
}

func (h *hostileEnvironment) providerBlock() string {
	return providerConfig(h.url, h.tenantID, h.clientID, "", h.url)
}

// runFailing runs a command that must fail and returns what it printed and the trace log.
func runFailing(t *testing.T, ws *tfcli.Workspace, args ...string) (output, log string, took time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := ws.Run(ctx, args...)
	took = time.Since(start)
	if err == nil && res.ExitCode == 0 {
		t.Fatalf("terraform %s succeeded against a hostile server", args[0])
	}
	b, _ := os.ReadFile(filepath.Join(ws.Dir, "trace.log"))
	return res.Stdout + res.Stderr, string(b), took
}

func hostileWorkspace(t *testing.T, h *hostileEnvironment, config string) *tfcli.Workspace {
	t.Helper()
	ws := newWorkspace(t)
	ws.Env = append(ws.Env, "TF_LOG=trace", "TF_LOG_PATH="+filepath.Join(ws.Dir, "trace.log"), "DATAVERSE_CLIENT_SECRET="+h.clientSecret)
	if err := ws.WriteFile("main.tf", requiredProviders+h.providerBlock()+config); err != nil {
		t.Fatal(err)
	}
	return ws
}

// A data source read against a server that never answers ends at its timeouts block, and one
// told to wait ten hours fails at once saying so.
func TestHostileServer_dataSourceReadsHaveADeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		webAPI  http.HandlerFunc
		read    string
		want    string
		maxTook time.Duration
	}{
		{"server never answers", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
		}, "5s", "the read timeout of 5s ran out; raise timeouts.read", 45 * time.Second},
		{"Retry-After of ten hours", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "36000")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}}`))
		}, "10m", "asked to wait 10h0m0s", 45 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := startHostileEnvironment(t, tt.webAPI)
			ws := hostileWorkspace(t, h, fmt.Sprintf(`
data "dataverse_webhooks" "all" {
  timeouts {
    read = %q
  }
}
`, tt.read))
			out, _, took := runFailing(t, ws, "plan", "-input=false", "-no-color")
			if !strings.Contains(oneLine(out), tt.want) {
				t.Errorf("plan output does not say %q:\n%s", tt.want, tail(out, 30))
			}
			if took > tt.maxTook {
				t.Errorf("plan took %s, want under %s", took, tt.maxTook)
			}
		})
	}
}

// A server that echoes the webhook's key in the encodings a server might use gets none of it into
// the diagnostics or the trace log.
// echoWebhookConfig is a webhook whose key comes from TF_VAR_key.
const echoWebhookConfig = `
variable "key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "dataverse_webhook" "hook" {
  name            = "echo"
  url             = "https://fn.example.net/api/echo"
  auth_type       = "WebhookKey"
  auth_key_wo     = var.key
  auth_wo_version = 1
}
`

func TestHostileServer_echoedWebhookKeyReachesNoDiagnosticOrLog(t *testing.T) {
	t.Parallel()
	const key = "wk-h0stile-Grüße'<&>-key"
	encodings := map[string]func(string) string{
		"JSON unicode escapes": func(s string) string {
			var b strings.Builder
			for _, r := range s {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
			return b.String()
		},
		"XML entities": func(s string) string {
			var b strings.Builder
			for _, r := range s {
				fmt.Fprintf(&b, "&#%d;", r)
			}
			return b.String()
		},
		"prefix": func(s string) string { return s[:9] },
	}
	for name, encode := range encodings {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := startHostileEnvironment(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"value":[]}`))
					return
				}
				var row map[string]any
				_ = json.NewDecoder(r.Body).Decode(&row)
				authValue, _ := row["authvalue"].(string)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				// The message reaches the client JSON-decoded once: encode so that what it holds is
				// the encoded form.
				msg, _ := json.Marshal("The auth value " + encode(authValue) + " is invalid.")
				fmt.Fprintf(w, `{"error":{"code":"0x80040203","message":%s}}`, msg)
			})
			ws := hostileWorkspace(t, h, echoWebhookConfig)
			ws.Env = append(ws.Env, "TF_VAR_key="+key)
			out, log, _ := runFailing(t, ws, "apply", "-auto-approve", "-input=false", "-no-color")
			if !strings.Contains(out, "0x80040203") {
				t.Fatalf("the apply did not fail on the server's answer:\n%s", tail(out, 30))
			}
			if !strings.Contains(log, "ApplyResourceChange") {
				t.Fatal("the trace log has no ApplyResourceChange: the test would prove nothing")
			}
			for where, text := range map[string]string{"output": out, "trace log": log} {
				if untrusted.HoldsSecret(text, []string{key}) {
					t.Errorf("the %s holds part of the webhook key", where)
				}
				if untrusted.HoldsSecret(text, []string{h.clientSecret}) {
					t.Errorf("the %s holds part of the client secret", where)
				}
			}
		})
	}
}

// A create refused as a duplicate reads the row under its id; a server that answers with the key
// just sent in the row's description has the refusal name the column only.
func TestHostileServer_adoptionRefusalShowsNoEchoedKey(t *testing.T) {
	t.Parallel()
	const key = "wk-h0stile-adoption-key"
	var sent atomic.Value
	h := startHostileEnvironment(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost:
			var row map[string]any
			_ = json.NewDecoder(r.Body).Decode(&row)
			authValue, _ := row["authvalue"].(string)
			sent.Store(authValue)
			w.WriteHeader(http.StatusPreconditionFailed)
			_, _ = io.WriteString(w, `{"error":{"code":"0x80040237","message":"A record with matching key values already exists."}}`)
		case strings.Contains(r.URL.Path, "serviceendpoints("):
			id := r.URL.Path[strings.Index(r.URL.Path, "(")+1 : len(r.URL.Path)-1]
			authValue, _ := sent.Load().(string)
			fmt.Fprintf(w, `{"serviceendpointid":%q,"name":"echo","url":"https://fn.example.net/api/echo","contract":8,"authtype":4,"description":%q}`, id, "note: "+authValue)
		default:
			_, _ = io.WriteString(w, `{"value":[]}`)
		}
	})
	ws := hostileWorkspace(t, h, echoWebhookConfig)
	ws.Env = append(ws.Env, "TF_VAR_key="+key)
	out, log, _ := runFailing(t, ws, "apply", "-auto-approve", "-input=false", "-no-color")
	if !strings.Contains(oneLine(out), "differs from the configuration in: description (values not shown: one holds a secret)") {
		t.Fatalf("the apply did not refuse the row naming the description only:\n%s", tail(out, 30))
	}
	for where, text := range map[string]string{"output": out, "trace log": log} {
		if untrusted.HoldsSecret(text, []string{key}) {
			t.Errorf("the %s holds part of the webhook key", where)
		}
	}
}

// Table names in a did-you-mean refusal are the server's text: they reach the plan on one line,
// with no terminal escape or override.
func TestHostileServer_tableNamesInARefusalArePlainText(t *testing.T) {
	t.Parallel()
	h := startHostileEnvironment(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/sdkmessages"):
			_, _ = io.WriteString(w, `{"value":[{"sdkmessageid":"11111111-0000-4000-8000-000000000001","name":"Create"}]}`)
		case strings.HasSuffix(r.URL.Path, "/sdkmessagefilters") && strings.Contains(r.URL.Query().Get("$filter"), "iscustomprocessingstepallowed"):
			_, _ = io.WriteString(w, `{"value":[{"sdkmessagefilterid":"22222222-0000-4000-8000-000000000001","primaryobjecttypecode":"account"},`+
				`{"sdkmessagefilterid":"22222222-0000-4000-8000-000000000002","primaryobjecttypecode":"acc\u001b[31mRED\u001b]0;TITLE\u0007"},`+
				`{"sdkmessagefilterid":"22222222-0000-4000-8000-000000000003","primaryobjecttypecode":"x\n\nError: forged line\u202etxt"}]}`)
		default:
			_, _ = io.WriteString(w, `{"value":[]}`)
		}
	})
	ws := hostileWorkspace(t, h, `
resource "dataverse_webhook_step" "s" {
  webhook_id = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10"
  message    = "Create"
  table      = "acount"
}
`)
	out, _, _ := runFailing(t, ws, "plan", "-input=false", "-no-color")
	if !strings.Contains(oneLine(out), "Tables that allow it:") {
		t.Fatalf("the plan did not list the tables:\n%s", tail(out, 30))
	}
	if strings.ContainsAny(out, "\x1b\x07\u202e") || strings.Contains(out, "\nError: forged") {
		t.Errorf("server table names reached the plan raw:\n%q", tail(out, 30))
	}
}

// A create answered with the key just sent in the row's description: the configured value is
// kept, with a warning, so the key reaches neither the output nor the state.
func TestHostileServer_createAnswerEchoingTheKeyKeepsItOutOfState(t *testing.T) {
	t.Parallel()
	const key = "wk-h0stile-create-echo-key"
	h := startHostileEnvironment(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost {
			_, _ = io.WriteString(w, `{"value":[]}`)
			return
		}
		var row map[string]any
		_ = json.NewDecoder(r.Body).Decode(&row)
		authValue, _ := row["authvalue"].(string)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"serviceendpointid":%q,"name":"echo","url":"https://fn.example.net/api/echo","contract":8,"authtype":4,"isauthvalueset":true,"description":%q}`,
			row["serviceendpointid"], "note: "+authValue)
	})
	ws := hostileWorkspace(t, h, echoWebhookConfig)
	ws.Env = append(ws.Env, "TF_VAR_key="+key)
	res, err := ws.Run(t.Context(), "apply", "-auto-approve", "-input=false", "-no-color")
	out := res.Stdout + res.Stderr
	if err != nil || !strings.Contains(out, "Dataverse answered with the webhook's secret") {
		t.Fatalf("apply: %v, want it to succeed with a warning:\n%s", err, tail(out, 30))
	}
	state, err := os.ReadFile(filepath.Join(ws.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range map[string]string{"output": out, "state": string(state)} {
		if untrusted.HoldsSecret(text, []string{key}) {
			t.Errorf("the %s holds part of the webhook key", where)
		}
	}
}
