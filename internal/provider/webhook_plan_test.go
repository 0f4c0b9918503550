package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
)

// A WebhookKey longer than serviceendpoint.authvalue holds is refused at plan, from a variable
// too (known only once Terraform plans), like pairs of the same size.
func TestAccWebhook_longKeyRefusedAtPlan(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	planRefused(t, b, b.providerBlock()+fmt.Sprintf(`
variable "key" {
  type      = string
  sensitive = true
  default   = %q
}
resource "dataverse_webhook" "test" {
  name        = %q
  url         = "https://fn.example.net/api/long"
  auth_type   = "WebhookKey"
  auth_key_wo = var.key
}
`, strings.Repeat("k", 2049), b.name("long-key")), `(?s)Invalid webhook secret.*longer than 2048`, func(st emulator.Stats) {
		if w := st.Requests.ByMethod["POST"]; w != 0 {
			t.Errorf("a refused plan wrote %d rows", w)
		}
	})
}

// Dataverse counts a text column's length in UTF-16 code units: a webhook name of 129 emoji
// (258 units) is refused at plan, and 128 emoji fill it, the step's default name then cut to
// fit its column.
func TestAccWebhook_nameLengthCountedAsDataverseCounts(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	config := func(emoji int) string {
		return hookConfig(b, strings.Repeat("😀", emoji), "https://fn.example.net/api/emoji") + `
resource "dataverse_webhook_step" "test" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Update"
  table      = "account"
}
`
	}
	// The live backend's prefix takes part of the name: the emoji fill the rest.
	prefix := b.name("")
	fill := (dataverse.MaxWebhookNameLength - dataverse.TextLength(prefix)) / 2
	full := prefix + strings.Repeat("😀", fill)
	unitTest(t, b, []resource.TestStep{
		{
			Config:      config(fill + 1),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Value Length.*name must be from 1 to 256 characters`),
		},
		{
			Config: config(fill),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("dataverse_webhook.hook", "name", full),
				resource.TestCheckResourceAttrWith(stepAddr, "name", func(got string) error {
					if n := dataverse.TextLength(got); n > dataverse.MaxStepNameLength || !strings.HasPrefix(full+": Update of account", got) {
						return fmt.Errorf("default step name %q: %d units, want a prefix of the webhook's name that fits %d", got, n, dataverse.MaxStepNameLength)
					}
					return nil
				}),
			),
		},
	})
}

// A name already used in the environment is refused at plan, for every new webhook of the
// configuration from one listing of the webhooks, and nothing is written.
func TestAccWebhook_nameInUseRefusedAtPlan(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	seededStep(t, b, "Update", dataverse.StepStagePostOperation, dataverse.StepModeAsynchronous) // a webhook named "seeded"
	var cfg strings.Builder
	cfg.WriteString(b.providerBlock())
	for i := range 5 {
		fmt.Fprintf(&cfg, `
resource "dataverse_webhook" "free%d" {
  name        = %q
  url         = "https://fn.example.net/api/%d"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
`, i, b.name(fmt.Sprintf("free-%d", i)), i)
	}
	fmt.Fprintf(&cfg, `
resource "dataverse_webhook" "test" {
  name        = %q
  url         = "https://fn.example.net/api/seeded"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
`, b.name("Seeded"))
	resetCounts(b) // count the plan's requests, not the seeding's
	planRefused(t, b, cfg.String(), `(?s)Webhook name already in use.*"`+regexp.QuoteMeta(b.name("seeded"))+`".*terraform import`, func(st emulator.Stats) {
		if w := st.Requests.ByMethod["POST"] + st.Requests.ByMethod["PATCH"]; w != 0 {
			t.Errorf("a refused plan wrote to Dataverse: %+v", st.Requests.ByMethod)
		}
		if n := st.Requests.ByEntitySet["serviceendpoints"]; n != 1 {
			t.Errorf("checking six names took %d requests to serviceendpoints, want one listing", n)
		}
	})
}

// A credential Entra ID refuses is one provider configuration error naming the setting and
// Entra ID's code, before any resource asks Dataverse anything.
func TestAccProvider_signInFailureReportedOnce(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	var steps strings.Builder
	for i := range 3 {
		fmt.Fprintf(&steps, `
resource "dataverse_webhook_step" "s%d" {
  webhook_id = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a1%d"
  message    = "Update"
  table      = "account"
}
`, i, i)
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		Steps: []resource.TestStep{{
			Config:      b.providerSigningInWith(t, "not-the-secret") + steps.String(),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Could not sign in to Microsoft Entra ID.*AADSTS7000215.*client_secret`),
		}},
	})
	if e := b.emulator(); e != nil {
		if n := e.Stats().Requests.Total; n != 0 {
			t.Errorf("%d Web API requests after a failed sign-in, want none", n)
		}
	}
}

// A sign-in endpoint that cannot be reached is reported as that, on authority_host, and not as
// a client secret to check: nothing judged the secret.
func TestAccProvider_signInEndpointUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "https://" + ln.Addr().String()
	_ = ln.Close()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "dataverse" {
  environment_url = %[1]q
  authority_host  = %[1]q
  tenant_id       = "00000000-0000-0000-0000-0000000000a1"
  client_id       = "00000000-0000-0000-0000-0000000000c1"
  client_secret   = "not-checked"
}

