package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// A webhook's secret is needed only when Terraform sends it: on create, when auth_type or
// auth_wo_version changes, and when Dataverse holds none. A webhook adopted from the environment
// keeps the secret Dataverse has, so its configuration (as terraform query generates it, with
// every secret attribute null) is valid: the plan refuses a missing secret only where it would
// be sent, and warns, once, of an update that leaves the secret as Dataverse holds it.

// warnSecretNotSet is the plan's word on an update that sends no secret, the configuration
// having none.
func warnSecretNotSet(diags *diag.Diagnostics, t dataverse.AuthType, attribute string) {
	diags.AddAttributeWarning(path.Root(attribute), "Webhook secret not set",
		fmt.Sprintf("auth_type %q takes its secret from %s, which is not set, so this update leaves the secret Dataverse "+
			"holds as it is, as for an imported webhook. Creating the webhook, changing auth_type or auth_wo_version, "+
			"or a secret cleared in Dataverse needs it: %s.", t, attribute, secretHint(t)))
}

// requireSecretWhenSent fails a plan that would send a secret the configuration lacks. It runs
// only for a plan that changes the webhook, so a plan without changes does not warn.
func requireSecretWhenSent(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan, cfg webhookModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !known(cfg.AuthType) || cfg.AuthType.IsNull() {
		return
	}
	t, err := dataverse.ParseAuthType(cfg.AuthType.ValueString())
	if err != nil {
		return // the OneOf validator reports it
	}
	attribute := authAttributeByType[t]
	secret := map[string]interface{ IsNull() bool }{
		"auth_key_wo": cfg.AuthKeyWO, "auth_headers_wo": cfg.AuthHeadersWO, "auth_query_parameters_wo": cfg.AuthQueryParametersWO,
	}[attribute]
	if !secret.IsNull() {
		return
	}
	sends := req.State.Raw.IsNull()
	if !sends {
		var state webhookModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		sends = !plan.AuthType.Equal(state.AuthType) || !plan.AuthWOVersion.Equal(state.AuthWOVersion) || !state.IsAuthValueSet.ValueBool()
	}
	if !sends {
		warnSecretNotSet(&resp.Diagnostics, t, attribute)
		return
	}
	resp.Diagnostics.AddAttributeError(path.Root(attribute), "Missing webhook secret",
		fmt.Sprintf("auth_type %q needs %s to send the webhook its secret: %s.", t, attribute, secretHint(t)))
}
