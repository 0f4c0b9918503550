package provider

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
)

// TestAuthSetupErrorPaths checks that each configuration error of internal/auth lands on the
// attributes it names, and one no attribute fixes on the provider block.
func TestAuthSetupErrorPaths(t *testing.T) {
	t.Parallel()
	const env = "https://contoso.crm.dynamics.com"
	cases := []struct {
		name  string
		cfg   auth.Config
		paths []string // empty: one error without a path
	}{
		{"secret without tenant", auth.Config{EnvironmentURL: env, ClientID: "c", ClientSecret: "s"}, []string{"tenant_id"}},
		{"certificate without tenant and client", auth.Config{EnvironmentURL: env, ClientCertificate: "eA=="}, []string{"tenant_id", "client_id"}},
		{"certificate given twice", auth.Config{EnvironmentURL: env, TenantID: "t", ClientID: "c", ClientCertificate: "eA==", ClientCertificatePath: "/c.pem"},
			[]string{"client_certificate_path", "client_certificate"}},
		{"request URL without its token", auth.Config{EnvironmentURL: env, TenantID: "t", ClientID: "c", OIDCRequestURL: "https://x"}, []string{"oidc_request_token"}},
		{"two switches", auth.Config{EnvironmentURL: env, UseCLI: true, UseMSI: true}, []string{"use_cli", "use_msi"}},
		{"managed identity without environment", auth.Config{UseMSI: true}, []string{"environment_url"}},
		{"authority over http", auth.Config{EnvironmentURL: env, TenantID: "t", ClientID: "c", ClientSecret: "s", AuthorityHost: "http://login.example"}, []string{"authority_host"}},
		{"no method", auth.Config{EnvironmentURL: env}, nil},
		{"not a configuration error", auth.Config{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := auth.ChooseMethod(tc.cfg)
			if tc.name == "not a configuration error" {
				err = errors.New("certificate file unreadable")
			}
			if err == nil {
				t.Fatal("ChooseMethod accepted the configuration")
			}
			var diags diag.Diagnostics
			addAuthSetupError(&diags, err)
			var got []string
			for _, d := range diags.Errors() {
				for _, p := range tc.paths {
					if !strings.Contains(d.Detail(), p) {
						t.Errorf("detail %q does not name %s", d.Detail(), p)
					}
				}
				for _, s := range providerSettings {
					if s.auth != "" && strings.Contains(d.Detail(), string(s.auth)) {
						t.Errorf("detail %q names the setting %s as internal/auth spells it, not as %s", d.Detail(), s.auth, s.name)
					}
				}
				if tc.name == "not a configuration error" && d.Detail() != err.Error() {
					t.Errorf("detail %q, want the error %q as it is", d.Detail(), err)
				}
				if pd, ok := d.(diag.DiagnosticWithPath); ok {
					got = append(got, pd.Path().String())
				}
			}
			if !slices.Equal(got, tc.paths) {
				t.Errorf("errors on %v, want %v", got, tc.paths)
			}
			if len(tc.paths) == 0 && diags.ErrorsCount() != 1 {
				t.Errorf("%d errors, want one on the provider block", diags.ErrorsCount())
			}
		})
	}
}

