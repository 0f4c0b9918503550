package provider

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
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
		// The client takes http to this machine; Entra ID issues no token for it.
		{"http url to loopback", map[string]string{"DATAVERSE_URL": "http://127.0.0.1:8443"}, "environment_url", `must use https, e.g. https://contoso.crm.dynamics.com; got "http://127.0.0.1:8443"`},
		{"url with a password", map[string]string{"DATAVERSE_URL": "http://admin:hunter2@contoso.crm.dynamics.com"}, "environment_url", `use "https://contoso.crm.dynamics.com"`},
		{"url with a query", map[string]string{"DATAVERSE_URL": "https://contoso.crm.dynamics.com/?sig=s3cr3t"}, "environment_url", `without a query or fragment; use "https://contoso.crm.dynamics.com"`},
		// The fix offered is one the provider takes, https.
		{"http url with a path", map[string]string{"DATAVERSE_URL": "http://127.0.0.1:8443/foo"}, "environment_url", `use "https://127.0.0.1:8443"`},
		{"http url with a query", map[string]string{"DATAVERSE_URL": "http://127.0.0.1:8443?x=1"}, "environment_url", `use "https://127.0.0.1:8443"`},
		{"bad timeout", map[string]string{"DATAVERSE_URL": "https://a.b", "DATAVERSE_REQUEST_TIMEOUT": "soon"}, "request_timeout", "Go duration"},
		{"too many retries", map[string]string{"DATAVERSE_URL": "https://a.b", "DATAVERSE_MAX_RETRIES": "500"}, "max_retries", "from 1 to 50"},
		{"too much concurrency", map[string]string{"DATAVERSE_URL": "https://a.b", "DATAVERSE_MAX_CONCURRENT_REQUESTS": "60"}, "max_concurrent_requests", "from 1 to 52"},
		// A value from the environment says which variable set it.
		{"value from the environment", map[string]string{"DATAVERSE_URL": "https://a.b", "DATAVERSE_MAX_CONCURRENT_REQUESTS": "60"}, "max_concurrent_requests", "comes from the environment variable DATAVERSE_MAX_CONCURRENT_REQUESTS"},
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
			if text := fmt.Sprint(diags); strings.Contains(text, "hunter2") || strings.Contains(text, "s3cr3t") {
				t.Errorf("an error quotes a credential of the URL: %s", text)
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

// TestReadProviderValuesReadsEachAttribute checks that a value set on any attribute of the
// provider block reaches the setting of that name, and that an unknown one defers Configure.
func TestReadProviderValuesReadsEachAttribute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var resp provider.SchemaResponse
	(&dataverseProvider{}).Schema(ctx, provider.SchemaRequest{}, &resp)
	objectType := resp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	for _, s := range providerSettings {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			values := map[string]tftypes.Value{}
			for name, typ := range objectType.AttributeTypes {
				values[name] = tftypes.NewValue(typ, nil)
			}
			var want attr.Value
			switch s.valueKind() {
			case boolSetting:
				values[s.name], want = tftypes.NewValue(tftypes.Bool, true), types.BoolValue(true)
			case intSetting:
				values[s.name], want = tftypes.NewValue(tftypes.Number, 7), types.Int64Value(7)
			default:
				values[s.name], want = tftypes.NewValue(tftypes.String, "value of "+s.name), types.StringValue("value of "+s.name)
			}
			block, diags := readProviderValues(ctx, tfsdk.Config{Schema: resp.Schema, Raw: tftypes.NewValue(objectType, values)})
			if diags.HasError() {
				t.Fatal(diags)
			}
			for name, v := range block {
				if name == s.name && !v.Equal(want) {
					t.Errorf("%s reads %s, want %s", name, v, want)
				}
				if name != s.name && !v.IsNull() {
					t.Errorf("%s reads %s, want null", name, v)
				}
			}
			if block.anyUnknown() {
				t.Error("a known block counts as unknown")
			}
			values[s.name] = tftypes.NewValue(values[s.name].Type(), tftypes.UnknownValue)
			block, _ = readProviderValues(ctx, tfsdk.Config{Schema: resp.Schema, Raw: tftypes.NewValue(objectType, values)})
			if !block.anyUnknown() {
				t.Errorf("an unknown %s does not defer Configure", s.name)
			}
		})
	}
}

