package provider

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

func TestSplitFunctionURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, wantURL, wantKey string
		wantErr                    string
	}{
		{name: "key only", in: "https://fn.azurewebsites.net/api/orders?code=abc123",
			wantURL: "https://fn.azurewebsites.net/api/orders", wantKey: "abc123"},
		{name: "no query", in: "https://fn.azurewebsites.net/api/orders",
			wantURL: "https://fn.azurewebsites.net/api/orders"},
		{name: "query without a key", in: "https://fn.example.net/api/orders?region=eu&tier=1",
			wantURL: "https://fn.example.net/api/orders?region=eu&tier=1"},
		{name: "key between other parameters, which keep their order", in: "https://fn.example.net/api/x?b=2&code=k&a=1&c=3",
			wantURL: "https://fn.example.net/api/x?b=2&a=1&c=3", wantKey: "k"},
		{name: "key first", in: "https://fn.example.net/api/x?code=k&z=9&a=1",
			wantURL: "https://fn.example.net/api/x?z=9&a=1", wantKey: "k"},
		{name: "encoded key is decoded", in: "https://fn.example.net/api/x?code=aB%2Fc%2Bd%3D%3D",
			wantURL: "https://fn.example.net/api/x", wantKey: "aB/c+d=="},
		{name: "other parameters keep their encoding", in: "https://fn.example.net/api/x?q=a%20b+c&code=k&path=%2Fx%2Fy",
			wantURL: "https://fn.example.net/api/x?q=a%20b+c&path=%2Fx%2Fy", wantKey: "k"},
		{name: "parameter name matched without case", in: "https://fn.example.net/api/x?Code=k&a=1",
			wantURL: "https://fn.example.net/api/x?a=1", wantKey: "k"},
		{name: "encoded parameter name", in: "https://fn.example.net/api/x?c%6Fde=k",
			wantURL: "https://fn.example.net/api/x", wantKey: "k"},
		{name: "a parameter that only starts with code stays", in: "https://fn.example.net/api/x?codes=1&code=k",
			wantURL: "https://fn.example.net/api/x?codes=1", wantKey: "k"},
		{name: "empty key", in: "https://fn.example.net/api/x?code=&a=1",
			wantURL: "https://fn.example.net/api/x?a=1"},
		{name: "fragment kept", in: "https://fn.example.net/api/x?code=k#part",
			wantURL: "https://fn.example.net/api/x#part", wantKey: "k"},
		{name: "http and a port", in: "http://127.0.0.1:7071/api/x?code=k",
			wantURL: "http://127.0.0.1:7071/api/x", wantKey: "k"},
		{name: "two keys", in: "https://fn.example.net/api/x?code=a&code=b", wantErr: "more than one"},
		{name: "badly encoded key", in: "https://fn.example.net/api/x?code=%zz", wantErr: "percent-encoded"},
		{name: "relative", in: "/api/orders?code=k", wantErr: "absolute http or https"},
		{name: "other scheme", in: "ftp://fn.example.net/x?code=k", wantErr: "absolute http or https"},
		{name: "not a URL", in: "https://fn example.net/x?code=k", wantErr: "not a URL"},
		{name: "empty", in: "", wantErr: "absolute http or https"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gotURL, gotKey, err := splitFunctionURL(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one saying %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "code=") {
					t.Errorf("the error repeats the URL, which may hold the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if gotURL != tc.wantURL || gotKey != tc.wantKey {
				t.Errorf("split(%q) = (%q, %q), want (%q, %q)", tc.in, gotURL, gotKey, tc.wantURL, tc.wantKey)
			}
		})
	}
}

// The function as Terraform calls it: results through outputs, failures as the CLI reports them.
// No provider block is needed: Terraform calls functions of an unconfigured provider. A null
// output is not kept in state, hence key_is_null.
func TestAcc_splitFunctionURL(t *testing.T) {
	t.Parallel()
	outputs := func(url string) string {
		return fmt.Sprintf(`
locals {
  split = provider::dataverse::split_function_url(%q)
}
output "url" {
  value = local.split.url
}
output "key" {
  value     = local.split.key
  sensitive = true
}
output "key_is_null" {
  value = local.split.key == null
}
`, url)
	}
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		ProtoV6ProviderFactories: protoV6Providers(),
		Steps: []resource.TestStep{
			{
				Config: outputs("https://fn.azurewebsites.net/api/orders?region=eu&code=s3cr%2Bt%3D%3D&tier=1"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("url", knownvalue.StringExact("https://fn.azurewebsites.net/api/orders?region=eu&tier=1")),
					statecheck.ExpectKnownOutputValue("key", knownvalue.StringExact("s3cr+t==")),
					statecheck.ExpectKnownOutputValue("key_is_null", knownvalue.Bool(false)),
				},
			},
			{
				Config: outputs("https://fn.azurewebsites.net/api/orders"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("url", knownvalue.StringExact("https://fn.azurewebsites.net/api/orders")),
					statecheck.ExpectKnownOutputValue("key_is_null", knownvalue.Bool(true)),
				},
			},
			{
				Config:      outputs("fn.azurewebsites.net/api/orders?code=abc"),
				ExpectError: regexp.MustCompile(`(?s)Invalid function argument.*split_function_url.*must be an absolute http or\s+https URL`),
			},
			{
				Config:      outputs("https://fn.azurewebsites.net/api/orders?code=a&code=b"),
				ExpectError: regexp.MustCompile(`more than one "code"\s+query\s+parameter`),
			},
		},
	})
}

// The function's registry example, applied as written: Dataverse receives the key as the
// webhook's secret and the URL without it, and the state holds the key in no form.
func TestAcc_splitFunctionURLExampleKeepsTheKeyOutOfState(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "functions", "split_function_url", "function.tf"))
	if err != nil {
		t.Fatal(err)
	}
	// As written but for the name, which on a live environment carries the run's prefix.
	const name = `name      = "orders-sync"`
	if !strings.Contains(string(example), name) {
		t.Fatalf("the example no longer says %s", name)
	}
	asWritten := strings.Replace(string(example), name, fmt.Sprintf("name      = %q", b.name("orders-sync")), 1)
	const key = "Fk3y/with+plus=="
	functionURL := "https://fn-contoso.azurewebsites.net/api/orders?code=" + url.QueryEscape(key) + "&clientId=default"
	unitTest(t, b, []resource.TestStep{{
		Config:          b.providerBlock() + asWritten,
		ConfigVariables: config.Variables{"orders_function_url": config.StringVariable(functionURL)},
		Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr("dataverse_webhook.orders", "url", "https://fn-contoso.azurewebsites.net/api/orders?clientId=default"),
			storedSecret(b, "dataverse_webhook.orders", dataverse.AuthTypeWebhookKey, key, nil),
			stateHasNo(key, url.QueryEscape(key), "code="),
		),
	}})
}
