package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/entra"
)

// authWebhook is the webhook a provider signed in some way registers, named by the %q.
const authWebhook = `
resource "dataverse_webhook" "test" {
  name        = %q
  url         = "https://fn.example.net/api/auth"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
`

// TestAccProvider_oidc registers a webhook with workload identity federation, the way a
// GitHub Actions pipeline signs in: the token given directly, and fetched from the runner's
// token endpoint.
func TestAccProvider_oidc(t *testing.T) {
	t.Parallel()
	cases := map[string]func(e *emulator.Emulator, t *testing.T) string{
		"token given directly": func(e *emulator.Emulator, t *testing.T) string {
			tok, err := e.Entra().MintFederatedToken(entra.GitHubActionsSubject, entra.TokenExchangeAudience, 10*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("oidc_token = %q", tok)
		},
		"github actions endpoint": func(e *emulator.Emulator, _ *testing.T) string {
			u, tok := e.Entra().GitHubActionsRequest()
			return fmt.Sprintf("oidc_request_url = %q\n  oidc_request_token = %q", u, tok)
		},
	}
	for name, settings := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := needsEmulator(t, "registers applications in its token service")
			clientID := "3c1f4a2e-8d1b-4b8e-9f5a-6e2d7c9b0a11"
			e.RegisterApplication(clientID, "unused-secret-for-this-client")
			e.Entra().RegisterFederatedClient(clientID, e.Entra().FederatedIssuer(), entra.GitHubActionsSubject)
			cfg := fmt.Sprintf(`
provider "dataverse" {
  environment_url = %q
  tenant_id       = %q
  client_id       = %q
  authority_host  = %q
  use_oidc        = true
  %s
}
`, e.URL(), e.TenantID(), clientID, e.AuthorityHost(), settings(e, t)) + fmt.Sprintf(authWebhook, "auth-check")
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6Providers(),
				CheckDestroy:             checkNoRowsLeft(e),
				Steps: []resource.TestStep{{
					Config: cfg,
					Check:  resource.TestCheckResourceAttrSet("dataverse_webhook.test", "id"),
				}},
			})
		})
	}
}

const contosoURL = "https://contoso.crm.dynamics.com"

// offlineProvider is a provider block that Configure refuses before it signs in: environment
// url, a tenant and a client, and the attributes given, each on a line of its own.
func offlineProvider(environmentURL string, attributes ...string) func(*testing.T) string {
	return func(*testing.T) string {
		return fmt.Sprintf("\nprovider \"dataverse\" {\n  environment_url = %q\n  tenant_id = \"t\"\n  client_id = \"c\"\n  %s\n}\n",
			environmentURL, strings.Join(attributes, "\n  "))
	}
}

// A provider that cannot sign in, or is configured wrongly, fails the plan with the attribute
// at fault, and registers nothing. Its block holds every setting: the provider reads no
// environment variable, so those of a live run cannot stand in for the setting a case leaves out.
func TestAccProvider_configurationErrors(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	hookName := b.name("auth-check")
	cases := map[string]struct {
		block func(t *testing.T) string
		want  string
	}{
		"secret missing": {offlineProvider(contosoURL),
			`(?s)Could not set up Dataverse authentication.*no authentication method is configured: set\s+client_secret`},
		"wrong secret": {func(t *testing.T) string { return b.providerSigningInWith(t, "not-the-secret") },
			`(?s)(invalid_client|AADSTS7000215)`},
		// Terraform quotes the source line of the attribute an error is on.
		"certificate given twice, shown on the attribute": {
			offlineProvider(contosoURL, `client_certificate = "eA=="`, `client_certificate_path = "/no/such.pem"`),
			`(?s)not both.*in provider "dataverse":\n\s*\d+:\s+client_certificate_path = "/no/such.pem"`},
		"url with a path": {
			offlineProvider(contosoURL+"/api/data/v9.2", `client_secret = "s"`),
			`(?s)environment_url must not have a path`},
		"authority host over http, shown on the attribute": {
			offlineProvider(contosoURL, `client_secret = "s"`, `authority_host = "http://login.example"`),
			soleError(`in provider "dataverse":\n\s*\d+:\s+authority_host = "http://login.example"\s+client secret authentication: authority_host[^:]*` +
				`must be an https URL such as\s+https://login\.microsoftonline\.com, got "http://login\.example"`)},
	}
	t.Run("cases", func(t *testing.T) {
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				resource.UnitTest(t, resource.TestCase{
					ProtoV6ProviderFactories: protoV6ProvidersReading(func(string) string { return "" }),
					Steps: []resource.TestStep{{
						Config:      tc.block(t) + fmt.Sprintf(authWebhook, hookName),
						ExpectError: regexp.MustCompile(tc.want),
					}},
				})
			})
		}
	})
	// The parallel subtests have finished.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hooks, err := b.client().ListWebhooks(ctx, dataverse.WebhookFilter{Name: hookName})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range hooks {
		t.Errorf("a misconfigured provider created webhook %s", w.Name)
	}
}
