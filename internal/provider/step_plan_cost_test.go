package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// stepPlanRequest builds the ModifyPlan request of a step whose plan equals its state, as in a
// no-change plan; configuredName is the name in the configuration ("" for none).
func stepPlanRequest(t testing.TB, stateName, configuredName string) (resource.ModifyPlanRequest, *resource.ModifyPlanResponse) {
	t.Helper()
	ctx := context.Background()
	var sr resource.SchemaResponse
	NewWebhookStepResource().Schema(ctx, resource.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	values := func(name tftypes.Value, computed bool) tftypes.Value {
		vals := map[string]tftypes.Value{}
		for attr, at := range typ.AttributeTypes {
			vals[attr] = tftypes.NewValue(at, nil)
		}
		str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
		vals["webhook_id"] = str("7d3c1b2a-9e8f-4a6b-8c5d-1e2f3a4b5c6d")
		vals["message"], vals["table"], vals["name"] = str("Update"), str("account"), name
		if computed {
			vals["id"] = str("0a3c1b2a-9e8f-4a6b-8c5d-1e2f3a4b5c6d")
			vals["stage"], vals["mode"] = str("PostOperation"), str("Asynchronous")
			vals["rank"] = tftypes.NewValue(tftypes.Number, 1)
			vals["async_auto_delete"], vals["enabled"] = tftypes.NewValue(tftypes.Bool, false), tftypes.NewValue(tftypes.Bool, true)
		}
		return tftypes.NewValue(typ, vals)
	}
	state := values(tftypes.NewValue(tftypes.String, stateName), true)
	cfgName := tftypes.NewValue(tftypes.String, nil)
	if configuredName != "" {
		cfgName = tftypes.NewValue(tftypes.String, configuredName)
	}
	req := resource.ModifyPlanRequest{
		Config: tfsdk.Config{Schema: sr.Schema, Raw: values(cfgName, false)},
		Plan:   tfsdk.Plan{Schema: sr.Schema, Raw: state.Copy()},
		State:  tfsdk.State{Schema: sr.Schema, Raw: state.Copy()},
	}
	return req, &resource.ModifyPlanResponse{Plan: tfsdk.Plan{Schema: sr.Schema, Raw: state.Copy()}}
}

// An unchanged step skips the full ModifyPlan only when that would leave the plan as it is.
func TestUnchangedStepKeepsItsNameAgreesWithModifyPlan(t *testing.T) {
	t.Parallel()
	const defaultName = "orders: Update of account"
	tests := []struct {
		name, stateName, configuredName string
		skips                           bool
	}{
		{"default name, none configured", defaultName, "", true},
		{"configured name", "my step", "my step", true},
		// The configuration dropped a hand-set name: the default comes back.
		{"hand-set name no longer configured", "my step", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, resp := stepPlanRequest(t, tc.stateName, tc.configuredName)
			if got := unchangedStepKeepsItsName(req); got != tc.skips {
				t.Fatalf("unchangedStepKeepsItsName = %v, want %v", got, tc.skips)
			}
			// The full ModifyPlan (the shortcut off: the state differs in no attribute it reads)
			// changes the plan exactly when the shortcut declines.
			full := *resp
			r := &webhookStepResource{}
			req.Plan.Raw = req.Plan.Raw.Copy()
			r.modifyPlanFully(context.Background(), req, &full)
			if full.Diagnostics.HasError() {
				t.Fatal(full.Diagnostics)
			}
			if changed := !full.Plan.Raw.Equal(req.State.Raw); changed == tc.skips {
				t.Errorf("the full ModifyPlan changed the plan: %v; the shortcut skips it: %v", changed, tc.skips)
			}
		})
	}
}

func BenchmarkStepModifyPlanOfAnUnchangedStep(b *testing.B) {
	req, resp := stepPlanRequest(b, "orders: Update of account", "")
	r := &webhookStepResource{}
	ctx := context.Background()
	b.Run("shortcut", func(b *testing.B) {
		for b.Loop() {
			r.ModifyPlan(ctx, req, resp)
		}
	})
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			r.modifyPlanFully(ctx, req, resp)
		}
	})
}