// TestSettingsTableSchema checks the schema is made from the table: one attribute per setting,
// sensitive where the setting is, its description naming each environment variable.
func TestSettingsTableSchema(t *testing.T) {
	t.Parallel()
	var resp provider.SchemaResponse
	(&dataverseProvider{}).Schema(context.Background(), provider.SchemaRequest{}, &resp)
	if len(resp.Schema.Attributes) != len(providerSettings) {
		t.Fatalf("%d attributes, want %d", len(resp.Schema.Attributes), len(providerSettings))
	}
	var sensitive []string
	for name, a := range resp.Schema.Attributes {
		if a.IsSensitive() {
			sensitive = append(sensitive, name)
		}
	}
	slices.Sort(sensitive)
	if want := []string{"client_certificate", "client_certificate_password", "client_secret", "oidc_request_token", "oidc_token"}; !slices.Equal(sensitive, want) {
		t.Errorf("sensitive attributes %v, want %v", sensitive, want)
	}
	for _, s := range providerSettings {
		a, ok := resp.Schema.Attributes[s.name]
		if !ok {
			t.Errorf("no attribute %s", s.name)
			continue
		}
		if a.IsSensitive() != s.auth.Secret() {
			t.Errorf("%s: sensitive %v, want %v", s.name, a.IsSensitive(), s.auth.Secret())
		}
		for _, e := range append(s.env, s.azureDevOpsEnv) {
			if e != "" && !strings.Contains(a.GetMarkdownDescription(), "`"+e+"`") {
				t.Errorf("%s: description does not mention %s", s.name, e)
			}
		}
		if s.apply == nil && s.auth == "" {
			t.Errorf("%s: nowhere to store its value", s.name)
		}
	}
}

// TestSettingsTableGivesEachAuthenticationSetting checks that each attribute of
// authentication stores its value in the one setting of auth.Config it names, and that no two
// attributes give the same setting, so that an error internal/auth raises about a setting
// leads back to one attribute.
func TestSettingsTableGivesEachAuthenticationSetting(t *testing.T) {
	t.Parallel()
	given := map[auth.Setting]string{}
	for _, s := range providerSettings {
		if s.auth == "" {
			continue
		}
		if other, ok := given[s.auth]; ok {
			t.Errorf("%s and %s both give %s", other, s.name, s.auth)
		}
		given[s.auth] = s.name
		raw := "https://value-of." + s.name + ".example"
		if s.auth.IsSwitch() {
			raw = "true"
		}
		var r resolvedSettings
		if err := s.store(&r, raw); err != nil {
			t.Errorf("%s: storing %q: %v", s.name, raw, err)
			continue
		}
		var want auth.Config
		if err := want.Set(s.auth, raw); err != nil {
			t.Fatal(err)
		}
		if s.name == "environment_url" {
			continue // normalised on the way in; TestProviderSettings covers it
		}
		if !reflect.DeepEqual(r.auth, want) {
			t.Errorf("%s stores %+v, want only %s set", s.name, r.auth, s.auth)
		}
	}
}

// TestAuthenticationGuideListsEachSettingsEnvironment checks the guide's table of environment
// variables, which is written by hand, against the settings table the provider reads them from.
func TestAuthenticationGuideListsEachSettingsEnvironment(t *testing.T) {
	t.Parallel()
	guide, err := os.ReadFile("../../templates/guides/authentication.md.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(guide), "\n") {
		if cells := strings.Split(line, " | "); len(cells) == 2 && strings.HasPrefix(line, "| `") {
			rows[strings.Trim(cells[0], "| `")] = cells[1]
		}
	}
	for _, s := range providerSettings {
		if len(s.env) == 0 {
			continue
		}
		var want []string
		for _, name := range s.env {
			want = append(want, "`"+name+"`")
		}
		wantRow := strings.Join(want, ", ")
		if s.azureDevOpsEnv != "" {
			wantRow += " (`" + s.azureDevOpsEnv + "` in Azure DevOps)"
		}
		got, ok := rows[s.name]
		if !ok {
			continue // tuning settings are described in the provider page, not the guide
		}
		delete(rows, s.name)
		if strings.TrimSuffix(got, " |") != wantRow {
			t.Errorf("guide row for %s lists %q, settings table says %q", s.name, got, wantRow)
		}
	}
	for name := range rows {
		t.Errorf("guide lists environment variables for %s, which the settings table does not have", name)
	}
}
