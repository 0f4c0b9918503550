package provider

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
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
	cases := map[string]func(t *testing.T, f federation) string{
		"token given directly": func(t *testing.T, f federation) string { return fmt.Sprintf("oidc_token = %q", f.token(t)) },
		"github actions endpoint": func(_ *testing.T, f federation) string {
			return fmt.Sprintf("oidc_request_url = %q\n  oidc_request_token = %q", f.requestURL, f.requestToken)
		},
	}
	for name, settings := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, f := federatedBackend(t)
			cfg := fmt.Sprintf(`
provider "dataverse" {
  environment_url = %q
  tenant_id       = %q
  client_id       = %q
  authority_host  = %q
  use_oidc        = true
  %s
}
`, f.environmentURL, f.tenantID, f.clientID, f.authorityHost, settings(t, f)) + fmt.Sprintf(authWebhook, b.name("auth-check"))
			resource.UnitTest(t, resource.TestCase{
				// Only the block configures the provider: a live run's client secret is not read.
				ProtoV6ProviderFactories: protoV6ProvidersReading(func(string) string { return "" }),
				CheckDestroy:             b.checkDestroyed(),
				Steps: []resource.TestStep{{
					Config: cfg,
					Check:  resource.TestCheckResourceAttrSet("dataverse_webhook.test", "id"),
				}},
			})
		})
	}
}

// federation is what a provider needs to sign in to a backend with workload identity
// federation as a GitHub Actions workflow does.
type federation struct {
	environmentURL, tenantID, clientID, authorityHost string
	// requestURL and requestToken are the runner's token endpoint and the bearer token it takes.
	requestURL, requestToken string
	// token is a federated token for Entra's token exchange.
	token func(t *testing.T) string
}

// federatedBackend is a backend and its federation: on the emulator an application of its own
// trusting the emulator's GitHub Actions issuer; on a live environment the application of the
// environment variables, signing in from the GitHub Actions run the tests are in, which it must
// trust (a workflow with permission id-token: write).
func federatedBackend(t *testing.T) (backend, federation) {
	t.Helper()
	if liveEnvironment() {
		requestURL := variableOrSkip(t, "ACTIONS_ID_TOKEN_REQUEST_URL", "signs in with workload identity federation",
			"the GitHub Actions runner's token endpoint, which a job with permission id-token: write has")
		f := federation{
			environmentURL: os.Getenv("DATAVERSE_URL"), tenantID: os.Getenv("DATAVERSE_TENANT_ID"), clientID: os.Getenv("DATAVERSE_CLIENT_ID"),
			authorityHost: cmp.Or(os.Getenv("DATAVERSE_AUTHORITY_HOST"), auth.DefaultAuthorityHost),
			requestURL:    requestURL, requestToken: os.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
		}
		f.token = func(t *testing.T) string { return runnerToken(t, f.requestURL, f.requestToken) }
		return newBackend(t), f
	}
	e := launchEmulator(t)
	clientID := "3c1f4a2e-8d1b-4b8e-9f5a-6e2d7c9b0a11"
	e.RegisterApplication(clientID, "unused-secret-for-this-client")
	e.Entra().RegisterFederatedClient(clientID, e.Entra().FederatedIssuer(), entra.GitHubActionsSubject)
	requestURL, requestToken := e.Entra().GitHubActionsRequest()
	return emulatorBackend(e), federation{
		environmentURL: e.URL(), tenantID: e.TenantID(), clientID: clientID, authorityHost: e.AuthorityHost(),
		requestURL: requestURL, requestToken: requestToken,
		token: func(t *testing.T) string {
			tok, err := e.Entra().MintFederatedToken(entra.GitHubActionsSubject, entra.TokenExchangeAudience, 10*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		},
	}
}

// runnerToken asks a GitHub Actions runner's token endpoint for a token with Entra's token
// exchange audience, as a workflow step would with curl.
func runnerToken(t *testing.T, requestURL, requestToken string) string {
	t.Helper()
	return mustGet(t, "asking the runner for a federated token", func(ctx context.Context) (string, error) {
		u, err := url.Parse(requestURL)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("audience", entra.TokenExchangeAudience)
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+requestToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		var body struct {
			Value string `json:"value"`
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("HTTP %d from the runner's token endpoint", resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Value == "" {
			return "", fmt.Errorf("the runner's token endpoint gave no token: %w", cmp.Or(err, errors.New(`no "value"`)))
		}
		return body.Value, nil
	})
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
		"url without its scheme": {
			offlineProvider("contoso.crm.dynamics.com", `client_secret = "s"`),
			`(?s)environment_url needs its scheme: use\s+"https://contoso\.crm\.dynamics\.com"`},
		"host and port without a scheme": {
			offlineProvider("127.0.0.1:18443", `client_secret = "s"`),
			`(?s)environment_url needs its scheme: use\s+"https://127\.0\.0\.1:18443"`},
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
