package validators

import (
	"strings"
	"testing"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

func TestCheckWebhookURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url              string
		problem, warning bool
	}{
		{"https://fn.example.net/api/orders", false, false},
		{"http://fn.example.net:80/x", false, false},
		{"https://fn.example.net:443/x?a=b", false, false},
		{"https://fn.example.net:8443/x", false, true},
		{"ftp://fn.example.net/x", true, false},
		{"/relative/path", true, false},
		{"https://user:pw@fn.example.net/", true, false},
		{"https:///nohost", true, false},
		{"https://fn.example.net/" + strings.Repeat("a", dataverse.MaxWebhookURLLength), true, false},
		// 1000 two-byte characters are 1000 UTF-16 units, within the column however many bytes.
		{"https://fn.example.net/" + strings.Repeat("é", 1000), false, false},
		{"https://fn.example.net/" + strings.Repeat("😀", 1000), true, false},
	}
	for _, tc := range cases {
		problem, warnings := CheckWebhookURL(tc.url)
		if (problem != "") != tc.problem || (len(warnings) > 0) != tc.warning {
			t.Errorf("CheckWebhookURL(%.60q) = problem %q, warnings %q", tc.url, problem, warnings)
		}
	}
}

// Dataverse's sender removes a trailing slash before it posts: the plan says so.
func TestCheckWebhookURLTrailingSlash(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]string{
		"https://fn.example.net/api/orders/": "posts to https://fn.example.net/api/orders,",
		"https://fn.example.net/":            "posts to https://fn.example.net,",
		"https://fn.example.net/api/orders":  "",
	} {
		problem, warnings := CheckWebhookURL(url)
		var warning string
		for _, w := range warnings {
			warning += w.Detail
		}
		if problem != "" || !strings.Contains(warning, want) || (want == "") != (warning == "") {
			t.Errorf("CheckWebhookURL(%q) = problem %q, warning %q; want a warning containing %q", url, problem, warning, want)
		}
	}
}

// A URL pasted with white space before it is told to lose it, without its query quoted.
func TestCheckWebhookURLLeadingSpace(t *testing.T) {
	t.Parallel()
	problem, _ := CheckWebhookURL(" https://fn.example.net/api/orders?code=k3y")
	if !strings.Contains(problem, "begins with white space") || !strings.Contains(problem, "https://fn.example.net/api/orders") || strings.Contains(problem, "k3y") {
		t.Errorf("problem = %q, want the white space named, the URL without its query", problem)
	}
}
