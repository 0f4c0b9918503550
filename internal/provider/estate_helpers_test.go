package provider

// Estate test helpers: rows seeded outside Terraform, and the provider over its plugin protocol.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/dvuser"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

// handBuiltEstate is what an environment looks like after registrations made with the Plug-in
// Registration Tool: rows written through the Web API, never by a Terraform resource of this
// provider.
type handBuiltEstate struct {
	// Webhooks by name without the backend's prefix, steps and images by a label the test chose.
	Webhooks, Steps, Images map[string]string
}

// seedHandBuiltEstate registers, outside Terraform, three webhooks (one for each auth type, two
// of them named crm-…), four steps (at defaults and not, synchronous and not, enabled and not)
// and three images. The webhooks carry the backend's prefix.
func seedHandBuiltEstate(t *testing.T, b backend) handBuiltEstate {
	t.Helper()
	est := handBuiltEstate{Webhooks: map[string]string{}, Steps: map[string]string{}, Images: map[string]string{}}
	for _, w := range []struct {
		name, description string
		authType          dataverse.AuthType
		authValue         string
	}{
		{"crm-orders", "Order changes to the integration", dataverse.AuthTypeWebhookKey, "orders-key"},
		{"crm-audit", "", dataverse.AuthTypeHTTPHeader, `<settings><setting name="x-api-key" value="audit-key" /></settings>`},
		{"legacy-feed", "", dataverse.AuthTypeHTTPQueryString, `<settings><setting name="token" value="feed-token" /></settings>`},
	} {
		est.Webhooks[w.name] = registerWebhook(t, b, dataverse.WebhookCreate{Name: b.name(w.name), URL: "https://fn.example.net/api/" + w.name,
			Description: w.description, AuthType: w.authType, AuthValue: w.authValue})
	}
	step := func(label, webhook, message, table string, in dataverse.StepCreate) {
		t.Helper()
		in.WebhookID = est.Webhooks[webhook]
		est.Steps[label] = registerStep(t, b, message, table, in)
	}
	const async, sync, post, pre = dataverse.StepModeAsynchronous, dataverse.StepModeSynchronous, dataverse.StepStagePostOperation, dataverse.StepStagePreOperation
	// The name the Plug-in Registration Tool writes, which is also this provider's default.
	step("orders update", "crm-orders", "Update", "account", dataverse.StepCreate{
		StepSettings: dataverse.StepSettings{Mode: async, Stage: post, Rank: 1, Name: b.name("crm-orders") + ": Update of account", FilteringAttributes: []string{"name", "telephone1"}},
		Enabled:      true,
	})
	step("orders create", "crm-orders", "Create", "contact", dataverse.StepCreate{
		StepSettings: dataverse.StepSettings{Mode: sync, Stage: pre, Rank: 2, Name: "Contact created (sync)", Description: "Checks new contacts"},
		Enabled:      true,
	})
	step("audit delete", "crm-audit", "Delete", "account", dataverse.StepCreate{
		StepSettings: dataverse.StepSettings{Mode: async, Stage: post, Rank: 1, Name: b.name("crm-audit") + ": Delete of account", AsyncAutoDelete: true},
		Enabled:      true,
	})
	step("feed update", "legacy-feed", "Update", "contact", dataverse.StepCreate{
		StepSettings: dataverse.StepSettings{Mode: async, Stage: post, Rank: 1, Name: b.name("legacy-feed") + ": Update of contact"},
		Enabled:      false,
	})
	image := func(label, stepLabel, alias string, imageType dataverse.ImageType, attributes []string) {
		t.Helper()
		est.Images[label] = registerImage(t, b, dataverse.StepImageCreate{StepID: est.Steps[stepLabel], Name: alias, EntityAlias: alias,
			ImageType: imageType, Attributes: attributes, MessagePropertyName: "Target"})
	}
	image("orders before", "orders update", "before", dataverse.ImageTypePreImage, []string{"name", "telephone1"})
	image("orders both", "orders update", "snapshot", dataverse.ImageTypeBoth, nil)
	image("audit gone", "audit delete", "gone", dataverse.ImageTypePreImage, []string{"name"})
	return est
}

// The register functions write rows outside Terraform. On the emulator they post raw Web API
// rows, shaped as the Plug-in Registration Tool writes them, through a client that shares no
// code with the provider's, so a wrong rule in the provider's client fails a test instead of
// writing the estate it expects; on a live environment they use the provider's client, and
// Dataverse judges what it stores. Rows named with the backend's prefix are deleted with the
// test's other rows on a live environment.

