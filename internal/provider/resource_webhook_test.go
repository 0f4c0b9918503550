package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

const webhookAddr = "dataverse_webhook.test"

func webhookConfig(b backend, body string) string {
	return b.providerBlock() + fmt.Sprintf("resource \"dataverse_webhook\" \"test\" {\n%s\n}\n", body)
}

// storedSecret asserts what the emulator received as authvalue for the webhook in state. Dataverse
// never returns the authvalue, so on a live environment only the state checks remain.
func storedSecret(b backend, address string, authType dataverse.AuthType, key string, pairs map[string]string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		e := b.emulator()
		if e == nil {
			return nil
		}
		id := attrOf(s, address, "id")
		got, ok := e.AuthValue(id)
		if !ok {
			return fmt.Errorf("the emulator holds no webhook %s", id)
		}
		want, err := dataverse.EncodeAuthValue(authType, key, pairs)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("the emulator holds another secret than the one configured")
		}
		return nil
	}
}

func TestAccWebhook_lifecycle(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	var firstID string
	// A new header secret; the two steps that carry it differ only in auth_wo_version.
	newHeaderSecret := `
  name            = "` + b.name("orders-sync-renamed") + `"
  url             = "https://fn.example.net/api/orders/v2"
  auth_type       = "HttpHeader"
  auth_headers_wo = { "x-api-key" = "hdr-sentinel-0003" }
`

	unitTest(t, b, []resource.TestStep{
		{
			Config: webhookConfig(b, `
  name        = "`+b.name("orders-sync")+`"
  url         = "https://fn.example.net/api/orders"
  auth_type   = "WebhookKey"
  auth_key_wo = "key-sentinel-0001"
`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(webhookAddr, tfjsonpath.New("name"), knownvalue.StringExact(b.name("orders-sync"))),
				statecheck.ExpectKnownValue(webhookAddr, tfjsonpath.New("auth_type"), knownvalue.StringExact("WebhookKey")),
				statecheck.ExpectKnownValue(webhookAddr, tfjsonpath.New("is_auth_value_set"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(webhookAddr, tfjsonpath.New("auth_key_wo"), knownvalue.Null()),
				statecheck.ExpectKnownValue(webhookAddr, tfjsonpath.New("description"), knownvalue.Null()),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				storedSecret(b, webhookAddr, dataverse.AuthTypeWebhookKey, "key-sentinel-0001", nil),
				stateHasNo("key-sentinel-0001"),
				func(s *terraform.State) error { firstID = attrOf(s, webhookAddr, "id"); return nil },
			),
		},
		{
			// name, url and description update in place
			Config: webhookConfig(b, `
  name        = "`+b.name("orders-sync-renamed")+`"
  url         = "https://fn.example.net/api/orders/v2"
  description = "Order changes to the integration"
  auth_type   = "WebhookKey"
  auth_key_wo = "key-sentinel-0001"
`),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(webhookAddr, plancheck.ResourceActionUpdate)},
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(webhookAddr, "name", b.name("orders-sync-renamed")),
				resource.TestCheckResourceAttr(webhookAddr, "url", "https://fn.example.net/api/orders/v2"),
				resource.TestCheckResourceAttr(webhookAddr, "description", "Order changes to the integration"),
				func(s *terraform.State) error {
					if id := attrOf(s, webhookAddr, "id"); id != firstID {
						return fmt.Errorf("id changed from %s to %s: an in-place update replaced the webhook", firstID, id)
					}
					return nil
				},
			),
		},
		{
			// a new auth type sends the new secret in place
			Config: webhookConfig(b, `
  name            = "`+b.name("orders-sync-renamed")+`"
  url             = "https://fn.example.net/api/orders/v2"
  auth_type       = "HttpHeader"
  auth_headers_wo = { "x-api-key" = "hdr-sentinel-0002", "x-tenant" = "contoso" }
`),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(webhookAddr, plancheck.ResourceActionUpdate)},
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(webhookAddr, "auth_type", "HttpHeader"),
				resource.TestCheckNoResourceAttr(webhookAddr, "description"),
				storedSecret(b, webhookAddr, dataverse.AuthTypeHTTPHeader, "", map[string]string{"x-api-key": "hdr-sentinel-0002", "x-tenant": "contoso"}),
				stateHasNo("hdr-sentinel-0002"),
			),
		},
		{
			// a changed secret is sent only when auth_wo_version changes
			Config:   webhookConfig(b, newHeaderSecret),
			PlanOnly: true,
		},
		{
			Config: webhookConfig(b, newHeaderSecret+"  auth_wo_version = 2\n"),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(webhookAddr, "auth_wo_version", "2"),
				storedSecret(b, webhookAddr, dataverse.AuthTypeHTTPHeader, "", map[string]string{"x-api-key": "hdr-sentinel-0003"}),
			),
		},
		{
			Config: webhookConfig(b, `
  name                     = "`+b.name("orders-sync-renamed")+`"
  url                      = "https://fn.example.net/api/orders/v2"
  auth_type                = "HttpQueryString"
  auth_query_parameters_wo = { "token" = "qs-sentinel-0004" }
  auth_wo_version          = 2
`),
			Check: resource.ComposeAggregateTestCheckFunc(
				storedSecret(b, webhookAddr, dataverse.AuthTypeHTTPQueryString, "", map[string]string{"token": "qs-sentinel-0004"}),
				stateHasNo("qs-sentinel-0004"),
			),
		},
		{
			ResourceName:            webhookAddr,
			ImportState:             true,
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: []string{"auth_wo_version"},
		},
		{
			// import by name
			ResourceName:            webhookAddr,
			ImportState:             true,
			ImportStateId:           b.name("orders-sync-renamed"),
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: []string{"auth_wo_version"},
		},
	})
}

