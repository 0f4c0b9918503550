package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// listed is one list result as Terraform receives it.
type listed struct {
	display, id string
	resource    map[string]tftypes.Value
}

// listThrough sends what terraform query sends for a list block with the given config, and
// returns the results and any diagnostics, of validation or of the listing.
func listThrough(t *testing.T, server tfprotov6.ProviderServer, typ string, config map[string]tftypes.Value, limit int64) ([]listed, []*tfprotov6.Diagnostic) {
	t.Helper()
	ctx := context.Background()
	lister, ok := server.(tfprotov6.ListResourceServer)
	if !ok {
		t.Fatal("the provider server has no list resources")
	}
	s := server
	schemas := providerSchemas(t, s)
	ls := schemas.ListResourceSchemas[typ]
	if ls == nil {
		t.Fatalf("no list resource %s", typ)
	}
	cfg := dynamicValue(t, objectOf(ls.Block, config))
	v, err := lister.ValidateListResourceConfig(ctx, &tfprotov6.ValidateListResourceConfigRequest{TypeName: typ, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Diagnostics) > 0 {
		return nil, v.Diagnostics
	}
	stream, err := lister.ListResource(ctx, &tfprotov6.ListResourceRequest{TypeName: typ, Config: cfg, IncludeResource: true, Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	resourceType := schemas.ResourceSchemas[typ].ValueType()
	var out []listed
	var diags []*tfprotov6.Diagnostic
	for r := range stream.Results {
		diags = append(diags, r.Diagnostics...)
		if slices.ContainsFunc(r.Diagnostics, func(d *tfprotov6.Diagnostic) bool { return d.Severity == tfprotov6.DiagnosticSeverityError }) {
			continue // a result that failed, or the listing's own error
		}
		if r.Identity == nil && r.DisplayName == "" {
			continue // a warning of the listing's own
		}
		out = append(out, listed{display: r.DisplayName, id: identityID(t, r.Identity), resource: decodeObject(t, r.Resource, resourceType)})
	}
	return out, diags
}

func str(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

func ids(results []listed) []string {
	out := make([]string, len(results))
	for i, r := range results {
		out[i] = r.id
	}
	return out
}

// The hand-built estate listed by each list resource and its filters. How many requests a
// listing takes, and that it lists nothing but the estate, only the emulator shows.
func TestList_webhooksStepsAndImages(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	est := seedHandBuiltEstate(t, b)
	s := protocolProvider(t, b)
	need := func(results []listed, diags []*tfprotov6.Diagnostic) []listed {
		t.Helper()
		requireNoDiagnostics(t, "ListResource", diags)
		if len(diags) > 0 {
			t.Fatalf("warnings: %+v", diags)
		}
		return results
	}
	// listsEvery lists every row of typ. The emulator holds the estate alone: there it lists
	// exactly the estate's rows (want), in at most maxRequests requests (which requests, says
	// reads). A live environment holds rows of others too: there the estate's are among them.
	listsEvery := func(t *testing.T, typ string, want map[string]string, maxRequests int64, reads string) {
		t.Helper()
		e := b.emulator()
		if e != nil {
			e.ResetStats()
		}
		got := ids(need(listThrough(t, s, typ, nil, 0)))
		for label, id := range want {
			if !slices.Contains(got, id) {
				t.Errorf("%s %s (%s) is not among the %d rows listed", typ, label, id, len(got))
			}
		}
		if e == nil {
			return
		}
		if len(got) != len(want) {
			t.Errorf("%d rows of %s, want %d", len(got), typ, len(want))
		}
		if st := e.Stats(); st.Requests.Total > maxRequests {
			t.Errorf("listing every row of %s made %d requests, want at most %d (%s)", typ, st.Requests.Total, maxRequests, reads)
		}
	}

	t.Run("webhooks by prefix", func(t *testing.T) {
		got := need(listThrough(t, s, "dataverse_webhook", map[string]tftypes.Value{"name_prefix": str(strings.ToUpper(b.name("crm-")))}, 100))
		if want := []string{est.Webhooks["crm-audit"], est.Webhooks["crm-orders"]}; !slices.Equal(ids(got), want) {
			t.Fatalf("ids = %v, want crm-audit then crm-orders %v", ids(got), want)
		}
		if got[1].display != b.name("crm-orders") || stringAttr(t, got[1].resource, "description") != "Order changes to the integration" ||
			stringAttr(t, got[1].resource, "auth_type") != "WebhookKey" {
			t.Errorf("crm-orders listed as %q with %v", got[1].display, got[1].resource)
		}
		if !got[1].resource["auth_key_wo"].IsNull() {
			t.Error("a listed webhook carries a secret")
		}
	})

	t.Run("all webhooks, limited", func(t *testing.T) {
		listsEvery(t, "dataverse_webhook", est.Webhooks, 1, "one page of webhooks")
		got, diags := listThrough(t, s, "dataverse_webhook", nil, 2)
		if len(got) != 2 {
			t.Errorf("%d webhooks with limit 2", len(got))
		}
		// More exist than the limit lets through, and the listing says so, with the count.
		if len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityWarning || diags[0].Summary != "More webhooks than the limit" ||
			!strings.Contains(diags[0].Detail, "returns the first 2") {
			t.Errorf("diagnostics with limit 2 = %+v", diags)
		}
		if e := b.emulator(); e != nil && !strings.Contains(diags[0].Detail, fmt.Sprintf("found %d webhooks", len(est.Webhooks))) {
			t.Errorf("the warning does not count the %d webhooks: %s", len(est.Webhooks), diags[0].Detail)
		}
		// A limit the listing fits in says nothing.
		need(listThrough(t, s, "dataverse_webhook", map[string]tftypes.Value{"name_prefix": str(b.name("crm-"))}, 2))
	})

	t.Run("steps of one webhook, defaults left null", func(t *testing.T) {
		got := need(listThrough(t, s, "dataverse_webhook_step", map[string]tftypes.Value{"webhook_id": str(est.Webhooks["crm-orders"])}, 100))
		if want := []string{est.Steps["orders create"], est.Steps["orders update"]}; !slices.Equal(ids(got), want) {
			t.Fatalf("ids = %v, want %v", ids(got), want)
		}
		sync, update := got[0].resource, got[1].resource
		if stringAttr(t, sync, "mode") != "Synchronous" || stringAttr(t, sync, "stage") != "PreOperation" || stringAttr(t, sync, "name") != "Contact created (sync)" {
			t.Errorf("the synchronous step lost values away from the defaults: %v", sync)
		}
		for _, attr := range []string{"mode", "stage", "rank", "enabled", "async_auto_delete", "name"} {
			if !update[attr].IsNull() {
				t.Errorf("%s of a step at its defaults is %v, want null so that it is not written", attr, update[attr])
			}
		}
		if stringAttr(t, update, "webhook_id") != est.Webhooks["crm-orders"] || stringAttr(t, update, "message") != "Update" {
			t.Errorf("step listed as %v", update)
		}
	})

	t.Run("all steps, in few requests", func(t *testing.T) {
		listsEvery(t, "dataverse_webhook_step", est.Steps, 2, "webhooks, then their steps")
	})

	t.Run("images, all and of a step", func(t *testing.T) {
		listsEvery(t, "dataverse_webhook_step_image", est.Images, 3, "webhooks, their steps, then the steps' images")
		ofStep := need(listThrough(t, s, "dataverse_webhook_step_image", map[string]tftypes.Value{"step_id": str(est.Steps["orders update"])}, 100))
		if want := []string{est.Images["orders before"], est.Images["orders both"]}; !slices.Equal(ids(ofStep), want) {
			t.Fatalf("ids = %v, want %v", ids(ofStep), want)
		}
		if ofStep[0].display != b.name("crm-orders")+": Update of account / before" || !ofStep[0].resource["name"].IsNull() {
			t.Errorf("image listed as %q with name %v, want the step and alias, and a null name (it is the alias)", ofStep[0].display, ofStep[0].resource["name"])
		}
		ofHook := need(listThrough(t, s, "dataverse_webhook_step_image", map[string]tftypes.Value{"webhook_id": str(est.Webhooks["crm-audit"])}, 100))
		if !slices.Equal(ids(ofHook), []string{est.Images["audit gone"]}) {
			t.Errorf("images of crm-audit = %v", ids(ofHook))
		}
	})

	t.Run("refused filters", func(t *testing.T) {
		// The id of a row that is no step: the Update message's.
		update := mustGet(t, "finding the Update message", func(ctx context.Context) (*dataverse.MessageFilter, error) {
			return b.client().ResolveMessageFilter(ctx, "Update", "account")
		})
		for _, tc := range []struct {
			typ    string
			config map[string]tftypes.Value
			want   string
		}{
			{"dataverse_webhook_step", map[string]tftypes.Value{"webhook_id": str("crm-orders")}, "Invalid webhook_id"},
			{"dataverse_webhook_step", map[string]tftypes.Value{"webhook_id": str(est.Webhooks["crm-orders"]), "webhook_name_prefix": str("crm")}, "Conflicting filters"},
			{"dataverse_webhook_step_image", map[string]tftypes.Value{"step_id": str("x")}, "Invalid step_id"},
			{"dataverse_webhook_step_image", map[string]tftypes.Value{"step_id": str(update.MessageID)}, "Could not list"},
		} {
			_, diags := listThrough(t, s, tc.typ, tc.config, 100)
			if len(diags) == 0 || !strings.Contains(diags[0].Summary, tc.want) {
				t.Errorf("%s %v: diagnostics %+v, want %q", tc.typ, tc.config, diags, tc.want)
			}
		}
	})
}

// Stored column lists are listed as the resources read them, ready for a generated
// configuration: a column named twice in different case, with blanks ("Name, name ,Telephone1"),
// is that one column, in lower case.
func TestList_storedColumnsDifferingInCase(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	est := seedColumnsDifferingInCase(t, b)
	s := protocolProvider(t, b)
	columns := func(obj map[string]tftypes.Value, name string) []string {
		t.Helper()
		var elems []tftypes.Value
		if err := obj[name].As(&elems); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if obj[name].IsNull() {
			return nil
		}
		out := make([]string, len(elems))
		for i, v := range elems {
			if err := v.As(&out[i]); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		slices.Sort(out)
		return out
	}

	steps, diags := listThrough(t, s, "dataverse_webhook_step", map[string]tftypes.Value{"webhook_id": str(est.Webhooks["crm-orders"])}, 100)
	requireNoDiagnostics(t, "ListResource", diags)
	if len(steps) != 2 || steps[1].id != est.Steps["orders update"] {
		t.Fatalf("steps %v, want orders create then orders update", ids(steps))
	}
	if got := columns(steps[1].resource, "filtering_attributes"); !slices.Equal(got, []string{"name", "telephone1"}) {
		t.Errorf("filtering_attributes = %q, want name and telephone1", got)
	}
	if got := columns(steps[0].resource, "filtering_attributes"); got != nil {
		t.Errorf("filtering_attributes of a step filtering on nothing = %q, want null", got)
	}

	images, diags := listThrough(t, s, "dataverse_webhook_step_image", map[string]tftypes.Value{"step_id": str(est.Steps["orders update"])}, 100)
	requireNoDiagnostics(t, "ListResource", diags)
	if !slices.Equal(ids(images), []string{est.Images["orders before"], est.Images["orders both"]}) {
		t.Fatalf("images %v", ids(images))
	}
	if got := columns(images[0].resource, "attributes"); !slices.Equal(got, []string{"name"}) {
		t.Errorf("attributes = %q, want name once", got)
	}
	if got := columns(images[1].resource, "attributes"); got != nil {
		t.Errorf("attributes of an image of every column = %q, want null", got)
	}
}

// A webhook whose URL another tool gave a key in its query is listed as it is, with a warning
// naming it and the parameter, never the key: the generated configuration would hold the key.
func TestList_webhookWithAKeyInItsURLIsListedWithAWarning(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	const key = urlKey
	keyed := keyedWebhook(t, b, true)
	got, diags := listThrough(t, protocolProvider(t, b), "dataverse_webhook", map[string]tftypes.Value{"name_prefix": str(b.name("keyed-"))}, 0)
	if len(got) != 2 || got[0].id != keyed || stringAttr(t, got[0].resource, "url") != "https://fn.example.net/api/orders?code="+key {
		t.Fatalf("listed %+v, want the keyed webhook first, its URL as Dataverse holds it", got)
	}
	if len(diags) != 1 {
		t.Fatalf("diagnostics %+v, want one warning", diags)
	}
	d := diags[0]
	if d.Severity != tfprotov6.DiagnosticSeverityWarning || d.Summary != "Webhook URL carries a secret" ||
		!strings.Contains(d.Detail, b.name("keyed-orders")) || !strings.Contains(d.Detail, "`code`") || !strings.Contains(d.Detail, "auth_key_wo") {
		t.Errorf("diagnostic %+v, want a warning naming the webhook, the parameter and auth_key_wo", d)
	}
	if strings.Contains(d.Summary+d.Detail, key) || strings.Contains(d.Detail, b.name("keyed-plain")) {
		t.Errorf("the warning quotes the key or names the webhook without one: %s", d.Detail)
	}
}

// A filter naming a webhook or step that does not exist says which, and how to find one, rather
// than passing on the Web API's 404.
func TestList_filterOnAMissingRowSaysWhichIsMissing(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	server := protocolProvider(t, b)
	const missing = "00000000-0000-0000-0000-0000000000aa"
	for _, tt := range []struct{ typ, filter, want string }{
		{"dataverse_webhook_step", "webhook_id", "No webhook " + missing + " exists in this environment: set webhook_id"},
		{"dataverse_webhook_step_image", "webhook_id", "No webhook " + missing + " exists in this environment: set webhook_id"},
		{"dataverse_webhook_step_image", "step_id", "No step " + missing + " exists in this environment: set step_id"},
	} {
		config := map[string]tftypes.Value{tt.filter: str(missing)}
		got, diags := listThrough(t, server, tt.typ, config, 0)
		if len(got) != 0 || len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityError ||
			!strings.Contains(diags[0].Detail, tt.want) || strings.Contains(diags[0].Detail, "HTTP 404") {
			t.Errorf("%s with %s of no row: results %+v, diagnostics %+v; want one error saying %q", tt.typ, tt.filter, got, diags, tt.want)
		}
	}
}

// A name another tool registered is shown by terraform query as the result's display name, so it
// reaches the terminal as plain text: no escape sequence of it survives.
func TestList_displayNamesArePlainText(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	registerWebhook(t, b, dataverse.WebhookCreate{Name: b.name("escaped\x1b[2J\x1b]8;;https://evil.example\x07name"),
		URL: "https://fn.example.net/api/escaped", AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})
	got, diags := listThrough(t, protocolProvider(t, b), "dataverse_webhook", map[string]tftypes.Value{"name_prefix": str(b.name("escaped"))}, 10)
	requireNoDiagnostics(t, "ListResource", diags)
	if len(got) != 1 {
		t.Fatalf("%d webhooks listed, want 1", len(got))
	}
	if want := b.name("escaped[2J]8;;https://evil.examplename"); got[0].display != want {
		t.Errorf("display name = %q, want %q", got[0].display, want)
	}
}
