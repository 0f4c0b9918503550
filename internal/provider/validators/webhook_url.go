package validators

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// URLWarning is one plan-time warning about a webhook URL.
type URLWarning struct{ Summary, Detail string }

// PortWarningSummary heads the port warning, which the resource's plan gives when it sets the URL
// rather than WebhookURL, which Terraform runs in every phase of an apply and in every plan.
const PortWarningSummary = "Dataverse will not deliver to this port"

// CheckWebhookURL returns a problem that makes the URL unusable, and separately the warnings: a
// port Dataverse does not deliver to (it posts only to 80 and 443), and a secret carried in the
// query, where state and plans show it. Messages never quote the query: it may hold a key.
func CheckWebhookURL(s string) (problem string, warnings []URLWarning) {
	// Measured as Dataverse measures a text column: a non-ASCII path or host counts per UTF-16 unit.
	if n := dataverse.TextLength(s); n > dataverse.MaxWebhookURLLength {
		return fmt.Sprintf("The URL is %d characters long; Dataverse accepts at most %d.", n, dataverse.MaxWebhookURLLength), nil
	}
	u, err := url.Parse(s)
	if trimmed := strings.TrimSpace(s); err != nil && trimmed != s {
		if t, terr := url.Parse(trimmed); terr == nil && t.Scheme != "" {
			return fmt.Sprintf("The URL begins with white space, which makes it no URL: remove it (%s).",
				(&url.URL{Scheme: t.Scheme, Host: t.Host, Path: t.Path}).String()), nil
		}
	}
	if err != nil {
		// url.Parse's error quotes the whole URL, query and all.
		return "The value is not a URL. Use an absolute URL such as https://fn.example.net/api/orders.", nil
	}
	if u.User != nil {
		return "The URL must not carry a user name or password; put credentials in the write-only auth attributes instead.", nil
	}
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Sprintf("%q must be an absolute http or https URL, such as https://fn.example.net/api/orders.", shown), nil
	}
	if u.Hostname() == "" {
		return fmt.Sprintf("%q has no host; use an absolute URL such as https://fn.example.net/api/orders.", shown), nil
	}
	if w := PortWarning(s); w != "" {
		warnings = append(warnings, URLWarning{PortWarningSummary, w})
	}
	if d := dataverse.DeliveredURL(s); d != s {
		warnings = append(warnings, URLWarning{Summary: "Dataverse trims this URL", Detail: fmt.Sprintf(
			"Dataverse posts to %s, without surrounding white space or a trailing slash; set url to that to avoid surprises.",
			(&url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimSuffix(u.Path, "/")}).String())})
	}
	if names := secretQueryNames(u); len(names) > 0 {
		warnings = append(warnings, URLWarning{Summary: KeyInURLSummary, Detail: fmt.Sprintf(
			"The URL's query has %s, which looks like a key. The URL is stored in state, shown in plans and "+
				"readable by anyone who can read the webhook in Dataverse; a write-only attribute is none of these. "+
				"Remove it from the URL and put it in %s.", joinQuoted(names), SecretHome(names))})
	}
	return "", warnings
}

// KeyInURLSummary heads the warnings about a webhook URL whose query looks like it carries a key.
const KeyInURLSummary = "Webhook URL carries a secret"

// SecretQueryNames lists, sorted, the query parameters of the URL s whose names look like keys;
// none when s is not a URL.
func SecretQueryNames(s string) []string {
	u, err := url.Parse(s)
	if err != nil {
		return nil
	}
	return secretQueryNames(u)
}

// SecretHome is the write-only attribute (and auth_type) where the keys of the query parameters
// names belong instead.
func SecretHome(names []string) string {
	if len(names) == 1 && strings.EqualFold(names[0], "code") {
		return `auth_key_wo with auth_type = "WebhookKey" (Dataverse appends it as ?code= on every delivery)`
	}
	return `auth_query_parameters_wo with auth_type = "HttpQueryString"`
}

// PortWarning is the warning for a URL on a port Dataverse does not deliver to; "" for any
// other URL.
func PortWarning(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	if p, ports := u.Port(), dataverse.WebhookPorts(); p != "" && !slices.Contains(ports, p) {
		return fmt.Sprintf("The URL uses port %s. Dataverse delivers webhooks only to ports %s, so this endpoint "+
			"will not be reached from a real environment (the local emulator delivers to any port).", p, strings.Join(ports, " and "))
	}
	return ""
}

// secretQueryParameters are query names that carry keys by convention: Azure Functions' code,
// shared access signatures' sig, and the usual key and token names.
var secretQueryParameters = map[string]bool{
	"code": true, "sig": true, "key": true, "apikey": true, "api_key": true, "api-key": true,
	"token": true, "access_token": true, "secret": true, "password": true, "subscription-key": true,
}

// secretQueryNames lists, sorted, the query names of u that look like keys.
func secretQueryNames(u *url.URL) []string {
	var names []string
	for name := range u.Query() {
		if secretQueryParameters[strings.ToLower(name)] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// CleartextSecretWarning returns a warning when a webhook's secret would cross the network
// unencrypted: an http URL with a configured secret or a key in its query.
func CleartextSecretWarning(rawURL string, secretConfigured bool) string {
	u, err := url.Parse(rawURL)
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return ""
	}
	if !secretConfigured && len(secretQueryNames(u)) == 0 {
		return ""
	}
	return "The URL starts with http://, so Dataverse sends the webhook's secret (the auth value, or the key in the " +
		"query) unencrypted on every delivery, where anyone on the path can read it. Use an https URL."
}

// CheckQueryParameterNames returns a problem for the first name of auth_query_parameters_wo that
// is not a plain URL query name. How Dataverse escapes a name when it adds the pairs to the URL
// is not documented; unescaped, a name with '&', '=', '#', white space or other reserved
// characters would change the URL's meaning, so only names that need no escaping are taken.
func CheckQueryParameterNames(pairs map[string]string) string {
	names := slices.Sorted(maps.Keys(pairs))
	for _, name := range names {
		if name == "" {
			return "a parameter name is empty."
		}
		for _, r := range name {
			if !isQueryNameChar(r) {
				return fmt.Sprintf("parameter name %q holds %q, which a URL query name cannot carry unescaped; use letters, digits and - . _ ~ only.", name, r)
			}
		}
	}
	return ""
}

func isQueryNameChar(r rune) bool {
	return ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') || strings.ContainsRune("-._~", r)
}

func joinQuoted(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(quoted, ", ")
}

// WebhookURL checks an absolute http(s) URL and gives CheckWebhookURL's warnings, except the port
// warning (see PortWarningSummary).
func WebhookURL() validator.String { return webhookURL{} }

type webhookURL struct{}

func (webhookURL) Description(context.Context) string {
	return "an absolute http or https URL of at most 2000 characters"
}

func (v webhookURL) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (webhookURL) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	problem, warnings := CheckWebhookURL(req.ConfigValue.ValueString())
	if problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid webhook URL", problem)
	}
	for _, w := range warnings {
		if w.Summary == PortWarningSummary {
			continue
		}
		resp.Diagnostics.AddAttributeWarning(req.Path, w.Summary, w.Detail)
	}
}