func TestAccWebhook_drift(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := webhookConfig(b, `
  name        = "`+b.name("drifting")+`"
  url         = "https://fn.example.net/api/drift"
  auth_type   = "WebhookKey"
  auth_key_wo = "drift-key"
`)
	var id string
	unitTest(t, b, slices.Concat([]resource.TestStep{
		{
			Config: cfg,
			Check:  func(s *terraform.State) error { id = attrOf(s, webhookAddr, "id"); return nil },
		},
		{
			// a url changed behind Terraform's back is planned back
			PreConfig: behindTerraform(t, b, func(ctx context.Context, c *dataverse.Client) error {
				_, err := c.UpdateWebhook(ctx, id, dataverse.WebhookUpdate{URL: new("https://elsewhere.example.net/")})
				return err
			}),
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(webhookAddr, plancheck.ResourceActionUpdate)},
			},
			Check: stored(b.client().GetWebhook, webhookAddr, func(w *dataverse.Webhook) error {
				if w.URL != "https://fn.example.net/api/drift" {
					return fmt.Errorf("url not restored: %v", w.URL)
				}
				return nil
			}),
		},
	}, secretClearedSteps(t, b, func() string { return id }, cfg), []resource.TestStep{
		{
			// a webhook deleted behind Terraform's back is re-created
			PreConfig: behindTerraform(t, b, func(ctx context.Context, c *dataverse.Client) error {
				return c.DeleteWebhook(ctx, id)
			}),
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(webhookAddr, plancheck.ResourceActionCreate)},
			},
			Check: storedSecret(b, webhookAddr, dataverse.AuthTypeWebhookKey, "drift-key", nil),
		},
	}))
}

