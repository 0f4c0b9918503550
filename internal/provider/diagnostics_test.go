package provider

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// A rule error lands on the attribute its field maps to, with the problem and the fix.
func TestAddRuleError(t *testing.T) {
	t.Parallel()
	var diags diag.Diagnostics
	err := dataverse.CheckImage("Create", dataverse.StepStagePostOperation, dataverse.ImageTypePreImage)
	if !addRuleError(&diags, err, imageRuleFields, "Step x: ") {
		t.Fatalf("%v is not a rule error", err)
	}
	if len(diags) != 1 {
		t.Fatalf("diagnostics = %v", diags)
	}
	d, ok := diags[0].(diag.DiagnosticWithPath)
	if !ok || !d.Path().Equal(path.Root("type")) || d.Summary() != "No pre-image on Create" ||
		!strings.HasPrefix(d.Detail(), "Step x: ") || !strings.Contains(d.Detail(), `type = "PostImage"`) {
		t.Errorf("diagnostic = %#v", diags[0])
	}
	if addRuleError(&diags, nil, imageRuleFields, "") || len(diags) != 1 {
		t.Error("a nil error added a diagnostic")
	}
}

// Every column a rule names, whatever the message, stage, mode and image type, is named as an
// attribute of the step or the image resource.
func TestRuleTextsNameAttributes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	attributes := map[string]bool{}
	for _, r := range []resource.Resource{NewWebhookStepResource(), NewWebhookStepImageResource()} {
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		for name := range resp.Schema.Attributes {
			attributes[name] = true
		}
	}
	var errs []error
	for _, message := range append(dataverse.ImageMessages(), "Retrieve") {
		errs = append(errs, dataverse.CheckFilteringAttributes(message))
		for _, stage := range dataverse.StepStageNames() {
			st, _ := dataverse.ParseStepStage(stage)
			for _, typ := range dataverse.ImageTypeNames() {
				it, _ := dataverse.ParseImageType(typ)
				errs = append(errs, dataverse.CheckImage(message, st, it))
			}
			for _, mode := range dataverse.StepModeNames() {
				m, _ := dataverse.ParseStepMode(mode)
				errs = append(errs, dataverse.CheckStepMode(m, st), dataverse.CheckAsyncAutoDelete(m, true))
			}
		}
	}
	rules := 0
	for _, err := range errs {
		var re *dataverse.RuleError
		if !errors.As(err, &re) {
			continue
		}
		rules++
		re.Text(func(column string) string {
			if name := ruleAttributeName(column); !attributes[name] {
				t.Errorf("%q names column %s as %q, which no step or image attribute is", re.Summary, column, name)
			}
			return column
		})
	}
	if rules == 0 {
		t.Fatal("no rule error was made: the test proves nothing")
	}
}

// Webhooks whose keys belong in different attributes get a warning that says which goes where;
// one whose key is a lone code, auth_key_wo. Values never appear.
func TestWarnSecretsInReadURLsNamesEachHome(t *testing.T) {
	t.Parallel()
	hooks := []dataverse.Webhook{
		{Name: "orders", URL: "https://fn.example.net/api/orders?Code=k1"},
		{Name: "catalog", URL: "https://fn.example.net/api/catalog?page=2"},
		{Name: "blob", URL: "https://st.example.net/c?sv=2024&sig=k2"},
	}
	var one, both diag.Diagnostics
	warnSecretsInReadURLs(&one, "this data source's state", hooks[:2]...)
	warnSecretsInReadURLs(&both, "this data source's state", hooks...)
	if len(one) != 1 || !strings.Contains(one[0].Detail(), `webhook "orders" (query parameter `+"`Code`"+`)`) ||
		!strings.Contains(one[0].Detail(), "put it in auth_key_wo") {
		t.Errorf("one webhook with a code: %v", one)
	}
	if len(both) != 1 || !strings.Contains(both[0].Detail(), `webhooks "orders"`) || !strings.Contains(both[0].Detail(), `"blob" (query parameter `+"`sig`"+`)`) ||
		!strings.Contains(both[0].Detail(), "auth_key_wo") || !strings.Contains(both[0].Detail(), "auth_query_parameters_wo") {
		t.Errorf("two webhooks with keys of two kinds: %v", both)
	}
	for _, d := range append(one, both...) {
		if strings.Contains(d.Detail(), "k1") || strings.Contains(d.Detail(), "k2") || strings.Contains(d.Detail(), "catalog") {
			t.Errorf("the warning quotes a key or names a webhook without one: %s", d.Detail())
		}
	}
}

// A Web API request refused for an untrusted certificate says how to trust its CA.
func TestAPIErrorDetailOfAnUntrustedCertificate(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("dataverse: GET /api/data/v9.2/serviceendpoints: %w", x509.UnknownAuthorityError{})
	if got := apiErrorDetail("Listing the webhooks", err); !strings.Contains(got, "SSL_CERT_FILE") || !strings.HasPrefix(got, "Listing the webhooks failed: ") {
		t.Errorf("apiErrorDetail = %q, want the failure and how to trust the CA", got)
	}
	if got := apiErrorDetail("Listing the webhooks", errors.New("connection reset")); strings.Contains(got, "SSL_CERT_FILE") {
		t.Errorf("apiErrorDetail of a reset connection = %q, want no certificate hint", got)
	}
}

// A Web API request that reached no server says so, and that running the command again is how
// to finish; a failure of another kind does not.
func TestAPIErrorDetailOfAnUnreachableEnvironment(t *testing.T) {
	t.Parallel()
	err := errors.New("dataverse: PATCH /api/data/v9.2/serviceendpoints(6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10): dial tcp 127.0.0.1:18443: connect: connection refused (gave up after 10 attempts)")
	if got := apiErrorDetail("Updating the webhook", err); !strings.Contains(got, "could not reach the environment (environment_url)") || !strings.Contains(got, "run the same command again") {
		t.Errorf("apiErrorDetail = %q, want it to say the environment was not reached and how to finish", got)
	}
	if got := apiErrorDetail("Updating the webhook", errors.New("connection reset")); strings.Contains(got, "could not reach") {
		t.Errorf("apiErrorDetail of a reset connection = %q, want no unreachable hint", got)
	}
}
