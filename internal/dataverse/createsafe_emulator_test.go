package dataverse_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
)

// A step configured disabled is created disabled in one request, so it never fires; a create
// repeated under a derived id meets DuplicateRecord; and with every write's answer dropped after
// commit, each create still returns its row, and Dataverse holds one row per create.
func TestAgainstEmulator_createsAreSafeToRepeat(t *testing.T) {
	t.Parallel()
	e, c := emulatorClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	in := dataverse.WebhookCreate{ID: dataverse.WebhookIDFor("repeatable", 0), Name: "repeatable", URL: "https://fn.example.net/r",
		AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"}
	hook := must(c.CreateWebhook(ctx, in)).get(t)
	if _, err := c.CreateWebhook(ctx, in); !errors.Is(err, dataverse.ErrDuplicateRecord) {
		t.Errorf("a second create under the derived id: err = %v, want DuplicateRecord", err)
	}
	f := must(c.ResolveMessageFilter(ctx, "Update", "account")).get(t)
	e.ResetStats()
	quiet := dataverse.StepCreate{WebhookID: hook.ID, MessageID: f.MessageID, MessageFilterID: f.FilterID, Enabled: false,
		StepSettings: dataverse.StepSettings{Name: "quiet", Mode: dataverse.StepModeAsynchronous, Stage: dataverse.StepStagePostOperation, Rank: 1}}
	quiet.ID = dataverse.StepIDFor(quiet, 0)
	step := must(c.CreateStep(ctx, quiet)).get(t)
	if step.Enabled {
		t.Error("the step configured disabled is enabled")
	}
	if st := e.Stats(); st.Requests.ByMethod["PATCH"] != 0 || st.Requests.ByMethod["POST"] != 1 {
		t.Errorf("creating a disabled step took %v; want one POST and no PATCH, so it is never enabled", st.Requests.ByMethod)
	}
	if row, _ := e.Row("sdkmessageprocessingsteps", step.ID); row["statecode"] != int64(1) || row["statuscode"] != int64(2) {
		t.Errorf("stored state %v/%v, want 1/2", row["statecode"], row["statuscode"])
	}
	// Repeated, the changeset fails on the row it left: DuplicateRecord, in that one request.
	e.ResetStats()
	if _, err := c.CreateStep(ctx, quiet); !errors.Is(err, dataverse.ErrDuplicateRecord) {
		t.Errorf("a second create of the disabled step: err = %v, want DuplicateRecord", err)
	}
	if st := e.Stats(); st.Requests.Total != 1 {
		t.Errorf("the repeated create took %d requests (%v), want the $batch alone", st.Requests.Total, st.Requests.ByMethod)
	}
}

func TestAgainstEmulator_everyAnswerLostAfterCommit(t *testing.T) {
	t.Parallel()
	e, c := emulatorClient(t, func(o *emulator.Options) { o.DropAfterCommitRate = 1; o.Seed = 7 })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hook := must(c.CreateWebhook(ctx, dataverse.WebhookCreate{ID: dataverse.WebhookIDFor("lost", 0), Name: "lost",
		URL: "https://fn.example.net/l", AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})).get(t)
	f := must(c.ResolveMessageFilter(ctx, "Create", "account")).get(t)
	in := dataverse.StepCreate{WebhookID: hook.ID, MessageID: f.MessageID, MessageFilterID: f.FilterID, Enabled: true,
		StepSettings: dataverse.StepSettings{Name: "s", Mode: dataverse.StepModeAsynchronous, Stage: dataverse.StepStagePostOperation, Rank: 1}}
	in.ID = dataverse.StepIDFor(in, 0)
	step := must(c.CreateStep(ctx, in)).get(t)
	img := must(c.CreateStepImage(ctx, dataverse.StepImageCreate{ID: dataverse.StepImageIDFor(step.ID, "post", 0), StepID: step.ID,
		EntityAlias: "post", ImageType: dataverse.ImageTypePostImage, MessagePropertyName: "Id"})).get(t)
	if img.StepID == "" || hook.Name != "lost" || step.Name != "s" {
		t.Errorf("rows read back: %+v %+v %+v", hook, step, img)
	}
	for set, want := range map[string]int{"serviceendpoints": 1, "sdkmessageprocessingsteps": 1, "sdkmessageprocessingstepimages": 1} {
		if n := len(e.AddedRows(set)); n != want {
			t.Errorf("%s: %d rows, want %d", set, n, want)
		}
	}
}