// secretClearedSteps is the step of a drift scenario in which a person clears the webhook's
// stored secret through the Web API, and the plan sends it again. It is left out where the Web
// API refuses to clear a secret, as a webhook of the backend's own, cleared first, shows:
// Dataverse is not known to allow it.
func secretClearedSteps(t *testing.T, b backend, id func() string, cfg string) []resource.TestStep {
	t.Helper()
	clearSecret := func(id string) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return b.user(t).Update(ctx, "serviceendpoints", id, map[string]any{"authvalue": nil})
	}
	c := b.client()
	probe := mustGet(t, "registering a webhook whose secret to clear", func(ctx context.Context) (*dataverse.Webhook, error) {
		return c.CreateWebhook(ctx, dataverse.WebhookCreate{Name: b.name("secret-cleared"), URL: "https://fn.example.net/api/probe",
			AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "probe-key"})
	})
	err := clearSecret(probe.ID)
	if derr := c.DeleteWebhook(t.Context(), probe.ID); derr != nil {
		t.Fatalf("deleting the webhook whose secret was cleared: %v", derr)
	}
	if status := liveRefusal(b, err); status != 0 {
		t.Logf("leaving out the cleared-secret step: the Web API refuses to clear a webhook's secret (HTTP %d)", status)
		return nil
	}
	if err != nil {
		t.Fatalf("clearing a webhook's secret through the Web API: %v", err)
	}
	return []resource.TestStep{{
		// a cleared secret is planned for re-send
		PreConfig: func() {
			if err := clearSecret(id()); err != nil {
				t.Fatalf("clearing the webhook's secret: %v", err)
			}
		},
		Config: cfg,
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(webhookAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(webhookAddr, tfjsonpath.New("is_auth_value_set"), knownvalue.Bool(true)),
			},
		},
		Check: storedSecret(b, webhookAddr, dataverse.AuthTypeWebhookKey, "drift-key", nil),
	}}
}

func TestAccWebhook_nameInUse(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := b.providerBlock() + `
resource "dataverse_webhook" "first" {
  name        = "` + b.name("taken") + `"
  url         = "https://fn.example.net/a"
  auth_type   = "WebhookKey"
  auth_key_wo = "k1"
}
resource "dataverse_webhook" "second" {
  name        = "` + b.name("taken") + `"
  url         = "https://fn.example.net/b"
  auth_type   = "WebhookKey"
  auth_key_wo = "k2"
  depends_on  = [dataverse_webhook.first]
}
`
	unitTest(t, b, []resource.TestStep{
		{
			Config:      cfg,
			ExpectError: regexp.MustCompile(`(?s)Webhook name used twice.*"` + regexp.QuoteMeta(b.name("taken")) + `"`),
		},
	})
}

// Renaming a webhook to the name of another, unchanged webhook of the configuration is refused
// at plan, and both stay as they were.
func TestAccWebhook_renameToAnUnchangedWebhooksName(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := func(secondName string) string {
		return b.providerBlock() + `
resource "dataverse_webhook" "first" {
  name        = "` + b.name("kept") + `"
  url         = "https://fn.example.net/a"
  auth_type   = "WebhookKey"
  auth_key_wo = "k1"
}
resource "dataverse_webhook" "second" {
  name        = "` + secondName + `"
  url         = "https://fn.example.net/b"
  auth_type   = "WebhookKey"
  auth_key_wo = "k2"
}
`
	}
	unitTest(t, b, []resource.TestStep{
		{Config: cfg(b.name("renamed"))},
		{
			Config:      cfg(strings.ToUpper(b.name("kept"))),
			ExpectError: regexp.MustCompile(`Webhook name (used twice|already in use)`),
		},
		{
			Config:   cfg(b.name("renamed")),
			PlanOnly: true,
		},
	})
}

// Two webhooks trading names in one apply are refused at plan with the way to do it in two, and
// both keep their names; through temporary names it works.
func TestAccWebhook_namesTradedThroughTemporaryNames(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := func(first, second string) string {
		return b.providerBlock() + webhookBlock("first", b.name(first), "") + webhookBlock("second", b.name(second), "")
	}
	names := func(first, second string) resource.TestCheckFunc {
		return resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr("dataverse_webhook.first", "name", b.name(first)),
			resource.TestCheckResourceAttr("dataverse_webhook.second", "name", b.name(second)))
	}
	unitTest(t, b, []resource.TestStep{
		{Config: cfg("east", "west"), Check: names("east", "west")},
		{
			Config:      cfg("west", "east"),
			ExpectError: regexp.MustCompile(`(?s)Webhook name already in use.*trading\s+names.*rename\s+in\s+two\s+applies`),
		},
		{Config: cfg("east", "west"), PlanOnly: true},
		{Config: cfg("east-old", "west-old"), Check: names("east-old", "west-old")},
		{Config: cfg("west", "east"), Check: names("west", "east")},
	})
}

