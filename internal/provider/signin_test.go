package provider

import (
	"errors"
	"slices"
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
				if d.Detail() != err.Error() {
					t.Errorf("detail %q, want the error's message", d.Detail())
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