// TestAuthSetupErrorNamesEnvironmentVariables checks that the attributes in an error's message
// come with their environment variables, the Azure DevOps ones when a service connection is set.
func TestAuthSetupErrorNamesEnvironmentVariables(t *testing.T) {
	t.Parallel()
	const env = "https://contoso.crm.dynamics.com"
	cases := []struct {
		cfg  auth.Config
		want string
	}{
		{auth.Config{EnvironmentURL: env, ClientID: "c", ClientSecret: "s"},
			"client secret authentication needs tenant_id (or DATAVERSE_TENANT_ID / ARM_TENANT_ID / AZURE_TENANT_ID)"},
		{auth.Config{EnvironmentURL: env, TenantID: "t", UseOIDC: true, ADOServiceConnectionID: "conn"},
			"OIDC authentication needs client_id (or DATAVERSE_CLIENT_ID / ARM_CLIENT_ID / AZURE_CLIENT_ID), " +
				"oidc_request_url (or SYSTEM_OIDCREQUESTURI) and oidc_request_token (or SYSTEM_ACCESSTOKEN)"},
		{auth.Config{EnvironmentURL: env, TenantID: "t", ClientID: "c", UseOIDC: true},
			"OIDC authentication needs one of oidc_token (or DATAVERSE_OIDC_TOKEN / ARM_OIDC_TOKEN), " +
				"oidc_token_file_path (or DATAVERSE_OIDC_TOKEN_FILE_PATH / ARM_OIDC_TOKEN_FILE_PATH / AZURE_FEDERATED_TOKEN_FILE), " +
				"or oidc_request_url (or DATAVERSE_OIDC_REQUEST_URL / ARM_OIDC_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_URL) " +
				"with oidc_request_token (or DATAVERSE_OIDC_REQUEST_TOKEN / ARM_OIDC_REQUEST_TOKEN / ACTIONS_ID_TOKEN_REQUEST_TOKEN)"},
	}
	for _, tc := range cases {
		_, err := auth.ChooseMethod(tc.cfg)
		var diags diag.Diagnostics
		addAuthSetupError(&diags, err)
		for _, d := range diags.Errors() {
			if d.Detail() != tc.want {
				t.Errorf("detail\n  %s\nwant\n  %s", d.Detail(), tc.want)
			}
		}
		if !diags.HasError() {
			t.Errorf("no error for %v", err)
		}
	}
}

// Every setting a sign-in failure points at is a provider attribute, so the error lands on it.
func TestSignInFailuresPointAtAttributes(t *testing.T) {
	t.Parallel()
	for code, s := range settingByEntraCode {
		if attributeOf(s) == "" {
			t.Errorf("Entra ID's %s points at %s, which no provider attribute sets", code, s)
		}
	}
	for _, m := range []auth.Method{auth.MethodClientSecret, auth.MethodClientCertificate, auth.MethodOIDC, auth.MethodManagedIdentity, auth.MethodAzureCLI} {
		if s := (auth.Config{}).Credential(m); attributeOf(s) == "" {
			t.Errorf("method %s: its credential %q is set by no provider attribute", m, s)
		}
	}
	if got := attributeOf(auth.ClientSecret); got != "client_secret" {
		t.Errorf("attributeOf(ClientSecret) = %q, want client_secret", got)
	}
}

// A refused credential is reported on the attribute that holds it: a certificate given by path
// on client_certificate_path, an inline one on client_certificate.
func TestSignInFailurePointsAtTheCredentialSet(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  auth.Config
		err  string
		want string
	}{
		{"certificate by path, not registered", auth.Config{ClientCertificatePath: "/c.pem"}, "AADSTS700027: certificate not registered", "client_certificate_path"},
		{"inline certificate, not registered", auth.Config{ClientCertificate: "eA=="}, "AADSTS700027: certificate not registered", "client_certificate"},
		{"certificate by path, no code", auth.Config{ClientCertificatePath: "/c.pem"}, "connection reset", "client_certificate_path"},
		{"expired secret", auth.Config{ClientSecret: "s"}, "AADSTS7000222: expired", "client_secret"},
		{"unknown tenant", auth.Config{ClientSecret: "s"}, "AADSTS90002: tenant not found", "tenant_id"},
		{"OIDC by token file", auth.Config{OIDCTokenFilePath: "/t"}, "token file unreadable", "oidc_token_file_path"},
		{"OIDC switched on, no federated credential", auth.Config{UseOIDC: true, OIDCToken: "x"}, "AADSTS70021: no match", "use_oidc"},
		{"OIDC switched on, token request failed", auth.Config{UseOIDC: true, OIDCRequestURL: "https://x", OIDCRequestToken: "y"}, "HTTP 403", "use_oidc"},
		{"managed identity", auth.Config{UseMSI: true}, "no endpoint", "use_msi"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			method, err := auth.ChooseMethod(tc.cfg)
			if err != nil {
				// Only the credential matters here; the method is what the settings choose.
				var cfgErr *auth.ConfigError
				if !errors.As(err, &cfgErr) || cfgErr.Method == "" {
					t.Fatalf("ChooseMethod: %v", err)
				}
				method = cfgErr.Method
			}
			var diags diag.Diagnostics
			checkSignIn(t.Context(), failingTokens(tc.err), method, tc.cfg.Credential(method), &diags)
			if diags.ErrorsCount() != 1 {
				t.Fatalf("%d errors, want one: %v", diags.ErrorsCount(), diags)
			}
			pd, ok := diags.Errors()[0].(diag.DiagnosticWithPath)
			if !ok || pd.Path().String() != tc.want {
				t.Errorf("error on %v, want %s", diags.Errors()[0], tc.want)
			}
		})
	}
}

