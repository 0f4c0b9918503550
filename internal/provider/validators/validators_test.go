package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Each string validator passes null, unknown and good values, and fails a bad one on its path
// with a message that names what it wanted.
func TestStringValidators(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		v         validator.String
		good, bad []string
		wantInBad string
	}{
		{"GUID", GUID(), []string{"00000000-0000-0000-0000-000000000001", "4867B753-700C-4358-B318-D1B832E8BD68"},
			[]string{"", "orders", "4867b753-700c-4358-b318"}, "must be a GUID"},
		{"GUID in braces", GUID(), nil, []string{"{4867b753-700c-4358-b318-d1b832e8bd68}"},
			"Remove the braces: 4867b753-700c-4358-b318-d1b832e8bd68."},
		{"RFC3339Timestamp", RFC3339Timestamp(), []string{"2024-05-01T00:00:00Z", "2024-05-01T02:00:00+02:00"},
			[]string{"2024-05-01", "yesterday"}, "RFC 3339"},
		{"NonNegativeDuration", NonNegativeDuration(), []string{"0s", "720h", "1h30m"},
			[]string{"-1h", "30d", ""}, "duration of zero or more"},
		{"PositiveDuration", PositiveDuration(), []string{"500ms", "10m", "30d"}, // "30d" is the timeouts package's to refuse
			[]string{"0s", "-5s", "-1m"}, "duration of more than zero"},
		{"WebhookURL", WebhookURL(), []string{"https://fn.example.net/api/orders", "http://127.0.0.1:8080/hook"},
			[]string{"ftp://fn.example.net/x", "/relative"}, "http or https"},
		{"SolutionUniqueName", SolutionUniqueName(), []string{"contoso_integrations", "Default", "Solution2"},
			[]string{"", "My Solution", "contoso\r\nX-Injected: 1", "contoso-integrations"}, "letters, digits and underscores"},
		{"OneOf, another case", OneOf("PreOperation", "PostOperation"), []string{"PostOperation"}, []string{"postoperation"},
			`must be one of: ["PreOperation" "PostOperation"], got: "postoperation". Did you mean "PostOperation"?`},
		{"OneOf, a typo", OneOf("PreImage", "PostImage"), []string{"PreImage"}, []string{"PostImag"}, `Did you mean "PostImage"?`},
		{"TextLength", TextLength(3), []string{"a", "abc", "é😀"}, []string{"abcd", "😀😀"}, "from 1 to 3 characters"},
		{"TextLength, empty", TextLength(3), nil, []string{""}, "must be from 1 to 3 characters"},
		{"OptionalTextLength", OptionalTextLength(3, "no description"), []string{"abc"}, []string{"abcd"}, "from 1 to 3 characters"},
		{"OptionalTextLength, empty", OptionalTextLength(3, "no description"), nil, []string{""},
			"is empty. Leave the attribute out, or set it to null, for no description."},
	}
	at := path.Root("attr")
	for _, tc := range cases {
		for _, value := range append([]types.String{types.StringNull(), types.StringUnknown()}, stringValues(tc.good)...) {
			resp := &validator.StringResponse{}
			tc.v.ValidateString(context.Background(), validator.StringRequest{Path: at, ConfigValue: value}, resp)
			if resp.Diagnostics.HasError() {
				t.Errorf("%s(%s) = %v, want no error", tc.name, value, resp.Diagnostics)
			}
		}
		for _, value := range stringValues(tc.bad) {
			resp := &validator.StringResponse{}
			tc.v.ValidateString(context.Background(), validator.StringRequest{Path: at, ConfigValue: value}, resp)
			errs := resp.Diagnostics.Errors()
			if len(errs) != 1 || !strings.Contains(errs[0].Detail(), tc.wantInBad) {
				t.Errorf("%s(%s) = %v, want one error mentioning %q", tc.name, value, resp.Diagnostics, tc.wantInBad)
			}
		}
	}
}

func stringValues(in []string) []types.String {
	out := make([]types.String, len(in))
	for i, s := range in {
		out[i] = types.StringValue(s)
	}
	return out
}

