package provider

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

// secretForms returns the forms in which a secret could leak: as given, XML-escaped (the
// settings form of an auth value), URL-encoded (a query string), path-escaped, and JSON-escaped
// (a log field or a state file).
func secretForms(label, secret string) map[string]string {
	quoted, _ := json.Marshal(secret)
	return map[string]string{
		label:                   secret,
		"XML-escaped " + label:  html.EscapeString(secret),
		"URL-encoded " + label:  url.QueryEscape(secret),
		"path-escaped " + label: url.PathEscape(secret),
		"JSON-escaped " + label: strings.Trim(string(quoted), `"`),
	}
}

// workspaceHaystacks gathers what Terraform leaves in a workspace: state and its backup, plan
// files and crash logs.
func workspaceHaystacks(t *testing.T, ws *tfcli.Workspace) map[string]string {
	t.Helper()
	out := map[string]string{}
	names := []string{"terraform.tfstate", "terraform.tfstate.backup", "tfplan"}
	crashes, _ := filepath.Glob(filepath.Join(ws.Dir, "crash*.log"))
	for _, c := range crashes {
		names = append(names, filepath.Base(c))
	}
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(ws.Dir, name))
		if err != nil {
			continue
		}
		out[name] = string(b)
		// A plan file is a zip archive: search what it holds, not its compressed bytes.
		if zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err == nil {
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatalf("reading %s in %s: %v", f.Name, name, err)
				}
				content, err := io.ReadAll(rc)
				_ = rc.Close()
				if err != nil {
					t.Fatalf("reading %s in %s: %v", f.Name, name, err)
				}
				out[name+"/"+f.Name] = string(content)
			}
		}
	}
	return out
}

// assertNoSecrets fails for every haystack that holds a needle or a bearer token.
func assertNoSecrets(t *testing.T, haystacks, needles map[string]string) {
	t.Helper()
	for hname, hay := range haystacks {
		for nname, needle := range needles {
			// The report names the place and the form, never the text around it.
			if needle != "" && strings.Contains(hay, needle) {
				t.Errorf("the %s holds the %s at offset %d", hname, nname, strings.Index(hay, needle))
			}
		}
		if strings.Contains(hay, "Bearer ey") {
			t.Errorf("the %s holds a bearer token", hname)
		}
	}
}

// Importing a webhook (with the CLI command and with an import block) and refreshing it read
// the row without its secret, and send the secret again only when the configuration says so.
// Neither may leave the secret, the provider's client secret or a token anywhere.
func TestSecrets_importAndRefreshLeaveNoTrace(t *testing.T) {
	t.Parallel()
	for _, tc := range secretCases(`wk-1mp0rt&<one>"q`, "hh-1mp0rt&<two>'q", "qs-1mp0rt&<three> +q") {
		t.Run(tc.authType.String(), func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			ws, logFile, _ := secretWorkspace(t, b, tc, "import")
			haystacks := map[string]string{}
			step := 0
			collect := func(args ...string) {
				t.Helper()
				res := mustRun(t, ws, args...)
				step++
				haystacks[fmt.Sprintf("output of %d. terraform %s", step, args[0])] = res.Stdout + res.Stderr
				for name, content := range workspaceHaystacks(t, ws) {
					haystacks[fmt.Sprintf("%s after %d. terraform %s", name, step, args[0])] = content
				}
			}

			collect("apply", "-auto-approve", "-input=false", "-no-color")
			id := webhookIDInState(t, ws)
			want := wantAuthValue(t, tc.authType, tc.key, tc.sentinel)
			// Dataverse never returns the secret; the emulator shows it was sent as encoded.
			if e := b.emulator(); e != nil {
				if stored, _ := e.AuthValue(id); stored != want {
					t.Fatalf("the emulator did not receive exactly the encoded secret; the test would prove nothing")
				}
			}

			// The CLI import, then a refresh.
			collect("state", "rm", "dataverse_webhook.hook")
			collect("import", "-input=false", "-no-color", "dataverse_webhook.hook", id)
			collect("show", "-json")
			collect("refresh", "-input=false", "-no-color")

			// An import block, planned to a file, shown and applied.
			collect("state", "rm", "dataverse_webhook.hook")
			if err := ws.WriteFile("imports.tf", fmt.Sprintf("import {\n  to = dataverse_webhook.hook\n  id = %q\n}\n", id)); err != nil {
				t.Fatal(err)
			}
			collect("plan", "-out=tfplan", "-input=false", "-no-color")
			collect("show", "-json", "tfplan")
			collect("apply", "-input=false", "-no-color", "tfplan")
			collect("show", "-json")
			collect("refresh", "-input=false", "-no-color")
			if got := webhookIDInState(t, ws); got != id {
				t.Fatalf("imported id = %s, want %s", got, id)
			}
			collect("destroy", "-auto-approve", "-input=false", "-no-color")

			log, err := os.ReadFile(logFile)
			if err != nil || len(log) == 0 {
				t.Fatalf("no trace log was written: %v", err)
			}
			for _, rpc := range []string{"ImportResourceState", "ReadResource", "ApplyResourceChange"} {
				if !strings.Contains(string(log), rpc) {
					t.Errorf("the trace log has no %s: the commands did not run what the test searches", rpc)
				}
			}
			haystacks["trace log"] = string(log)

			needles := secretForms("secret", tc.sentinel)
			needles["encoded auth value"] = want
			for k, v := range secretForms("provider client secret", providerClientSecret(b)) {
				needles[k] = v
			}
			assertNoSecrets(t, haystacks, needles)
		})
	}
}

