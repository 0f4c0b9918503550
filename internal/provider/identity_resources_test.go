package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

var identityType = tftypes.Object{AttributeTypes: map[string]tftypes.Type{"id": tftypes.String}}

func identityValue(t *testing.T, id string) *tfprotov6.ResourceIdentityData {
	t.Helper()
	return &tfprotov6.ResourceIdentityData{IdentityData: dynamicValue(t, tftypes.NewValue(identityType, map[string]tftypes.Value{
		"id": tftypes.NewValue(tftypes.String, id),
	}))}
}

func identityID(t *testing.T, d *tfprotov6.ResourceIdentityData) string {
	t.Helper()
	if d == nil {
		t.Fatal("no identity returned")
	}
	return stringAttr(t, decodeObject(t, d.IdentityData, identityType), "id")
}

func TestIdentitySchemas(t *testing.T) {
	t.Parallel()
	s, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.GetResourceIdentitySchemas(context.Background(), &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		t.Fatal(err)
	}
	requireNoDiagnostics(t, "GetResourceIdentitySchemas", resp.Diagnostics)
	for _, typ := range []string{"dataverse_webhook", "dataverse_webhook_step", "dataverse_webhook_step_image"} {
		is := resp.IdentitySchemas[typ]
		if is == nil {
			t.Errorf("%s has no identity schema", typ)
			continue
		}
		if len(is.IdentityAttributes) != 1 || is.IdentityAttributes[0].Name != "id" || !is.IdentityAttributes[0].RequiredForImport {
			t.Errorf("%s identity = %+v, want only id, required for import", typ, is.IdentityAttributes)
		}
	}
}

// What Terraform 1.12 and newer send for `import { identity = { id = … } }`: ImportResourceState
// with an identity and no id, then ReadResource with what it returned. Each of the three types,
// registered by hand, comes back whole with its identity; an identity in another case or in
// braces names the same row.
func TestIdentity_importByIdentity(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	est := seedHandBuiltEstate(t, b)
	s := protocolProvider(t, b)
	ctx := context.Background()
	schemas := providerSchemas(t, s)
	cases := []struct {
		typ, id, given, attr, want string
	}{
		{"dataverse_webhook", est.Webhooks["crm-orders"], est.Webhooks["crm-orders"], "name", b.name("crm-orders")},
		{"dataverse_webhook_step", est.Steps["orders update"], "{" + strings.ToUpper(est.Steps["orders update"]) + "}", "message", "Update"},
		{"dataverse_webhook_step_image", est.Images["orders before"], strings.ToUpper(est.Images["orders before"]), "alias", "before"},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			typ := schemas.ResourceSchemas[tc.typ].ValueType()
			imp, err := s.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: tc.typ, Identity: identityValue(t, tc.given)})
			if err != nil {
				t.Fatal(err)
			}
			requireNoDiagnostics(t, "ImportResourceState", imp.Diagnostics)
			if len(imp.ImportedResources) != 1 {
				t.Fatalf("%d imported resources, want 1", len(imp.ImportedResources))
			}
			got := imp.ImportedResources[0]
			if id := identityID(t, got.Identity); id != tc.id {
				t.Errorf("imported identity id = %q, want %q", id, tc.id)
			}
			if id := stringAttr(t, decodeObject(t, got.State, typ), "id"); id != tc.id {
				t.Errorf("imported state id = %q, want %q", id, tc.id)
			}
			read, err := s.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: tc.typ, CurrentState: got.State,
				CurrentIdentity: got.Identity, Private: got.Private})
			if err != nil {
				t.Fatal(err)
			}
			requireNoDiagnostics(t, "ReadResource", read.Diagnostics)
			state := decodeObject(t, read.NewState, typ)
			if v := stringAttr(t, state, tc.attr); v != tc.want {
				t.Errorf("after the read, %s = %q, want %q", tc.attr, v, tc.want)
			}
			if id := identityID(t, read.NewIdentity); id != tc.id {
				t.Errorf("identity after the read = %q, want %q", id, tc.id)
			}
		})
	}

	t.Run("not a GUID", func(t *testing.T) {
		imp, err := s.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: "dataverse_webhook", Identity: identityValue(t, "crm-orders")})
		if err != nil {
			t.Fatal(err)
		}
		if len(imp.Diagnostics) == 0 || !strings.Contains(imp.Diagnostics[0].Summary, "Invalid import identity") {
			t.Fatalf("diagnostics = %+v, want Invalid import identity", imp.Diagnostics)
		}
	})
}