func registerWebhook(t *testing.T, b backend, in dataverse.WebhookCreate) string {
	t.Helper()
	if e := b.emulator(); e != nil {
		row := map[string]any{"name": in.Name, "url": in.URL, "contract": 8, "authtype": int(in.AuthType),
			"authvalue": in.AuthValue, "messageformat": 2}
		if in.Description != "" {
			row["description"] = in.Description
		}
		return rawCreate(t, e, "serviceendpoints", row)
	}
	return mustGet(t, "registering the webhook "+in.Name, func(ctx context.Context) (*dataverse.Webhook, error) {
		return b.client().CreateWebhook(ctx, in)
	}).ID
}

// registerStep registers a step of message on table; it goes with its webhook.
func registerStep(t *testing.T, b backend, message, table string, in dataverse.StepCreate) string {
	t.Helper()
	if e := b.emulator(); e != nil {
		row := map[string]any{
			"name": in.Name, "mode": int(in.Mode), "stage": int(in.Stage), "rank": in.Rank, "supporteddeployment": 0,
			"asyncautodelete":                         in.AsyncAutoDelete,
			"eventhandler_serviceendpoint@odata.bind": "/serviceendpoints(" + in.WebhookID + ")",
			"sdkmessageid@odata.bind":                 "/sdkmessages(" + emulator.SDKMessageID(message) + ")",
			"sdkmessagefilterid@odata.bind":           "/sdkmessagefilters(" + emulator.SDKMessageFilterID(message, table) + ")",
		}
		if in.Description != "" {
			row["description"] = in.Description
		}
		if len(in.FilteringAttributes) > 0 {
			row["filteringattributes"] = strings.Join(in.FilteringAttributes, ",")
		}
		id := rawCreate(t, e, "sdkmessageprocessingsteps", row)
		if !in.Enabled {
			if err := e.PatchRow("sdkmessageprocessingsteps", id, map[string]any{"statecode": 1, "statuscode": 2}); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	f := mustGet(t, "finding the filter of "+message+" on "+table, func(ctx context.Context) (*dataverse.MessageFilter, error) {
		return b.client().ResolveMessageFilter(ctx, message, table)
	})
	in.MessageID, in.MessageFilterID = f.MessageID, f.FilterID
	return mustGet(t, "registering the step "+in.Name, func(ctx context.Context) (*dataverse.Step, error) {
		return b.client().CreateStep(ctx, in)
	}).ID
}

// urlKey is the key in the URL of the webhook keyedWebhook registers, as another tool may
// register one.
const urlKey = "Fk-abc123"

// keyedWebhook registers "keyed-orders", whose URL carries urlKey as its code, and returns its
// id; withPlain adds "keyed-plain", whose URL carries none.
func keyedWebhook(t *testing.T, b backend, withPlain bool) string {
	t.Helper()
	id := registerWebhook(t, b, dataverse.WebhookCreate{Name: b.name("keyed-orders"), URL: "https://fn.example.net/api/orders?code=" + urlKey,
		AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})
	if withPlain {
		registerWebhook(t, b, dataverse.WebhookCreate{Name: b.name("keyed-plain"), URL: "https://fn.example.net/api/plain",
			AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})
	}
	return id
}

// registerImage registers a step image; it goes with its step's webhook.
func registerImage(t *testing.T, b backend, in dataverse.StepImageCreate) string {
	t.Helper()
	if e := b.emulator(); e != nil {
		row := map[string]any{"name": in.Name, "entityalias": in.EntityAlias, "imagetype": int(in.ImageType),
			"messagepropertyname":                   in.MessagePropertyName,
			"sdkmessageprocessingstepid@odata.bind": "/sdkmessageprocessingsteps(" + in.StepID + ")"}
		if len(in.Attributes) > 0 {
			row["attributes"] = strings.Join(in.Attributes, ",")
		}
		return rawCreate(t, e, "sdkmessageprocessingstepimages", row)
	}
	return mustGet(t, "registering the image "+in.EntityAlias, func(ctx context.Context) (*dataverse.StepImage, error) {
		return b.client().CreateStepImage(ctx, in)
	}).ID
}

// rawCreate posts row to set as an ordinary Web API user of the emulator and returns its id.
func rawCreate(t *testing.T, e *emulator.Emulator, set string, row map[string]any) string {
	t.Helper()
	return mustGet(t, "creating a "+set+" row", func(ctx context.Context) (string, error) {
		c, err := dvuser.New(ctx, e)
		if err != nil {
			return "", err
		}
		return c.Create(ctx, set, row)
	})
}

// mustGet gives get a minute and fails the test, saying what it was doing, when get fails.
func mustGet[T any](t *testing.T, doing string, get func(context.Context) (T, error)) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v, err := get(ctx)
	if err != nil {
		t.Fatalf("%s: %v", doing, err)
	}
	return v
}

// protocolProvider is the provider as Terraform's gRPC client sees it, through
// terraform-plugin-go, configured for the backend: for an emulator in its configuration, for a
// live environment by the environment variables, and through the fault proxy of a faulty live
// backend. It lets tests send what Terraform versions newer than the one on the PATH send.
func protocolProvider(t *testing.T, b backend) tfprotov6.ProviderServer {
	t.Helper()
	ctx := context.Background()
	p := &dataverseProvider{version: "test", getenv: osGetenv}
	if fb, ok := b.(*faultyBackend); ok {
		p.transport = fb.transport(t)
	}
	s, err := providerserver.NewProtocol6WithError(p)()
	if err != nil {
		t.Fatal(err)
	}
	schemas := providerSchemas(t, s)
	settings := map[string]tftypes.Value{}
	if e := b.emulator(); e != nil {
		settings = map[string]tftypes.Value{
			"environment_url": tftypes.NewValue(tftypes.String, e.URL()),
			"tenant_id":       tftypes.NewValue(tftypes.String, e.TenantID()),
			"client_id":       tftypes.NewValue(tftypes.String, e.ClientID()),
			"client_secret":   tftypes.NewValue(tftypes.String, e.ClientSecret()),
			"authority_host":  tftypes.NewValue(tftypes.String, e.AuthorityHost()),
		}
	}
	cfg := dynamicValue(t, objectOf(schemas.Provider.Block, settings))
	resp, err := s.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.14.3", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	requireNoDiagnostics(t, "ConfigureProvider", resp.Diagnostics)
	return s
}

// readDataSourceThrough sends what Terraform sends to read a data source with the given config,
// and returns its attributes and the diagnostics, of validation or of the read.
func readDataSourceThrough(t *testing.T, s tfprotov6.ProviderServer, typ string, config map[string]tftypes.Value) (map[string]tftypes.Value, []*tfprotov6.Diagnostic) {
	t.Helper()
	ctx := context.Background()
	schema := providerSchemas(t, s).DataSourceSchemas[typ]
	if schema == nil {
		t.Fatalf("no data source %s", typ)
	}
	cfg := dynamicValue(t, objectOf(schema.Block, config))
	v, err := s.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: typ, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Diagnostics) > 0 {
		return nil, v.Diagnostics
	}
	r, err := s.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: typ, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if r.State == nil {
		return nil, r.Diagnostics
	}
	return decodeObject(t, r.State, schema.ValueType()), r.Diagnostics
}

