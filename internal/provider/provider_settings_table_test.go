package provider

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
)

// TestSettingsTableReadsEachAttribute checks that each setting reads the providerModel field
// tagged with its name, and that every field has a setting.
func TestSettingsTableReadsEachAttribute(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeOf(providerModel{})
	if typ.NumField() != len(providerSettings) {
		t.Fatalf("providerModel has %d fields, the table %d settings", typ.NumField(), len(providerSettings))
	}
	for i := range typ.NumField() {
		tag := typ.Field(i).Tag.Get("tfsdk")
		t.Run(tag, func(t *testing.T) {
			t.Parallel()
			m := nullModel()
			field := reflect.ValueOf(&m).Elem().Field(i)
			switch field.Interface().(type) {
			case types.String:
				field.Set(reflect.ValueOf(types.StringUnknown()))
			case types.Bool:
				field.Set(reflect.ValueOf(types.BoolUnknown()))
			case types.Int64:
				field.Set(reflect.ValueOf(types.Int64Unknown()))
			}
			var readers []string
			for _, s := range providerSettings {
				if s.value(m).IsUnknown() {
					readers = append(readers, s.name)
				}
			}
			if len(readers) != 1 || readers[0] != tag {
				t.Errorf("field tagged %s is read by settings %v", tag, readers)
			}
			if !anyUnknown(m) {
				t.Error("anyUnknown missed the unknown field")
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
		if s.name == "authority_host" || s.name == "environment_url" {
			continue // normalised on the way in; TestProviderSettings covers them
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
