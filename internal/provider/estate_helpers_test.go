package provider

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/dvuser"
)

// handBuiltEstate is what an environment looks like after registrations made with the Plug-in
// Registration Tool: rows written straight to the Web API, never by this provider.
type handBuiltEstate struct {
	// Webhooks by name, steps and images by a label the test chose.
	Webhooks, Steps, Images map[string]string
}

// seedHandBuiltEstate registers, outside Terraform, three webhooks (one for each auth type, two
// of them named crm-…), four steps (at defaults and not, synchronous and not, enabled and not)
// and three images.
func seedHandBuiltEstate(t *testing.T, e *emulator.Emulator) handBuiltEstate {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := dvuser.New(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	create := func(set string, row map[string]any) string {
		t.Helper()
		id, err := c.Create(ctx, set, row)
		if err != nil {
			t.Fatalf("creating a %s row: %v", set, err)
		}
		return id
	}
	est := handBuiltEstate{Webhooks: map[string]string{}, Steps: map[string]string{}, Images: map[string]string{}}
	for _, w := range []struct {
		name, description string
		authType          int
		authValue         string
	}{
		{"crm-orders", "Order changes to the integration", 4, "orders-key"},
		{"crm-audit", "", 5, `<settings><setting name="x-api-key" value="audit-key" /></settings>`},
		{"legacy-feed", "", 6, `<settings><setting name="token" value="feed-token" /></settings>`},
	} {
		row := map[string]any{"name": w.name, "url": "https://fn.example.net/api/" + w.name, "contract": 8,
			"authtype": w.authType, "authvalue": w.authValue, "messageformat": 2}
		if w.description != "" {
			row["description"] = w.description
		}
		est.Webhooks[w.name] = create("serviceendpoints", row)
	}
	step := func(label, webhook, message, table string, cols map[string]any) {
		t.Helper()
		row := map[string]any{
			"mode": 1, "stage": 40, "rank": 1, "supporteddeployment": 0, "asyncautodelete": false,
			"eventhandler_serviceendpoint@odata.bind": "/serviceendpoints(" + est.Webhooks[webhook] + ")",
			"sdkmessageid@odata.bind":                 "/sdkmessages(" + emulator.SDKMessageID(message) + ")",
			"sdkmessagefilterid@odata.bind":           "/sdkmessagefilters(" + emulator.SDKMessageFilterID(message, table) + ")",
		}
		for k, v := range cols {
			row[k] = v
		}
		est.Steps[label] = create("sdkmessageprocessingsteps", row)
	}
	// The name the Plug-in Registration Tool writes, which is also this provider's default.
	step("orders update", "crm-orders", "Update", "account", map[string]any{
		"name": "crm-orders: Update of account", "filteringattributes": "name,telephone1"})
	step("orders create", "crm-orders", "Create", "contact", map[string]any{
		"name": "Contact created (sync)", "mode": 0, "stage": 20, "rank": 2, "description": "Checks new contacts"})
	step("audit delete", "crm-audit", "Delete", "account", map[string]any{
		"name": "crm-audit: Delete of account", "asyncautodelete": true})
	step("feed update", "legacy-feed", "Update", "contact", map[string]any{
		"name": "legacy-feed: Update of contact"})
	if err := e.PatchRow("sdkmessageprocessingsteps", est.Steps["feed update"], map[string]any{"statecode": 1, "statuscode": 2}); err != nil {
		t.Fatal(err)
	}
	image := func(label, stepLabel, alias string, imageType int, attributes, property string) {
		t.Helper()
		row := map[string]any{"name": alias, "entityalias": alias, "imagetype": imageType, "messagepropertyname": property,
			"sdkmessageprocessingstepid@odata.bind": "/sdkmessageprocessingsteps(" + est.Steps[stepLabel] + ")"}
		if attributes != "" {
			row["attributes"] = attributes
		}
		est.Images[label] = create("sdkmessageprocessingstepimages", row)
	}
	image("orders before", "orders update", "before", 0, "name,telephone1", "Target")
	image("orders both", "orders update", "snapshot", 2, "", "Target")
	image("audit gone", "audit delete", "gone", 0, "name", "Target")
	return est
}

// protocolProvider is the provider as Terraform's gRPC client sees it, through
// terraform-plugin-go, configured for e. It lets tests send what Terraform versions newer than
// the one on the PATH send.
func protocolProvider(t *testing.T, e *emulator.Emulator) tfprotov6.ProviderServer {
	t.Helper()
	ctx := context.Background()
	s, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := s.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	requireNoDiagnostics(t, "GetProviderSchema", schemas.Diagnostics)
	cfg := dynamicValue(t, objectOf(schemas.Provider.Block, map[string]tftypes.Value{
		"environment_url": tftypes.NewValue(tftypes.String, e.URL()),
		"tenant_id":       tftypes.NewValue(tftypes.String, e.TenantID()),
		"client_id":       tftypes.NewValue(tftypes.String, e.ClientID()),
		"client_secret":   tftypes.NewValue(tftypes.String, e.ClientSecret()),
		"authority_host":  tftypes.NewValue(tftypes.String, e.AuthorityHost()),
	}))
	resp, err := s.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.14.3", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	requireNoDiagnostics(t, "ConfigureProvider", resp.Diagnostics)
	return s
}

// objectOf is an object of block's type holding values, every other attribute and block null.
func objectOf(block *tfprotov6.SchemaBlock, values map[string]tftypes.Value) tftypes.Value {
	typ := block.ValueType().(tftypes.Object)
	attrs := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		if v, ok := values[name]; ok {
			attrs[name] = v
			continue
		}
		attrs[name] = tftypes.NewValue(at, nil)
	}
	return tftypes.NewValue(typ, attrs)
}

func dynamicValue(t *testing.T, v tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(v.Type(), v)
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// decodeObject reads a DynamicValue of type typ into its attributes.
func decodeObject(t *testing.T, dv *tfprotov6.DynamicValue, typ tftypes.Type) map[string]tftypes.Value {
	t.Helper()
	if dv == nil {
		t.Fatal("no value")
	}
	v, err := dv.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]tftypes.Value{}
	if err := v.As(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// stringAttr reads a string attribute of a decoded object; "" when null.
func stringAttr(t *testing.T, obj map[string]tftypes.Value, name string) string {
	t.Helper()
	v, ok := obj[name]
	if !ok {
		t.Fatalf("no attribute %s in %v", name, obj)
	}
	var s *string
	if err := v.As(&s); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if s == nil {
		return ""
	}
	return *s
}

func requireNoDiagnostics(t *testing.T, call string, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			t.Fatalf("%s: %s: %s", call, d.Summary, d.Detail)
		}
	}
}