// providerSchemas asks the provider server for its schemas, failing the test on an error.
func providerSchemas(t *testing.T, s tfprotov6.ProviderServer) *tfprotov6.GetProviderSchemaResponse {
	t.Helper()
	schemas, err := s.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	requireNoDiagnostics(t, "GetProviderSchema", schemas.Diagnostics)
	return schemas
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

// seededStep registers, outside Terraform, a webhook and a step on message and table with the
// given stage and mode, and returns the step id, so a configuration can name it before planning.
func seededStep(t *testing.T, b backend, message string, stage dataverse.StepStage, mode dataverse.StepMode) string {
	t.Helper()
	hook := registerWebhook(t, b, dataverse.WebhookCreate{Name: b.name("seeded"), URL: "https://fn.example.net/api/seeded",
		AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})
	return registerStep(t, b, message, "account", dataverse.StepCreate{
		StepSettings: dataverse.StepSettings{Name: b.name("seeded") + ": " + message, Mode: mode, Stage: stage, Rank: 1},
		WebhookID:    hook,
		Enabled:      true,
	})
}

// estateWorkspace is a backend of the test's own holding the hand-built estate, and an empty
// workspace to run Terraform in.
func estateWorkspace(t *testing.T) (backend, handBuiltEstate, *tfcli.Workspace) {
	t.Helper()
	b := newBackend(t)
	return b, seedHandBuiltEstate(t, b), newWorkspace(t)
}
