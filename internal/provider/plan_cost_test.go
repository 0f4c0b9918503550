package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// unchangedPlanRequest builds the ModifyPlan request of a resource whose plan equals its state,
// as in a no-change plan, from the attributes of its configuration and state (the rest null).
func unchangedPlanRequest(t testing.TB, res resource.Resource, config, state map[string]any) (resource.ModifyPlanRequest, *resource.ModifyPlanResponse) {
	t.Helper()
	ctx := context.Background()
	var sr resource.SchemaResponse
	res.Schema(ctx, resource.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	object := func(given map[string]any) tftypes.Value {
		vals := map[string]tftypes.Value{}
		for attr, at := range typ.AttributeTypes {
			vals[attr] = tftypes.NewValue(at, given[attr])
		}
		return tftypes.NewValue(typ, vals)
	}
	stored := object(state)
	req := resource.ModifyPlanRequest{
		Config: tfsdk.Config{Schema: sr.Schema, Raw: object(config)},
		Plan:   tfsdk.Plan{Schema: sr.Schema, Raw: stored.Copy()},
		State:  tfsdk.State{Schema: sr.Schema, Raw: stored.Copy()},
	}
	return req, &resource.ModifyPlanResponse{Plan: tfsdk.Plan{Schema: sr.Schema, Raw: stored.Copy()}}
}

// stepPlanRequest builds the ModifyPlan request of a step whose plan equals its state, as in a
// no-change plan; configuredName is the name in the configuration ("" for none).
func stepPlanRequest(t testing.TB, stateName, configuredName string) (resource.ModifyPlanRequest, *resource.ModifyPlanResponse) {
	t.Helper()
	config := map[string]any{"webhook_id": "7d3c1b2a-9e8f-4a6b-8c5d-1e2f3a4b5c6d", "message": "Update", "table": "account"}
	if configuredName != "" {
		config["name"] = configuredName
	}
	state := map[string]any{
		"id": "0a3c1b2a-9e8f-4a6b-8c5d-1e2f3a4b5c6d", "webhook_id": config["webhook_id"], "message": "Update", "table": "account",
		"name": stateName, "stage": "PostOperation", "mode": "Asynchronous", "rank": 1, "async_auto_delete": false, "enabled": true,
	}
	return unchangedPlanRequest(t, NewWebhookStepResource(), config, state)
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
	b := newBackend(t)
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
			creator, creatorRequests := countingClient(t, b)
			hookName := b.name("plan-cost-" + strings.ReplaceAll(tc.name, " ", "-"))
			hook, err := creator.CreateWebhook(ctx, dataverse.WebhookCreate{Name: hookName, URL: "https://fn.example.net/hook", AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})
			if err != nil {
				t.Fatal(err)
			}
			planner, requests := creator, creatorRequests
			if !tc.sameClient {
				planner, requests = countingClient(t, b)
			}
			r := &webhookStepResource{resourceBase{data: &providerData{client: planner}}}
			plan := webhookStepModel{stepAttributes: stepAttributes{
				WebhookID: types.StringValue(strings.ToUpper(hook.ID)),
				Message:   types.StringValue("update"), Table: types.StringValue("account"),
			}}
			requests.reset()
			got, err := r.defaultName(ctx, planner, plan)
			if err != nil {
				t.Fatal(err)
			}
			if want := hookName + ": Update of account"; got != want {
				t.Errorf("default name = %q, want %q", got, want)
			}
			if n := requests.of("serviceendpoints"); n != tc.wantHookRequests {
				t.Errorf("webhook requests = %d, want %d", n, tc.wantHookRequests)
			}
		})
	}
}

// webhookPlanRequest builds the ModifyPlan request of a webhook whose plan equals its state,
// as in a no-change plan; secretSet is the stored is_auth_value_set.
func webhookPlanRequest(t testing.TB, id, name, url string, secretSet bool) (resource.ModifyPlanRequest, *resource.ModifyPlanResponse) {
	t.Helper()
	config := map[string]any{"name": name, "url": url, "auth_type": "WebhookKey", "auth_key_wo": "k"}
	state := map[string]any{"id": id, "name": name, "url": url, "auth_type": "WebhookKey", "is_auth_value_set": secretSet}
	return unchangedPlanRequest(t, NewWebhookResource(), config, state)
}