// A Read whose model is unchanged leaves the state the framework put in the response; one that
// changed stores the new model.
func TestSetReadStateEncodesOnlyAChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	req, _ := stepPlanRequest(t, "orders: Update of account", "")
	var prior webhookStepModel
	if d := req.State.Get(ctx, &prior); d.HasError() {
		t.Fatal(d)
	}
	sentinel := tfsdk.State{Schema: req.State.Schema, Raw: req.State.Raw.Copy()}
	same := prior
	if d := setReadState(ctx, &sentinel, &prior, &same); d.HasError() || !sentinel.Raw.Equal(req.State.Raw) {
		t.Fatalf("an unchanged model changed the state: %v", d)
	}
	changed := prior
	changed.Name = types.StringValue("renamed outside Terraform")
	if d := setReadState(ctx, &sentinel, &prior, &changed); d.HasError() {
		t.Fatal(d)
	}
	var got webhookStepModel
	if d := sentinel.Get(ctx, &got); d.HasError() || got.Name.ValueString() != "renamed outside Terraform" {
		t.Errorf("the changed name was not stored: %s %v", got.Name, d)
	}
	// Name is a field of the embedded stepAttributes, the solution one of the model's own.
	inSolution := prior
	inSolution.SolutionUniqueName = types.StringValue("other")
	if sameModel(&prior, &changed) || sameModel(&prior, &inSolution) || !sameModel(&prior, &same) {
		t.Error("sameModel compares wrongly")
	}
}

// A step takes its default name from what the client learned when its webhook was created in
// the same provider process; a process that never saw the webhook reads it.
func TestStepDefaultNameAfterWebhookCreateNeedsNoWebhookRequest(t *testing.T) {
	t.Parallel()
	e := needsEmulator(t, "counts the requests to serviceendpoints")
	tests := []struct {
		name             string
		sameClient       bool
		wantHookRequests int64
	}{
		{name: "webhook created by this process", sameClient: true, wantHookRequests: 0},
		{name: "webhook created by another process", wantHookRequests: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			creator := emulatorClient(t, e)
			hookName := "plan-cost-" + strings.ReplaceAll(tc.name, " ", "-")
			hook, err := creator.CreateWebhook(ctx, dataverse.WebhookCreate{Name: hookName, URL: "https://fn.example.net/hook", AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})
			if err != nil {
				t.Fatal(err)
			}
			planner := creator
			if !tc.sameClient {
				planner = emulatorClient(t, e)
			}
			r := &webhookStepResource{resourceBase{data: &providerData{client: planner}}}
			plan := webhookStepModel{stepAttributes: stepAttributes{
				WebhookID: types.StringValue(strings.ToUpper(hook.ID)),
				Message:   types.StringValue("update"), Table: types.StringValue("account"),
			}}
			e.ResetStats()
			got, err := r.defaultName(ctx, planner, plan)
			if err != nil {
				t.Fatal(err)
			}
			if want := hookName + ": Update of account"; got != want {
				t.Errorf("default name = %q, want %q", got, want)
			}
			if n := e.Stats().Requests.ByEntitySet["serviceendpoints"]; n != tc.wantHookRequests {
				t.Errorf("webhook requests = %d, want %d", n, tc.wantHookRequests)
			}
		})
	}
}

// emulatorClient is a client of e with the emulator's own credentials, as Configure builds one.
func emulatorClient(t *testing.T, e *emulator.Emulator) *dataverse.Client {
	t.Helper()
	tokens, _, err := auth.NewTokenSource(auth.Config{
		EnvironmentURL: e.URL(), TenantID: e.TenantID(), ClientID: e.ClientID(), ClientSecret: e.ClientSecret(),
		AuthorityHost: e.AuthorityHost(), HTTPClient: e.HTTPClient(),
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := dataverse.New(dataverse.Config{EnvironmentURL: e.URL(), TokenSource: tokens, HTTPClient: e.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