// State written by a provider version without identity (or by Terraform before 1.12) has none:
// the next refresh adds it, a refresh of a deleted row removes it without complaint, and an
// import by id (or, for a webhook, by name) returns it too.
func TestIdentity_addedToOlderStateAndImportsByID(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	est := seedHandBuiltEstate(t, b)
	s := protocolProvider(t, b)
	ctx := context.Background()
	schemas := providerSchemas(t, s)
	stepSchema := schemas.ResourceSchemas["dataverse_webhook_step"]
	older := dynamicValue(t, objectOf(stepSchema.Block, map[string]tftypes.Value{
		"id": tftypes.NewValue(tftypes.String, est.Steps["orders create"]),
	}))
	read, err := s.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: "dataverse_webhook_step", CurrentState: older})
	if err != nil {
		t.Fatal(err)
	}
	requireNoDiagnostics(t, "ReadResource", read.Diagnostics)
	if id := identityID(t, read.NewIdentity); id != est.Steps["orders create"] {
		t.Errorf("identity after refreshing older state = %q, want %q", id, est.Steps["orders create"])
	}

	// A row deleted behind Terraform's back leaves state without an identity error, even from
	// Terraform 1.11, which keeps no identity to send back.
	if err := b.client().DeleteStep(ctx, est.Steps["orders create"]); err != nil {
		t.Fatal(err)
	}
	// A new process, as for every Terraform command: this one's snapshot still holds the step.
	gone, err := protocolProvider(t, b).ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: "dataverse_webhook_step", CurrentState: read.NewState})
	if err != nil {
		t.Fatal(err)
	}
	requireNoDiagnostics(t, "ReadResource of a deleted step", gone.Diagnostics)
	if v, err := gone.NewState.Unmarshal(stepSchema.ValueType()); err != nil || !v.IsNull() {
		t.Errorf("state after reading a deleted step = %v (%v), want null", v, err)
	}

	for _, tc := range []struct{ typ, importID, want string }{
		{"dataverse_webhook", b.name("crm-audit"), est.Webhooks["crm-audit"]},
		{"dataverse_webhook_step", est.Steps["audit delete"], est.Steps["audit delete"]},
		{"dataverse_webhook_step_image", est.Images["audit gone"], est.Images["audit gone"]},
	} {
		imp, err := s.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: tc.typ, ID: tc.importID})
		if err != nil {
			t.Fatal(err)
		}
		requireNoDiagnostics(t, "ImportResourceState", imp.Diagnostics)
		if id := identityID(t, imp.ImportedResources[0].Identity); id != tc.want {
			t.Errorf("%s imported by %q: identity %q, want %q", tc.typ, tc.importID, id, tc.want)
		}
	}
}

// `import { identity = { id = … } }` through the CLI (Terraform 1.12 and newer, OpenTofu 1.12
// and newer): a webhook, a step and an image registered by hand are imported with no change,
// and a second plan is empty.
func TestIdentity_importBlocksThroughTheCLI(t *testing.T) {
	requireTerraform(t, "1.12.0")
	t.Parallel()
	b, est, ws := estateWorkspace(t)
	cfg := requiredProviders + b.providerBlock() + fmt.Sprintf(`
import {
  to       = dataverse_webhook.orders
  identity = { id = %q }
}

import {
  to       = dataverse_webhook_step.orders_update
  identity = { id = %q }
}

import {
  to       = dataverse_webhook_step_image.before
  identity = { id = %q }
}

resource "dataverse_webhook" "orders" {
  name        = %q
  url         = "https://fn.example.net/api/crm-orders"
  description = "Order changes to the integration"
  auth_type   = "WebhookKey"
}

resource "dataverse_webhook_step" "orders_update" {
  webhook_id           = dataverse_webhook.orders.id
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name", "telephone1"]
}
`, est.Webhooks["crm-orders"], strings.ToUpper(est.Steps["orders update"]), est.Images["orders before"], b.name("crm-orders")) +
		hclImage("before", "orders_update", "PreImage", "before", "name", "telephone1")
	if err := ws.WriteFile("main.tf", cfg); err != nil {
		t.Fatal(err)
	}
	planSays(t, ws, "Plan: 3 to import, 0 to add, 0 to change, 0 to destroy.")
	mustRun(t, ws, applyArgs()...)
	planNoChanges(t, ws, "after the imports")
	if got := stateIDs(t, ws, "dataverse_webhook_step"); len(got) != 1 || got[0] != est.Steps["orders update"] {
		t.Errorf("imported step ids = %v, want %s", got, est.Steps["orders update"])
	}
	state, err := os.ReadFile(filepath.Join(ws.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(state), `"identity": {`); n != 3 {
		t.Errorf("the state holds %d identities, want 3", n)
	}
}
