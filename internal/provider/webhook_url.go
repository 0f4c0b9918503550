package provider

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// checkWebhookURL returns a problem that makes the URL unusable, and separately a warning
// for a port Dataverse does not deliver to (it posts only to 80 and 443).
func checkWebhookURL(s string) (problem, warning string) {
	if len(s) > webhookURLMax {
		return fmt.Sprintf("The URL is %d characters long; Dataverse accepts at most %d.", len(s), webhookURLMax), ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("%q is not a URL: %v. Use an absolute URL such as https://fn.example.net/api/orders.", s, err), ""
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Sprintf("%q must be an absolute http or https URL, such as https://fn.example.net/api/orders.", s), ""
	}
	if u.Hostname() == "" {
		return fmt.Sprintf("%q has no host; use an absolute URL such as https://fn.example.net/api/orders.", s), ""
	}
	if u.User != nil {
		return "The URL must not carry a user name or password; put credentials in the write-only auth attributes instead.", ""
	}
	if p := u.Port(); p != "" && !slices.Contains(dataverse.WebhookPorts, p) {
		warning = fmt.Sprintf("The URL uses port %s. Dataverse delivers webhooks only to ports 80 and 443, so this endpoint "+
			"will not be reached from a real environment (the local emulator delivers to any port).", p)
	}
	if d := dataverse.DeliveredURL(s); d != s {
		warning = strings.TrimSpace(warning + " Dataverse posts to " + d + ", without the trailing slash; set url to that to avoid surprises.")
	}
	return "", warning
}
