package provider

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

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

// What the plan says the webhook will hold is what Update will leave it with, or unknown where
// the configuration is not known yet: a secret or an auth_type from another resource may turn
// out to send nothing.
func TestRequireSecretWhenSentPlansWhatTheApplyHolds(t *testing.T) {
	t.Parallel()
	unknown := tftypes.UnknownValue
	for _, tc := range []struct {
		name      string
		key, kind any // the configuration's auth_key_wo and auth_type
		held      bool
		want      types.Bool
		warning   string
	}{
		{"secret set in Dataverse, none configured", nil, "WebhookKey", true, types.BoolValue(true), "Webhook secret not set"},
		{"cleared, configured", "k", "WebhookKey", false, types.BoolValue(true), ""},
		{"cleared, none configured", nil, "WebhookKey", false, types.BoolValue(false), "Webhook holds no secret"},
		{"cleared, secret not known yet", unknown, "WebhookKey", false, types.BoolUnknown(), ""},
		{"cleared, auth_type not known yet", nil, unknown, false, types.BoolUnknown(), ""},
		{"set, secret not known yet", unknown, "WebhookKey", true, types.BoolValue(true), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			config := map[string]any{"name": "orders", "url": "https://fn.example.net/orders", "auth_type": tc.kind, "auth_key_wo": tc.key}
			state := map[string]any{"id": "7d3c1b2a-9e8f-4a6b-8c5d-1e2f3a4b5c6d", "name": "orders", "url": "https://fn.example.net/orders",
				"auth_type": "WebhookKey", "is_auth_value_set": tc.held}
			req, _ := unchangedPlanRequest(t, NewWebhookResource(), config, state)
			var diags diag.Diagnostics
			got := requireSecretWhenSent(context.Background(), req, &diags)
			if !got.Equal(tc.want) {
				t.Errorf("is_auth_value_set planned %v, want %v", got, tc.want)
			}
			if diags.HasError() {
				t.Errorf("errors: %v", diags)
			}
			if (tc.warning == "") != (diags.WarningsCount() == 0) || tc.warning != "" && diags.Warnings()[0].Summary() != tc.warning {
				t.Errorf("warnings %v, want %q", diags.Warnings(), tc.warning)
			}
		})
	}
}

// A log line may hold one header value without the settings XML it was sent in; each value is
// masked on its own, in fields and in messages.
func TestEncodedSecretMasksEachValueInLogs(t *testing.T) {
	t.Parallel()
	const headerValue, otherValue = "hv-5d1e9c2b7a", "hv-0f3b8e6d4c"
	var out bytes.Buffer
	cfg := webhookModel{
		webhookAttributes: webhookAttributes{AuthType: types.StringValue("HttpHeader")},
		AuthHeadersWO: types.MapValueMust(types.StringType, map[string]attr.Value{
			"x-api-key": types.StringValue(headerValue), "x-other": types.StringValue(otherValue),
		}),
	}
	ctx, _, encoded, diags := encodedSecret(tflogtest.RootLogger(context.Background(), &out), cfg)
	if diags.HasError() {
		t.Fatal(diags)
	}
	tflog.Debug(ctx, "sending "+headerValue+" in "+encoded, map[string]any{"value": otherValue, "encoded": encoded})
	logged := out.String()
	if !strings.Contains(logged, "sending") {
		t.Fatalf("nothing logged: %q", logged)
	}
	for _, secret := range []string{headerValue, otherValue, encoded} {
		if strings.Contains(logged, secret) {
			t.Errorf("the log holds %q: %s", secret, logged)
		}
	}
}
