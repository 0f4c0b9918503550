package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestResolveSettingsPrecedence(t *testing.T) {
	t.Parallel()
	cfg := providerValues{"tenant_id": types.StringValue("tenant-from-config")}
	env := map[string]string{
		"DATAVERSE_URL":       "https://contoso.crm.dynamics.com/",
		"DATAVERSE_TENANT_ID": "tenant-from-env",
		"ARM_CLIENT_ID":       "client-from-arm",
		"AZURE_CLIENT_ID":     "client-from-azure",
		"AZURE_CLIENT_SECRET": "s3cret",
		"DATAVERSE_USE_OIDC":  "true",
	}
	s, diags := resolveSettings(cfg, envFunc(env))
	if diags.HasError() {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	if got := s.auth.EnvironmentURL; got != "https://contoso.crm.dynamics.com" {
		t.Errorf("environment URL = %q, want the trailing slash removed", got)
	}
	if got := s.auth.TenantID; got != "tenant-from-config" {
		t.Errorf("tenant = %q, want the configured value to beat the environment", got)
	}
	if got := s.auth.ClientID; got != "client-from-arm" {
		t.Errorf("client id = %q, want ARM_CLIENT_ID before AZURE_CLIENT_ID", got)
	}
	if got := s.auth.ClientSecret; got != "s3cret" {
		t.Errorf("client secret not taken from AZURE_CLIENT_SECRET")
	}
	if !s.auth.UseOIDC {
		t.Errorf("use_oidc not taken from DATAVERSE_USE_OIDC")
	}
	if s.client.MaxRetries != 0 || s.client.MaxConcurrentRequests != 0 || s.client.RequestTimeout != 0 {
		t.Errorf("unset tuning must leave the client's defaults: %+v", s.client)
	}
	if s.auth.AuthorityHost != "" {
		t.Errorf("authority host = %q, want it left to internal/auth's default", s.auth.AuthorityHost)
	}
	if got := s.auth.Secrets(); len(got) != 1 || got[0] != "s3cret" {
		t.Errorf("secrets to mask = %d values, want the client secret only", len(got))
	}
}

func TestResolveSettingsAzureDevOpsFallbacks(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"DATAVERSE_URL":                          "https://contoso.crm.dynamics.com",
		"ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID": "sc-1",
		"SYSTEM_OIDCREQUESTURI":                  "https://dev.azure.com/contoso/oidc",
		"SYSTEM_ACCESSTOKEN":                     "ado-token",
		"ACTIONS_ID_TOKEN_REQUEST_URL":           "https://github.example/token",
	}
	s, diags := resolveSettings(nil, envFunc(env))
	if diags.HasError() {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	if s.auth.OIDCRequestURL != "https://dev.azure.com/contoso/oidc" || s.auth.OIDCRequestToken != "ado-token" {
		t.Errorf("with a service connection the Azure DevOps variables must win: url=%q", s.auth.OIDCRequestURL)
	}

	delete(env, "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID")
	s, _ = resolveSettings(nil, envFunc(env))
	if s.auth.OIDCRequestURL != "https://github.example/token" {
		t.Errorf("without a service connection GitHub's variable applies: url=%q", s.auth.OIDCRequestURL)
	}
}

func TestResolveSettingsErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		env       map[string]string
		attribute string
		wantText  string
	}{
		{"missing url", map[string]string{}, "environment_url", "DATAVERSE_URL"},
		{"http url", map[string]string{"DATAVERSE_URL": "http://contoso.crm.dynamics.com"}, "environment_url", "must use https"},
		{"url with path", map[string]string{"DATAVERSE_URL": "https://contoso.crm.dynamics.com/api/data/v9.2"}, "environment_url", `use "https://contoso.crm.dynamics.com"`},
		{"url without host", map[string]string{"DATAVERSE_URL": "https://"}, "environment_url", "must name a host"},
		{"bad timeout", map[string]string{"DATAVERSE_URL": "https://a.b", "DATAVERSE_REQUEST_TIMEOUT": "soon"}, "request_timeout", "Go duration"},
		{"too many retries", map[string]string{"DATAVERSE_URL": "https://a.b", "DATAVERSE_MAX_RETRIES": "500"}, "max_retries", "from 1 to 50"},
		{"too much concurrency", map[string]string{"DATAVERSE_URL": "https://a.b", "DATAVERSE_MAX_CONCURRENT_REQUESTS": "60"}, "max_concurrent_requests", "from 1 to 52"},
		{"bad bool", map[string]string{"DATAVERSE_URL": "https://a.b", "ARM_USE_MSI": "maybe"}, "use_msi", "true or false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, diags := resolveSettings(nil, envFunc(tc.env))
			if !diags.HasError() {
				t.Fatalf("expected an error")
			}
			found := false
			for _, d := range diags.Errors() {
				if strings.Contains(d.Detail(), tc.wantText) {
					found = true
				}
				if ad, ok := d.(interface {
					Path() interface{ String() string }
				}); ok && ad.Path().String() != tc.attribute {
					t.Errorf("error on %s, want %s", ad.Path(), tc.attribute)
				}
			}
			if !found {
				t.Errorf("no error mentions %q: %v", tc.wantText, diags)
			}
		})
	}
}

func TestResolveSettingsTuning(t *testing.T) {
	t.Parallel()
	cfg := providerValues{
		"environment_url":         types.StringValue("https://contoso.crm4.dynamics.com"),
		"request_timeout":         types.StringValue("90s"),
		"max_retries":             types.Int64Value(3),
		"max_concurrent_requests": types.Int64Value(52),
	}
	s, diags := resolveSettings(cfg, envFunc(nil))
	if diags.HasError() {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	if s.client.RequestTimeout != 90*time.Second || s.client.MaxRetries != 3 || s.client.MaxConcurrentRequests != 52 {
		t.Errorf("got timeout %v retries %d concurrency %d", s.client.RequestTimeout, s.client.MaxRetries, s.client.MaxConcurrentRequests)
	}
}