// failingTokens is a token source Entra ID refuses with text.
type failingTokens string

func (f failingTokens) Token(context.Context, bool) (string, error) { return "", errors.New(string(f)) }

// A sign-in endpoint this machine cannot reach is reported as that, on the setting that names the
// endpoint, not as a credential to check.
func TestSignInFailureOfAnUnreachableEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method     auth.Method
		credential auth.Setting
		text, want string
	}{
		{auth.MethodClientSecret, auth.ClientSecret, `Post "https://127.0.0.1:18443/t/oauth2/v2.0/token": dial tcp 127.0.0.1:18443: connect: connection refused (gave up after 4 attempts)`, "authority_host"},
		{auth.MethodClientCertificate, auth.ClientCertificatePath, `Post "https://login.microsoftonline.com/t/oauth2/v2.0/token": dial tcp: lookup login.microsoftonline.com: no such host`, "authority_host"},
		{auth.MethodManagedIdentity, auth.UseMSI, `Get "http://169.254.169.254/metadata/identity/oauth2/token": dial tcp 169.254.169.254:80: connect: network is unreachable`, "use_msi"},
		{auth.MethodOIDC, auth.UseOIDC, `OIDC authentication failed: the GitHub Actions ID token request to https://127.0.0.1:1/token failed: Get "https://127.0.0.1:1/token?audience=api%3A%2F%2FAzureADTokenExchange": dial tcp 127.0.0.1:1: connect: connection refused`, "oidc_request_url"},
		{auth.MethodOIDC, auth.UseOIDC, `OIDC authentication failed: Post "https://login.microsoftonline.com/t/oauth2/v2.0/token": dial tcp: lookup login.microsoftonline.com: no such host`, "authority_host"},
	} {
		var diags diag.Diagnostics
		checkSignIn(t.Context(), failingTokens(tc.text), tc.method, tc.credential, &diags)
		if diags.ErrorsCount() != 1 {
			t.Fatalf("%d errors, want one: %v", diags.ErrorsCount(), diags)
		}
		d := diags.Errors()[0]
		pd, ok := d.(diag.DiagnosticWithPath)
		if !ok || pd.Path().String() != tc.want || !strings.Contains(d.Detail(), "could not reach") || strings.Contains(d.Detail(), "Check the provider setting") {
			t.Errorf("%s: %s: %s (on %v); want it on %s, saying the endpoint could not be reached and not pointing at the credential", tc.method, d.Summary(), d.Detail(), d, tc.want)
		}
	}
}

// A sign-in endpoint whose certificate this machine does not trust is reported as that, with
// the way to trust its CA, not as a credential to check.
func TestSignInFailureOfAnUntrustedCertificate(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		`Post "https://127.0.0.1:8443/t/oauth2/v2.0/token": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
		`x509: certificate signed by unknown authority`,
	} {
		var diags diag.Diagnostics
		checkSignIn(t.Context(), failingTokens(text), auth.MethodClientSecret, auth.ClientSecret, &diags)
		if diags.ErrorsCount() != 1 {
			t.Fatalf("%d errors, want one: %v", diags.ErrorsCount(), diags)
		}
		d := diags.Errors()[0]
		if _, onAttribute := d.(diag.DiagnosticWithPath); onAttribute || !strings.Contains(d.Detail(), "SSL_CERT_FILE") || strings.Contains(d.Detail(), "Check the provider setting") {
			t.Errorf("%q: %s: %s; want it on the provider block, pointing at SSL_CERT_FILE and at no provider setting", text, d.Summary(), d.Detail())
		}
	}
}
