package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The warning about a port Dataverse does not deliver to is shown once by `terraform apply`,
// not once per phase that validates the configuration, and not again when nothing changes.
func TestBuiltProvider_portWarningShownOnce(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ws := newWorkspace(t)
	if err := ws.WriteFile("main.tf", requiredProviders+hookConfig(b, "odd-port", "https://fn.example.net:8443/api/orders")); err != nil {
		t.Fatal(err)
	}
	const warning = "Dataverse will not deliver to this port"
	res := mustRun(t, ws, "apply", "-auto-approve", "-input=false", "-no-color")
	if n := strings.Count(res.Stdout+res.Stderr, warning); n != 1 {
		t.Errorf("apply showed the port warning %d times, want once:\n%s", n, res.Stdout+res.Stderr)
	}
	res = mustRun(t, ws, "plan", "-input=false", "-no-color")
	if n := strings.Count(res.Stdout+res.Stderr, warning); n != 0 {
		t.Errorf("a plan without changes showed the port warning %d times, want none", n)
	}
	mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color")
	if err := b.checkDestroyed()(nil); err != nil {
		t.Error(err)
	}
}

// Secrets that a configuration would put where they do not belong get one warning per cause at
// plan time, and query parameter names that would change the URL are refused.
func TestBuiltProvider_planTimeWarningsForSecretsInTheOpen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, webhook string
		want          []string // summaries that must appear exactly once
		wantError     string
	}{
		{"function key in the URL", `
  url       = "https://fn.example.net/api/orders?code=Fk-abc123"
  auth_type = "WebhookKey"
  auth_key_wo = "k"`, []string{"Webhook URL carries a secret"}, ""},
		{"http with a secret", `
  url       = "http://fn.example.net/api/orders"
  auth_type = "WebhookKey"
  auth_key_wo = "k"`, []string{"Webhook secret travels in clear text"}, ""},
		{"http with a key in the URL", `
  url       = "http://fn.example.net/api/orders?code=Fk-abc123"
  auth_type = "WebhookKey"
  auth_key_wo = "k"`, []string{"Webhook URL carries a secret", "Webhook secret travels in clear text"}, ""},
		{"query parameter name with reserved characters", `
  url       = "https://fn.example.net/api/orders"
  auth_type = "HttpQueryString"
  auth_query_parameters_wo = { "to&ken=x" = "v" }`, nil, "Invalid query parameter name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws := newWorkspace(t)
			config := requiredProviders + fmt.Sprintf(`
resource "dataverse_webhook" "hook" {
  name = "warned"
  %s
  auth_wo_version = 1
}
`, tt.webhook)
			if err := ws.WriteFile("main.tf", config); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, _ := ws.Run(ctx, "validate", "-no-color")
			out := oneLine(res.Stdout + res.Stderr)
			for _, summary := range tt.want {
				if n := strings.Count(out, summary); n != 1 {
					t.Errorf("%q appears %d times, want once:\n%s", summary, n, out)
				}
			}
			if tt.wantError != "" && !strings.Contains(out, tt.wantError) {
				t.Errorf("no %q:\n%s", tt.wantError, out)
			}
			// Terraform quotes the configuration line itself; the provider's words must not.
			if strings.Contains(regexp.MustCompile(`url = "[^"]*"`).ReplaceAllString(out, ""), "Fk-abc123") {
				t.Errorf("a warning quotes the key in the URL:\n%s", out)
			}
			if tt.name == "function key in the URL" && !strings.Contains(out, "auth_key_wo") {
				t.Errorf("the warning does not suggest auth_key_wo:\n%s", out)
			}
		})
	}
}
