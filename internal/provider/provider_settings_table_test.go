package provider

import (
	"context"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
)

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
