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
		if a.IsSensitive() != s.sensitive {
			t.Errorf("%s: sensitive %v, want %v", s.name, a.IsSensitive(), s.sensitive)
		}
		for _, e := range append(s.env, s.azureDevOpsEnv) {
			if e != "" && !strings.Contains(a.GetMarkdownDescription(), "`"+e+"`") {
				t.Errorf("%s: description does not mention %s", s.name, e)
			}
		}
		if s.apply == nil {
			t.Errorf("%s: nowhere to store its value", s.name)
		}
	}
}

// TestSettingsTableCoversAuthentication checks that every attribute internal/auth names in its
// method requirements (and so in its errors) is a provider setting.
func TestSettingsTableCoversAuthentication(t *testing.T) {
	t.Parallel()
	for _, m := range auth.Methods() {
		names := append(append(append([]string{m.Switch}, m.ChosenBy...), m.Required...), m.Optional...)
		for _, alt := range m.OneOf {
			names = append(names, strings.Split(alt, "+")...)
		}
		for a := range m.Implies {
			names = append(names, a)
		}
		for _, n := range names {
			if _, ok := settingNamed(n); n != "" && !ok {
				t.Errorf("method %s names %s, which is no provider setting", m.Method, n)
			}
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