// An unchanged webhook skips the full ModifyPlan only when that would leave the plan as it is
// and raise nothing (its URL's port is one the full ModifyPlan warns of when it changes).
func TestUnchangedWebhookAgreesWithModifyPlan(t *testing.T) {
	t.Parallel()
	for _, secretSet := range []bool{true, false} {
		t.Run(fmt.Sprintf("is_auth_value_set %v", secretSet), func(t *testing.T) {
			t.Parallel()
			req, resp := webhookPlanRequest(t, "7d3c1b2a-9e8f-4a6b-8c5d-1e2f3a4b5c6d", "orders", "https://fn.example.net:8443/orders", secretSet)
			_, _, skips := unchangedWebhook(req)
			if skips != secretSet {
				t.Fatalf("unchangedWebhook skips = %v, want %v", skips, secretSet)
			}
			full := *resp
			(&webhookResource{}).modifyPlanFully(context.Background(), req, &full)
			if full.Diagnostics.HasError() {
				t.Fatal(full.Diagnostics)
			}
			if changed := !full.Plan.Raw.Equal(req.State.Raw); changed == skips {
				t.Errorf("the full ModifyPlan changed the plan: %v; the shortcut skips it: %v", changed, skips)
			}
			if skips && len(full.Diagnostics) > 0 {
				t.Errorf("the full ModifyPlan raised %v where the shortcut raises nothing", full.Diagnostics)
			}
		})
	}
}

// The shortcut still claims the webhook's name, so another webhook renamed to it in the same
// plan is refused even when Terraform plans the unchanged one first.
func TestUnchangedWebhookStillClaimsItsName(t *testing.T) {
	t.Parallel()
	r := &webhookResource{resourceBase{data: &providerData{}}}
	unchanged, resp := webhookPlanRequest(t, "7d3c1b2a-9e8f-4a6b-8c5d-1e2f3a4b5c6d", "Orders", "https://fn.example.net/orders", true)
	r.ModifyPlan(context.Background(), unchanged, resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	renamed, renamedResp := webhookPlanRequest(t, "8e4d2c3b-9e8f-4a6b-8c5d-1e2f3a4b5c6d", "orders", "https://fn.example.net/billing", true)
	renamed.State = stateNamed(t, renamed.State, "billing")
	r.ModifyPlan(context.Background(), renamed, renamedResp)
	if !renamedResp.Diagnostics.HasError() || !strings.Contains(renamedResp.Diagnostics.Errors()[0].Summary(), "Webhook name used twice") {
		t.Errorf("a webhook renamed to the unchanged one's name: %v", renamedResp.Diagnostics)
	}
}

// When Terraform plans the renamed webhook first, the error falls on the unchanged one, and says
// that it keeps its name and the other block is the one to rename.
func TestUnchangedWebhookReportedSecondNamesTheOtherBlock(t *testing.T) {
	t.Parallel()
	r := &webhookResource{resourceBase{data: &providerData{}}}
	renamed, renamedResp := webhookPlanRequest(t, "8e4d2c3b-9e8f-4a6b-8c5d-1e2f3a4b5c6d", "orders", "https://fn.example.net/billing", true)
	renamed.State = stateNamed(t, renamed.State, "billing")
	r.ModifyPlan(context.Background(), renamed, renamedResp)
	if renamedResp.Diagnostics.HasError() {
		t.Fatal(renamedResp.Diagnostics)
	}
	unchanged, resp := webhookPlanRequest(t, "7d3c1b2a-9e8f-4a6b-8c5d-1e2f3a4b5c6d", "Orders", "https://fn.example.net/orders", true)
	r.ModifyPlan(context.Background(), unchanged, resp)
	if !resp.Diagnostics.HasError() {
		t.Fatal("the second webhook of one name planned without an error")
	}
	if d := resp.Diagnostics.Errors()[0]; d.Summary() != "Webhook name used twice" ||
		!strings.Contains(d.Detail(), "keeps the name") || !strings.Contains(d.Detail(), "give the other block") {
		t.Errorf("the unchanged webhook's error = %s: %s", d.Summary(), d.Detail())
	}
}

// stateNamed is the state with another name, as before a rename.
func stateNamed(t testing.TB, state tfsdk.State, name string) tfsdk.State {
	t.Helper()
	var vals map[string]tftypes.Value
	if err := state.Raw.As(&vals); err != nil {
		t.Fatal(err)
	}
	vals["name"] = tftypes.NewValue(tftypes.String, name)
	return tfsdk.State{Schema: state.Schema, Raw: tftypes.NewValue(state.Raw.Type(), vals)}
}

func BenchmarkWebhookModifyPlanOfAnUnchangedWebhook(b *testing.B) {
	req, resp := webhookPlanRequest(b, "7d3c1b2a-9e8f-4a6b-8c5d-1e2f3a4b5c6d", "orders", "https://fn.example.net/orders", true)
	ctx := context.Background()
	b.Run("shortcut", func(b *testing.B) {
		r := &webhookResource{resourceBase{data: &providerData{}}}
		for b.Loop() {
			r.ModifyPlan(ctx, req, resp)
		}
	})
	b.Run("full", func(b *testing.B) {
		r := &webhookResource{resourceBase{data: &providerData{}}}
		for b.Loop() {
			r.modifyPlanFully(ctx, req, resp)
		}
	})
}