func TestAccWebhook_planTimeChecks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
		want string
	}{
		{"key with header type", `
  name        = "x"
  url         = "https://fn.example.net/x"
  auth_type   = "HttpHeader"
  auth_key_wo = "k"
`, `(?s)auth_key_wo is set, but auth_type is "HttpHeader"`},
		{"missing secret", `
  name      = "x"
  url       = "https://fn.example.net/x"
  auth_type = "WebhookKey"
`, `(?s)Missing webhook secret.*\d+:\s+auth_type\s+=\s+"WebhookKey".*auth_key_wo`},
		{"bad header name", `
  name            = "x"
  url             = "https://fn.example.net/x"
  auth_type       = "HttpHeader"
  auth_headers_wo = { "bad header" = "v" }
`, `(?s)Invalid webhook secret.*bad header`},
		{"empty headers", `
  name            = "x"
  url             = "https://fn.example.net/x"
  auth_type       = "HttpHeader"
  auth_headers_wo = {}
`, `(?s)Empty webhook secret`},
		{"relative url", `
  name        = "x"
  url         = "/api/orders"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
`, `(?s)Invalid webhook URL`},
		{"unknown auth type", `
  name        = "x"
  url         = "https://fn.example.net/x"
  auth_type   = "Basic"
  auth_key_wo = "k"
`, `auth_type value must be one of`},
		// The form a refresh gives a value without a name is not configuration.
		{"auth type in its stored form", `
  name        = "x"
  url         = "https://fn.example.net/x"
  auth_type   = "AuthType(7)"
  auth_key_wo = "k"
`, `auth_type value must be one of`},
		{"blank query parameter", `
  name                     = "x"
  url                      = "https://fn.example.net/x"
  auth_type                = "HttpQueryString"
  auth_query_parameters_wo = { "token" = " " }
`, `(?s)Invalid webhook secret.*"token": the value is empty`},
		// Dataverse registers these and then fails every delivery (0x80050203), or sends
		// something other than what was configured.
		{"restricted header", `
  name            = "x"
  url             = "https://fn.example.net/x"
  auth_type       = "HttpHeader"
  auth_headers_wo = { "User-Agent" = "probe" }
`, `(?s)Invalid webhook secret.*"User-Agent".*every delivery would fail`},
		{"header repeated in another case", `
  name            = "x"
  url             = "https://fn.example.net/x"
  auth_type       = "HttpHeader"
  auth_headers_wo = { "X-Api-Key" = "a", "x-api-key" = "b" }
`, `(?s)Invalid webhook secret.*repeats`},
		{"padded webhook key", `
  name        = "x"
  url         = "https://fn.example.net/x"
  auth_type   = "WebhookKey"
  auth_key_wo = "k "
`, `(?s)Invalid webhook secret.*white space`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			planRefused(t, b, webhookConfig(b, tc.body), tc.want, func(st emulator.Stats) {
				// A missing secret is refused when the plan knows it would be sent, after the
				// provider signed in; every other case is refused before.
				maxTokens := int64(0)
				if tc.name == "missing secret" {
					maxTokens = 1
				}
				if st.Requests.Total != 0 || st.TokenRequests > maxTokens {
					t.Errorf("a configuration error reached the API: %d Web API and %d token requests", st.Requests.Total, st.TokenRequests)
				}
			})
		})
	}
}

