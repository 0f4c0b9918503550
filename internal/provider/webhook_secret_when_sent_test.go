package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// Every combination of a configured secret and what changed since the state decides one action,
// which the plan and Update both follow.
func TestPlanSecret(t *testing.T) {
	t.Parallel()
	webhook := func(authType string, version int64, keyed, held bool) webhookModel {
		m := webhookModel{AuthKeyWO: types.StringNull(), AuthHeadersWO: types.MapNull(types.StringType),
			AuthQueryParametersWO: types.MapNull(types.StringType)}
		m.AuthType, m.AuthWOVersion, m.IsAuthValueSet = types.StringValue(authType), types.Int64Value(version), types.BoolValue(held)
		if keyed {
			m.AuthKeyWO = types.StringValue("k")
		}
		return m
	}
	stored := webhook("WebhookKey", 1, false, true)
	cleared := webhook("WebhookKey", 1, false, false)
	for _, tc := range []struct {
		name  string
		cfg   webhookModel
		state *webhookModel
		want  secretAction
	}{
		{"create with the secret", webhook("WebhookKey", 1, true, false), nil, secretSent},
		{"create without it", webhook("WebhookKey", 1, false, false), nil, secretMissing},
		{"unchanged with the secret", webhook("WebhookKey", 1, true, false), &stored, secretKept},
		{"unchanged without it", webhook("WebhookKey", 1, false, false), &stored, secretKept},
		{"new version with the secret", webhook("WebhookKey", 2, true, false), &stored, secretSent},
		{"new version without it", webhook("WebhookKey", 2, false, false), &stored, secretMissing},
		{"new auth_type without its attribute", webhook("HttpHeader", 1, true, false), &stored, secretMissing},
		{"cleared, with the secret", webhook("WebhookKey", 1, true, false), &cleared, secretSent},
		{"cleared, without it", webhook("WebhookKey", 1, false, false), &cleared, secretAbsent},
		{"cleared and a new version without it", webhook("WebhookKey", 2, false, false), &cleared, secretMissing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			at, err := dataverse.ParseAuthType(tc.cfg.AuthType.ValueString())
			if err != nil {
				t.Fatal(err)
			}
			if got := planSecret(at, tc.cfg, tc.state); got != tc.want {
				t.Errorf("planSecret = %d, want %d", got, tc.want)
			}
		})
	}
}
