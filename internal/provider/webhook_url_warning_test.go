package provider

import (
	"strings"
	"testing"
)

// The warning about a port Dataverse does not deliver to is shown once by `terraform apply`,
// not once per phase that validates the configuration, and not again when nothing changes.
func TestBuiltProvider_portWarningShownOnce(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ws := newWorkspace(t)
	if err := ws.WriteFile("main.tf", requiredProviders+b.providerBlock()+`
resource "dataverse_webhook" "hook" {
  name        = "`+b.name("odd-port")+`"
  url         = "https://fn.example.net:8443/api/orders"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
`); err != nil {
		t.Fatal(err)
	}
	const warning = "Dataverse will not deliver to this port"
	res := run(t, ws, "apply", "-auto-approve", "-input=false", "-no-color")
	if n := strings.Count(res.Stdout+res.Stderr, warning); n != 1 {
		t.Errorf("apply showed the port warning %d times, want once:\n%s", n, res.Stdout+res.Stderr)
	}
	res = run(t, ws, "plan", "-input=false", "-no-color")
	if n := strings.Count(res.Stdout+res.Stderr, warning); n != 0 {
		t.Errorf("a plan without changes showed the port warning %d times, want none", n)
	}
	run(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color")
}