// secretCase is a webhook secret of one auth type, given through the variable webhook_secret.
type secretCase struct {
	authType            dataverse.AuthType
	attr, key, sentinel string
}

// secretCases gives each auth type with its sentinel secret.
func secretCases(webhookKey, header, queryString string) []secretCase {
	return []secretCase{
		{dataverse.AuthTypeWebhookKey, `auth_key_wo = var.webhook_secret`, "", webhookKey},
		{dataverse.AuthTypeHTTPHeader, `auth_headers_wo = { "x-api-key" = var.webhook_secret }`, "x-api-key", header},
		{dataverse.AuthTypeHTTPQueryString, `auth_query_parameters_wo = { "token" = var.webhook_secret }`, "token", queryString},
	}
}

// secretWorkspace writes a webhook named name-<auth type> with tc's secret to a workspace on the
// backend, and returns the workspace, the trace log its commands write and the configuration.
// Both secrets come from the environment, as in a pipeline, and the webhook's through an
// ephemeral variable: Terraform itself prints literals of the configuration (provider arguments
// and resource arguments alike) in the JSON of a plan, and keeps them in the plan file.
func secretWorkspace(t *testing.T, b backend, tc secretCase, name string) (ws *tfcli.Workspace, logFile, config string) {
	t.Helper()
	ws = newWorkspace(t)
	logFile = filepath.Join(t.TempDir(), "terraform.log")
	ws.Env = append(ws.Env, "TF_LOG=trace", "TF_LOG_PATH="+logFile, "TF_VAR_webhook_secret="+tc.sentinel)
	provider := b.providerBlock() // a live environment's settings, its secret too, are in the environment already
	if e := b.emulator(); e != nil {
		ws.Env = append(ws.Env, "DATAVERSE_CLIENT_SECRET="+e.ClientSecret())
		provider = providerBlockWithSecret(e, "")
	}
	config = requiredProviders + provider + fmt.Sprintf(`
variable "webhook_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "dataverse_webhook" "hook" {
  name      = "%[3]s-%[1]s"
  url       = "https://fn.example.net/api/%[4]s"
  auth_type = "%[1]s"
  %[2]s
  auth_wo_version = 1
}
`, tc.authType, tc.attr, b.name(name), name)
	if err := ws.WriteFile("main.tf", config); err != nil {
		t.Fatal(err)
	}
	return ws, logFile, config
}

// providerClientSecret is the client secret the provider signs in with: the emulator's, or on a
// live environment DATAVERSE_CLIENT_SECRET ("" when it signs in another way).
func providerClientSecret(b backend) string {
	if e := b.emulator(); e != nil {
		return e.ClientSecret()
	}
	return os.Getenv("DATAVERSE_CLIENT_SECRET")
}

func webhookIDInState(t *testing.T, ws *tfcli.Workspace) string {
	t.Helper()
	ids := stateIDs(t, ws, "dataverse_webhook")
	if len(ids) != 1 {
		t.Fatalf("state holds %d webhooks, want 1", len(ids))
	}
	return ids[0]
}

func wantAuthValue(t *testing.T, authType dataverse.AuthType, key, secret string) string {
	t.Helper()
	var v string
	var err error
	if key == "" {
		v, err = dataverse.EncodeAuthValue(authType, secret, nil)
	} else {
		v, err = dataverse.EncodeAuthValue(authType, "", map[string]string{key: secret})
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}