// The names of header or query pairs are known at plan even when a value is not (a value from a
// resource created in the same apply): they are checked there all the same.
func TestAccWebhook_pairNamesCheckedWhileAValueIsUnknown(t *testing.T) {
	t.Parallel()
	const secret = `
resource "terraform_data" "secret" {
  input = "from-a-vault"
}
`
	for name, tc := range map[string]struct{ pairs, want string }{
		"restricted header": {`{ "x-a" = terraform_data.secret.output, "Content-Type" = "v" }`, `(?s)Invalid webhook secret.*"Content-Type"`},
		"header repeated":   {`{ "x-a" = terraform_data.secret.output, "X-A" = "v" }`, `(?s)Invalid webhook secret.*repeats`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			planRefused(t, b, webhookConfig(b, `
  name            = "x"
  url             = "https://fn.example.net/x"
  auth_type       = "HttpHeader"
  auth_headers_wo = `+tc.pairs+`
`)+secret, tc.want, func(st emulator.Stats) {
				if st.Requests.Total != 0 {
					t.Errorf("a configuration error reached the API: %d Web API requests", st.Requests.Total)
				}
			})
		})
	}
}

func TestAccWebhook_portWarning(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	unitTest(t, b, []resource.TestStep{{
		Config: webhookConfig(b, `
  name        = "`+b.name("odd-port")+`"
  url         = "https://fn.example.net:8443/x"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
`),
		Check: resource.TestCheckResourceAttr(webhookAddr, "url", "https://fn.example.net:8443/x"),
	}})
}

// Several webhooks with one name in one configuration are refused at plan with the name-in-use
// error, so none is created.
func TestAccWebhook_sameNameInOneApply(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	unitTest(t, b, []resource.TestStep{{
		Config: b.providerBlock() + `
resource "dataverse_webhook" "twin" {
  count       = 4
  name        = "` + b.name("same-name") + `"
  url         = "https://fn.example.net/twin/${count.index}"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
`,
		ExpectError: regexp.MustCompile(`Webhook name used twice`),
	}})
}

