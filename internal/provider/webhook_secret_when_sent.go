package provider

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// A webhook's secret is needed only when Terraform sends it: on create, and when auth_type or
// auth_wo_version changes. A webhook adopted from the environment keeps the secret Dataverse
// has, so its configuration (as terraform query generates it, with every secret attribute null)
// is valid: the plan refuses a missing secret only where it must be sent, and warns, once, of an
// update that leaves the secret as Dataverse holds it. A secret cleared in Dataverse is sent
// again when the configuration has one; without one the webhook stays without, and every plan
// warns. A plan error there would stop terraform destroy too, which plans the configuration
// before it plans the destroy.

// secretAction is what an apply does with a webhook's secret.
type secretAction int

const (
	secretKept    secretAction = iota // Dataverse keeps the secret it holds
	secretSent                        // the configuration's secret is sent
	secretMissing                     // it must be sent and the configuration has none: the plan fails
	secretAbsent                      // Dataverse holds none and the configuration gives none
)

// planSecret decides it from the configuration (or plan, which has the same auth_type and
// auth_wo_version) and the state, nil for a webhook to create.
func planSecret(t dataverse.AuthType, cfg webhookModel, state *webhookModel) secretAction {
	configured := !configuredSecret(t, cfg).IsNull()
	mustSend := state == nil || !cfg.AuthType.Equal(state.AuthType) || !cfg.AuthWOVersion.Equal(state.AuthWOVersion)
	switch {
	case mustSend && configured, !mustSend && configured && !state.IsAuthValueSet.ValueBool():
		return secretSent
	case mustSend:
		return secretMissing
	case !configured && !state.IsAuthValueSet.ValueBool():
		return secretAbsent
	}
	return secretKept
}

// whySent says which change of an existing webhook makes the plan send its secret, and how to
// leave the secret alone instead; nothing for a new webhook.
func whySent(cfg webhookModel, state *webhookModel) string {
	switch {
	case state == nil:
		return ""
	case !cfg.AuthType.Equal(state.AuthType):
		return fmt.Sprintf(" This plan sends it because auth_type changes from %s: a new auth type needs its secret.", state.AuthType)
	}
	was, now, keep := "null", "null", "leave auth_wo_version out"
	if !state.AuthWOVersion.IsNull() {
		was = strconv.FormatInt(state.AuthWOVersion.ValueInt64(), 10)
		keep = "keep auth_wo_version = " + was
	}
	switch {
	case cfg.AuthWOVersion.IsUnknown():
		now = "a value not known yet"
	case !cfg.AuthWOVersion.IsNull():
		now = strconv.FormatInt(cfg.AuthWOVersion.ValueInt64(), 10)
	}
	return fmt.Sprintf(" This plan sends it because auth_wo_version changes from %s to %s. To leave the secret Dataverse "+
		"holds alone, %s and remove only the secret.", was, now, keep)
}

// missingSecretPath is where a missing secret is reported: the secret attribute is absent from
// the configuration, so Terraform could point only at the block. A changed auth_wo_version is
// what asks for the secret when it is set and the auth type stays; otherwise auth_type does.
func missingSecretPath(cfg webhookModel, state *webhookModel) path.Path {
	if state != nil && cfg.AuthType.Equal(state.AuthType) && !cfg.AuthWOVersion.IsNull() {
		return path.Root("auth_wo_version")
	}
	return path.Root("auth_type")
}

// configuredSecret is the configuration's value of the attribute auth_type t takes its secret
// from.
func configuredSecret(t dataverse.AuthType, cfg webhookModel) attr.Value {
	v, ok := map[string]attr.Value{
		"auth_key_wo": cfg.AuthKeyWO, "auth_headers_wo": cfg.AuthHeadersWO, "auth_query_parameters_wo": cfg.AuthQueryParametersWO,
	}[authAttributeByType[t]]
	if !ok {
		return types.StringNull() // not an auth type a webhook takes
	}
	return v
}

// warnSecretNotSet is the plan's word on an update that sends no secret, the configuration
// having none.
func warnSecretNotSet(diags *diag.Diagnostics, t dataverse.AuthType, attribute string) {
	diags.AddAttributeWarning(path.Root(attribute), "Webhook secret not set",
		fmt.Sprintf("auth_type %q takes its secret from %s, which is not set, so this update leaves the secret Dataverse "+
			"holds as it is, as for an imported webhook. Creating the webhook or changing auth_type or auth_wo_version "+
			"needs it: %s.", t, attribute, secretHint(t)))
}

// requireSecretWhenSent fails a plan that would send a secret the configuration lacks, warns of
// one that leaves the secret alone or the webhook without one, and returns whether the webhook
// holds a secret after the apply: unknown while auth_type, or a secret to send, is unknown, as
// either may turn out to leave the webhook without one. It runs only for a plan that changes
// the webhook or whose webhook holds no secret, so a plan without changes does not warn of a
// secret left alone.
func requireSecretWhenSent(ctx context.Context, req resource.ModifyPlanRequest, diags *diag.Diagnostics) (held types.Bool) {
	var cfg webhookModel
	diags.Append(req.Config.Get(ctx, &cfg)...)
	if diags.HasError() || cfg.AuthType.IsUnknown() {
		return types.BoolUnknown()
	}
	t, err := dataverse.ParseAuthType(cfg.AuthType.ValueString())
	if err != nil {
		return types.BoolUnknown() // the OneOf validator reports it
	}
	var state *webhookModel
	if !req.State.Raw.IsNull() {
		state = &webhookModel{}
		if diags.Append(req.State.Get(ctx, state)...); diags.HasError() {
			return types.BoolUnknown()
		}
	}
	attribute := authAttributeByType[t]
	switch planSecret(t, cfg, state) {
	case secretMissing:
		diags.AddAttributeError(missingSecretPath(cfg, state), "Missing webhook secret",
			fmt.Sprintf("auth_type %q needs %s to send the webhook its secret: %s.%s", t, attribute, secretHint(t), whySent(cfg, state)))
	case secretAbsent:
		diags.AddAttributeWarning(path.Root(attribute), "Webhook holds no secret",
			fmt.Sprintf("Dataverse holds no secret for this webhook (it was cleared outside Terraform), and %s is not set, "+
				"so its deliveries go without one, and an endpoint that checks them refuses them. Set %s to send it "+
				"again: %s.", attribute, attribute, secretHint(t)))
		return types.BoolValue(false)
	case secretSent:
		if configuredSecret(t, cfg).IsUnknown() {
			return types.BoolUnknown() // it may be null when applied
		}
	case secretKept:
		if configuredSecret(t, cfg).IsNull() {
			warnSecretNotSet(diags, t, attribute)
		}
	}
	return types.BoolValue(true)
}