// The URL validator leaves the port warning to the plan, and gives the others.
func TestWebhookURLWarnings(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]string{
		"https://fn.example.net:8443/api/orders": "",
		"https://fn.example.net/api/orders/":     "Dataverse trims this URL",
		"https://fn.example.net/api?code=abc":    "Webhook URL carries a secret",
	} {
		resp := &validator.StringResponse{}
		WebhookURL().ValidateString(context.Background(), validator.StringRequest{Path: path.Root("url"), ConfigValue: types.StringValue(url)}, resp)
		var got string
		for _, w := range resp.Diagnostics.Warnings() {
			got += w.Summary()
		}
		if got != want {
			t.Errorf("WebhookURL(%q) warnings = %q, want %q", url, got, want)
		}
	}
}

// The query parameters that look like keys are found by name in any case, sorted; each has the
// write-only attribute it belongs in.
func TestSecretQueryNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url, names, home string
	}{
		{"https://fn.example.net/api/orders?code=abc", "code", "auth_key_wo"},
		{"https://fn.example.net/api/orders?CODE=abc&x=1", "CODE", "auth_key_wo"},
		{"https://fn.example.net/api?sig=s&code=c&sv=2024", "code sig", "auth_query_parameters_wo"},
		{"https://fn.example.net/api?token=t", "token", "auth_query_parameters_wo"},
		{"https://fn.example.net/api?page=2", "", ""},
		{"https://fn.example.net/api/code", "", ""},
		{"%zz not a URL?code=x", "", ""},
	} {
		names := SecretQueryNames(tc.url)
		if got := strings.Join(names, " "); got != tc.names {
			t.Errorf("SecretQueryNames(%q) = %q, want %q", tc.url, got, tc.names)
		}
		if tc.home != "" && !strings.HasPrefix(SecretHome(names), tc.home) {
			t.Errorf("SecretHome(%v) = %q, want %s", names, SecretHome(names), tc.home)
		}
	}
}

func TestColumnNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		columns []string
		errors  int
	}{
		{[]string{"name", "telephone1", "new_Custom_2"}, 0},
		{[]string{"name", "1st"}, 1},
		{[]string{"", "na me"}, 2}, // one error per name, the empty one included
		{[]string{}, 1},            // leaving the attribute out says "every column"
		{[]string{"Name", "telephone1", "name"}, 1},
		{[]string{"Name", "NAME", "name"}, 2},
	} {
		set, _ := types.SetValueFrom(context.Background(), types.StringType, tc.columns)
		resp := &validator.SetResponse{}
		ColumnNames("send every column").ValidateSet(context.Background(), validator.SetRequest{Path: path.Root("attributes"), ConfigValue: set}, resp)
		if n := resp.Diagnostics.ErrorsCount(); n != tc.errors {
			t.Errorf("ColumnNames(%q) gave %d errors, want %d: %v", tc.columns, n, tc.errors, resp.Diagnostics)
		}
	}
}

func TestNonEmptyList(t *testing.T) {
	t.Parallel()
	v := NonEmptyList("give the step no images of its own")
	for _, tc := range []struct {
		name  string
		value types.List
		fails bool
	}{
		{"null", types.ListNull(types.StringType), false},
		{"unknown", types.ListUnknown(types.StringType), false},
		{"one element", types.ListValueMust(types.StringType, []attr.Value{types.StringValue("a")}), false},
		{"empty", types.ListValueMust(types.StringType, nil), true},
	} {
		resp := &validator.ListResponse{}
		v.ValidateList(context.Background(), validator.ListRequest{Path: path.Root("images"), ConfigValue: tc.value}, resp)
		if resp.Diagnostics.HasError() != tc.fails {
			t.Errorf("%s: diagnostics %v, want an error: %v", tc.name, resp.Diagnostics, tc.fails)
		}
		if tc.fails {
			detail := resp.Diagnostics.Errors()[0].Detail()
			if !strings.Contains(detail, "images = length(var.images) > 0 ? var.images : null") || !strings.Contains(detail, "no images of its own") {
				t.Errorf("%s: detail %q gives no fix", tc.name, detail)
			}
		}
	}
}