// Setting a solution on a webhook that had none recorded keeps the webhook; changing a
// recorded one replaces it, to a solution that exists only; removing it keeps the webhook.
func TestAccWebhook_solutionAfterNone(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	solution := b.unmanagedSolution(t)
	base := `
  name        = "` + b.name("solution-later") + `"
  url         = "https://fn.example.net/later"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
`
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             b.checkDestroyed(),
		Steps: []resource.TestStep{
			{Config: webhookConfig(b, base)},
			{
				Config: webhookConfig(b, base+`  solution_unique_name = "`+solution+`"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(webhookAddr, plancheck.ResourceActionUpdate)},
				},
			},
			{
				// A change to a solution the environment lacks would delete the webhook before
				// its create failed: the plan refuses it.
				Config:      webhookConfig(b, base+`  solution_unique_name = "no_such_solution"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Unknown solution.*"no_such_solution".*replaces the webhook`),
			},
			{
				Config: webhookConfig(b, base+`  solution_unique_name = "Default"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(webhookAddr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				Check: func(*terraform.State) error {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					hooks, err := b.client().ListWebhooks(ctx, dataverse.WebhookFilter{Name: b.name("solution-later")})
					if err != nil {
						return err
					}
					if len(hooks) != 1 {
						return fmt.Errorf("%d webhooks named %s in Dataverse after the replacement, want 1", len(hooks), b.name("solution-later"))
					}
					return nil
				},
			},
			{
				// Unique names compare without case: a change of case names the same solution.
				Config: webhookConfig(b, base+`  solution_unique_name = "DEFAULT"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(webhookAddr, plancheck.ResourceActionUpdate)},
				},
			},
			{
				// Removing the setting only stops recording it: the webhook stays in its solution.
				Config: webhookConfig(b, base),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(webhookAddr, plancheck.ResourceActionUpdate)},
				},
			},
			{
				// Where none is recorded, a name is recorded only when it names a solution.
				Config:      webhookConfig(b, base+`  solution_unique_name = "no_such_solution"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Unknown solution.*"no_such_solution".*without checking it`),
			},
		},
	})
}

// A solution set on a webhook created outside it is only recorded, and the plan says so, once;
// on a webhook already in the solution it says nothing.
func TestBuiltProvider_solutionSetLaterIsOnlyRecorded(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	solution := b.unmanagedSolution(t)
	ws := newWorkspace(t)
	hook := func(address, solutionLine string) string {
		return webhookBlock(address, b.name("solution-"+address), solutionLine)
	}
	in := fmt.Sprintf("solution_unique_name = %q", solution)
	write := func(later, born string) {
		t.Helper()
		if err := ws.WriteFile("main.tf", requiredProviders+b.providerBlock()+hook("later", later)+hook("born", born)); err != nil {
			t.Fatal(err)
		}
	}
	const warning = "Solution only recorded"
	count := func(res tfcli.Result) int { return strings.Count(res.Stdout+res.Stderr, warning) }

	write("", in)
	mustRun(t, ws, applyArgs()...)
	write(in, in)
	if res := mustRun(t, ws, applyArgs()...); count(res) != 1 || !strings.Contains(oneLine(res.Stdout+res.Stderr), `not in solution "`+solution+`"`) {
		t.Errorf("setting the solution on a webhook outside it warned %d times, want once, naming the solution:\n%s", count(res), res.Stdout+res.Stderr)
	}
	// Removing the born webhook's solution and setting it again: it is in the solution.
	write(in, "")
	mustRun(t, ws, applyArgs()...)
	write(in, in)
	if res := mustRun(t, ws, "plan", "-input=false", "-no-color"); count(res) != 0 {
		t.Errorf("setting the solution a webhook is in warned:\n%s", res.Stdout+res.Stderr)
	}
	mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color")
	if err := b.checkDestroyed()(nil); err != nil {
		t.Error(err)
	}
}

func TestURLWithoutQueryValues(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://fn.example.net/api/orders":                          "https://fn.example.net/api/orders",
		"https://fn.example.net/api/orders?code=AzFuncKEY-SeCrEt==":  "https://fn.example.net/api/orders?code=…",
		"https://fn.example.net/api/orders?code=k1&clientId=default": "https://fn.example.net/api/orders?code=…&clientId=…",
		"https://fn.example.net/api/orders?AzFuncKEY-SeCrEt":         "https://fn.example.net/api/orders?…=…",
		"https://user:pa55word@fn.example.net/api/orders?code=k1":    "https://user:xxxxx@fn.example.net/api/orders?code=…",
	} {
		if got := urlWithoutQueryValues(raw); got != want {
			t.Errorf("urlWithoutQueryValues(%q) = %q, want %q", raw, got, want)
		}
	}
}

// A replacement under create_before_destroy derives the id of the webhook it replaces and meets
// it: for a change of solution, taking it over would record a solution the webhook is not in.
// The create refuses it, the webhook stays as it was, and without create_before_destroy the
// replacement puts it in the solution.
func TestAccWebhook_solutionChangeUnderCreateBeforeDestroy(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	solution := b.unmanagedSolution(t)
	name := b.name("solution-cbd")
	hook := func(solution, lifecycle string) string {
		return webhookConfig(b, fmt.Sprintf(`
  name                 = %q
  url                  = "https://fn.example.net/cbd"
  auth_type            = "WebhookKey"
  auth_key_wo          = "k"
  solution_unique_name = %q
  %s
`, name, solution, lifecycle))
	}
	const cbd = "lifecycle {\n    create_before_destroy = true\n  }"
	inSolution := func(*terraform.State) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		hooks, err := b.client().ListWebhooks(ctx, dataverse.WebhookFilter{Name: name})
		if err != nil || len(hooks) != 1 {
			return fmt.Errorf("%d webhooks named %s (%w), want 1", len(hooks), name, err)
		}
		s, err := b.client().SolutionNamed(ctx, solution)
		if err != nil {
			return err
		}
		if in, err := b.client().HasComponent(ctx, s.ID, hooks[0].ID); err != nil || !in {
			return fmt.Errorf("webhook %s in solution %s: %v (%w), want true", hooks[0].ID, solution, in, err)
		}
		return nil
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             b.checkDestroyed(),
		Steps: []resource.TestStep{
			{Config: hook("Default", cbd)},
			{
				Config:      hook(solution, cbd),
				ExpectError: regexp.MustCompile(`(?s)Existing webhook outside the solution.*not in solution "` + solution + `".*Remove\s+create_before_destroy`),
			},
			{
				// Nothing changed: the plan still replaces the webhook.
				Config:   hook(solution, cbd),
				PlanOnly: true, ExpectNonEmptyPlan: true,
			},
			{
				Config: hook(solution, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(webhookAddr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				Check: inSolution,
			},
		},
	})
}

// A new webhook or step naming a solution the environment lacks, or a managed one, is refused at
// plan, before an apply writes the rows planned before it; each name is looked up once.
func TestBuiltProvider_newRowsSolutionCheckedAtPlan(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	managed := managedSolution(t, b)
	ws := newWorkspace(t)
	cfg := requiredProviders + b.providerBlock() +
		webhookBlock("first", b.name("no-solution-1"), `solution_unique_name = "no_such_solution"`) +
		webhookBlock("second", b.name("no-solution-2"), `solution_unique_name = "NO_SUCH_SOLUTION"`) +
		webhookBlock("third", b.name("managed-solution"), "") +
		stepBlock("managed", "third", stepOn("Update", "account")+fmt.Sprintf("  solution_unique_name = %q\n", managed))
	if err := ws.WriteFile("main.tf", cfg); err != nil {
		t.Fatal(err)
	}
	requests := countRequests(t, b, ws)
	requests.reset()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := ws.Run(ctx, "plan", "-input=false", "-no-color")
	if err == nil {
		t.Fatalf("plan succeeded; want the solutions refused:\n%s", res.Stdout)
	}
	out := oneLine(res.Stderr)
	for _, want := range []string{
		`Unknown solution with dataverse_webhook.first`,
		`Unknown solution with dataverse_webhook.second`,
		`Creating the webhook would fail in the apply`,
		`Managed solution with dataverse_webhook_step.managed`,
		`Creating the step would fail in the apply`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan's diagnostics lack %q:\n%s", want, res.Stderr)
		}
	}
	if got := requests.stats(t).Requests.ByEntitySet["solutions"]; got != 2 {
		t.Errorf("%d look-ups of solutions, want 2: one per unique name, compared without case", got)
	}
	if hooks := rowsOfPrefix(t, b, b.name("")).webhooks; len(hooks) != 0 {
		t.Errorf("webhooks %v in Dataverse after a refused plan", hooks)
	}
}

// Removing auth_wo_version with the secret makes the plan send a secret it does not have; the
// error says that the version's change is why, and how to leave the secret alone, which then
// plans no change.
func TestAccWebhook_secretRemovedWithItsVersionSaysWhy(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	body := func(rest string) string {
		return `  name      = "` + b.name("versioned") + `"
  url       = "https://fn.example.net/api/versioned"
  auth_type = "WebhookKey"
` + rest
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             b.checkDestroyed(),
		Steps: []resource.TestStep{
			{Config: webhookConfig(b, body("  auth_key_wo = \"key-sentinel-0001\"\n  auth_wo_version = 1\n"))},
			{
				Config:      webhookConfig(b, body("")),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Missing webhook secret.*\d+:\s+auth_type\s+=\s+"WebhookKey".*auth_wo_version changes from 1 to\s+null.*keep\s+auth_wo_version\s+=\s+1\s+and\s+remove\s+only\s+the\s+secret`),
			},
			// A new version asks for the secret: the error points at it.
			{
				Config:      webhookConfig(b, body("  auth_wo_version = 2\n")),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Missing webhook secret.*\d+:\s+auth_wo_version\s+=\s+2.*auth_wo_version changes from 1 to 2`),
			},
			{Config: webhookConfig(b, body("  auth_wo_version = 1\n")), PlanOnly: true},
		},
	})
}
