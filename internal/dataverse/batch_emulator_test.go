package dataverse_test

import (
	"context"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
)

// A step configured disabled is created and disabled in one changeset: one request, and the row
// is never enabled, even when the answer is lost after the commit.
func TestAgainstEmulator_disabledStepIsCreatedDisabledInOneRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts func(*emulator.Options)
	}{
		{"answered", func(*emulator.Options) {}},
		{"answer lost after the commit", func(o *emulator.Options) { o.DropAfterCommitRate = 1; o.Seed = 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, c := emulatorClient(t, tc.opts)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			hook := must(c.CreateWebhook(ctx, dataverse.WebhookCreate{Name: "quiet", URL: "https://fn.example.net/q", AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})).get(t)
			f := must(c.ResolveMessageFilter(ctx, "Update", "account")).get(t)
			before := e.Stats().Requests.Total
			step := must(c.CreateStep(ctx, dataverse.StepCreate{
				StepSettings:    dataverse.StepSettings{Name: "quiet step", Mode: dataverse.StepModeAsynchronous, Stage: dataverse.StepStagePostOperation, Rank: 1},
				WebhookID:       hook.ID,
				MessageID:       f.MessageID,
				MessageFilterID: f.FilterID,
				Enabled:         false,
			})).get(t)
			if step.Enabled {
				t.Errorf("created step is enabled: %+v", step)
			}
			row, ok := e.Row("sdkmessageprocessingsteps", step.ID)
			if !ok || row["statecode"] != int64(1) || row["statuscode"] != int64(2) {
				t.Fatalf("stored step state = %v/%v (found %v), want 1/2", row["statecode"], row["statuscode"], ok)
			}
			if tc.name == "answered" {
				if got := e.Stats().Requests; got.Total-before != 1 || got.ByEntitySet["$batch"] != 1 {
					t.Errorf("requests for the create: %d (by set %v), want one $batch", got.Total-before, got.ByEntitySet)
				}
			}
			if n := len(e.AddedRows("sdkmessageprocessingsteps")); n != 1 {
				t.Errorf("%d steps, want 1", n)
			}
		})
	}
}