data "dataverse_webhooks" "all" {}
`, closed),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Could not sign in to Microsoft Entra ID.*in provider "dataverse":\s+\d+:\s+authority_host\s+=.*connection refused.*could not reach the Entra ID\s+sign-in endpoint, so no credential\s+was checked`),
		}},
	})
}

// An import by a misspelled name suggests the nearest webhook name.
func TestAccWebhook_importByMisspelledName(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := webhookConfig(b, `
  name        = "`+b.name("orders-sync")+`"
  url         = "https://fn.example.net/api/orders"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
`)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				Config:        cfg,
				ResourceName:  webhookAddr,
				ImportState:   true,
				ImportStateId: b.name("order-sync"),
				// Terraform wraps the message: a live backend's longer names move the break.
				ExpectError: regexp.MustCompile(`(?s)No webhook with that name.*Did you mean\s+"` + regexp.QuoteMeta(b.name("orders-sync")) + `"\?`),
			},
		},
	})
}

// Every bad header is reported at once, and an empty name comes with the fix.
func TestAccWebhook_everyBadHeaderReported(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		Steps: []resource.TestStep{{
			Config: webhookConfig(b, `
  name            = "`+b.name("headers")+`"
  url             = "https://fn.example.net/x"
  auth_type       = "HttpHeader"
  auth_headers_wo = { "" = "v", "Host" = "h", "bad header" = "v", "x-ok" = "v" }
`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)entry whose name is empty.*Give it the name.*x-api-key.*key "Host".*key "bad header"`),
		}},
	})
}

// A timeout of zero or less is refused by validate with its path. Accepted, it was stored, and
// every later refresh ended at once with a value the configuration could no longer change.
func TestBuiltProvider_timeoutsOfZeroOrLessAreRefused(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := requiredProviders + b.providerBlock() + `
resource "dataverse_webhook" "invoices" {
  name      = "invoices"
  url       = "https://billing.example.net/hooks/invoices"
  auth_type = "HttpHeader"
  timeouts {
    read   = "-5s"
    create = "0s"
    update = "10m"
  }
}

data "dataverse_webhooks" "all" {
  timeouts {
    read = "-1m"
  }
}
`
	var errs []string
	for _, d := range validateErrors(t, cfg) {
		errs = append(errs, fmt.Sprintf("line %d: %s", d.Range.Start.Line, d.Detail))
	}
	slices.Sort(errs)
	want := []string{
		`line ` + strconv.Itoa(lineOf(cfg, `read   = "-5s"`)) + `: "-5s" is not a duration of more than zero; use a Go duration such as 30s or 10m.`,
		`line ` + strconv.Itoa(lineOf(cfg, `create = "0s"`)) + `: "0s" is not a duration of more than zero; use a Go duration such as 30s or 10m.`,
		`line ` + strconv.Itoa(lineOf(cfg, `read = "-1m"`)) + `: "-1m" is not a duration of more than zero; use a Go duration such as 30s or 10m.`,
	}
	if !slices.Equal(errs, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
}

// Each mistake a user makes in a block is one error with the attribute and the fix, not two
// validators' versions of it. (The blocks are independent: validation skips a block whose
// dependency failed.)
func TestBuiltProvider_oneErrorPerMistake(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := requiredProviders + b.providerBlock() + `
resource "dataverse_webhook" "hook" {
  name        = "orders"
  url         = "https://fn.example.net/api/orders"
  auth_type   = "WebhookKey"
  auth_key_wo = ""
}

resource "dataverse_webhook_step" "step" {
  webhook_id           = "00000000-0000-0000-0000-000000000001"
  message              = "Update"
  table                = "account"
  filtering_attributes = ["", "name"]
  run_as_user_id       = "{4867b753-700c-4358-b318-d1b832e8bd68}"
}
`
	var errs []string
	for _, d := range validateErrors(t, cfg) {
		errs = append(errs, d.Summary+": "+d.Detail)
	}
	wants := []string{"auth_key_wo string length must be at least 1", `must be a column logical name`, "Remove the braces: 4867b753-700c-4358-b318-d1b832e8bd68."}
	if len(errs) != len(wants) {
		t.Fatalf("%d errors, want %d, one per mistake:\n%s", len(errs), len(wants), strings.Join(errs, "\n"))
	}
	for _, want := range wants { // blocks validate concurrently, in no set order
		if n := len(slices.DeleteFunc(slices.Clone(errs), func(e string) bool { return !strings.Contains(e, want) })); n != 1 {
			t.Errorf("%d errors containing %q, want 1:\n%s", n, want, strings.Join(errs, "\n"))
		}
	}
}

// validateErrors runs terraform validate on cfg, in a workspace of its own, and returns its
// errors.
func validateErrors(t *testing.T, cfg string) []validateDiagnostic {
	t.Helper()
	ws := newWorkspace(t)
	if err := ws.WriteFile("main.tf", cfg); err != nil {
		t.Fatal(err)
	}
	res, _ := ws.Run(context.Background(), "validate", "-json", "-no-color")
	var got validateResult
	if err := json.Unmarshal([]byte(res.Stdout), &got); err != nil {
		t.Fatalf("terraform validate printed no JSON (%v):\n%s", err, res.Stderr)
	}
	return slices.DeleteFunc(got.Diagnostics, func(d validateDiagnostic) bool { return d.Severity != "error" })
}

// lineOf is the 1-based line of text on which s first stands.
func lineOf(text, s string) int {
	return strings.Count(text[:strings.Index(text, s)], "\n") + 1
}
