package dataverse_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
)

func TestListEstate(t *testing.T) {
	t.Parallel()
	e, c := emulatorClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hook := func(name string) string {
		return must(c.CreateWebhook(ctx, dataverse.WebhookCreate{Name: name, URL: "https://fn.example.net/" + name,
			AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})).get(t).ID
	}
	step := func(webhookID, name, message string) string {
		return must(c.CreateStep(ctx, dataverse.StepCreate{
			StepSettings:    dataverse.StepSettings{Name: name, Mode: dataverse.StepModeAsynchronous, Stage: dataverse.StepStagePostOperation, Rank: 1},
			WebhookID:       webhookID,
			MessageID:       emulator.SDKMessageID(message),
			MessageFilterID: emulator.SDKMessageFilterID(message, "account"),
			Enabled:         true,
		})).get(t).ID
	}
	image := func(stepID, alias string) string {
		return must(c.CreateStepImage(ctx, dataverse.StepImageCreate{StepID: stepID, EntityAlias: alias,
			ImageType: dataverse.ImageTypePreImage, MessagePropertyName: "Target"})).get(t).ID
	}
	orders, audit := hook("crm-orders"), hook("audit")
	s1, s2, s3 := step(orders, "b-update", "Update"), step(orders, "a-delete", "Delete"), step(audit, "c-update", "Update")
	i1, i2, i3 := image(s1, "z"), image(s1, "a"), image(s3, "m")

	stepIDs := func(est *dataverse.Estate) []string {
		var out []string
		for _, s := range est.Steps {
			out = append(out, s.ID)
		}
		return out
	}
	imageIDs := func(est *dataverse.Estate) []string {
		var out []string
		for _, i := range est.Images {
			out = append(out, i.ID)
		}
		return out
	}

	e.ResetStats()
	all := must(c.ListEstate(ctx, dataverse.EstateFilter{Images: true})).get(t)
	if len(all.Webhooks) != 2 || all.Webhooks[0].ID != audit {
		t.Errorf("webhooks = %+v, want audit then crm-orders", all.Webhooks)
	}
	// Steps by name; images by their step's place, then name.
	if got := stepIDs(all); !slices.Equal(got, []string{s2, s1, s3}) {
		t.Errorf("steps = %v, want a-delete, b-update, c-update", got)
	}
	if got := imageIDs(all); !slices.Equal(got, []string{i2, i1, i3}) {
		t.Errorf("images = %v, want a and z of b-update, then m", got)
	}
	if n := e.Stats().Requests.Total; n != 3 {
		t.Errorf("the whole estate took %d requests, want 3 (webhooks, steps, images)", n)
	}

	if hooks := must(c.ListEstate(ctx, dataverse.EstateFilter{})).get(t); len(hooks.Steps) != 0 || len(hooks.Webhooks) != 2 {
		t.Errorf("webhooks only: %d webhooks and %d steps", len(hooks.Webhooks), len(hooks.Steps))
	}
	prefixed := must(c.ListEstate(ctx, dataverse.EstateFilter{WebhookNamePrefix: "CRM-", Steps: true})).get(t)
	if len(prefixed.Webhooks) != 1 || !slices.Equal(stepIDs(prefixed), []string{s2, s1}) || prefixed.Images != nil {
		t.Errorf("crm- estate = %+v", prefixed)
	}
	one := must(c.ListEstate(ctx, dataverse.EstateFilter{WebhookID: audit, Images: true})).get(t)
	if !slices.Equal(imageIDs(one), []string{i3}) {
		t.Errorf("images of audit = %v", imageIDs(one))
	}
	ofStep := must(c.ListEstate(ctx, dataverse.EstateFilter{StepID: s1, Images: true})).get(t)
	if w, ok := ofStep.WebhookByID(orders); !ok || w.Name != "crm-orders" || !slices.Equal(imageIDs(ofStep), []string{i2, i1}) {
		t.Errorf("estate of a step = %+v", ofStep)
	}
	if _, ok := ofStep.StepByID(s3); ok {
		t.Error("the estate of one step holds another")
	}
	if _, err := c.ListEstate(ctx, dataverse.EstateFilter{StepID: s1, WebhookID: orders}); err == nil {
		t.Error("two filters at once were accepted")
	}
}

func TestDeleteCompletedJobsRefusesUnboundedOrEmptyCleanUps(t *testing.T) {
	t.Parallel()
	e, c := emulatorClient(t)
	ctx := context.Background()
	step := "00000000-0000-0000-0000-000000000001"
	e.ResetStats()
	for name, q := range map[string]dataverse.JobCleanup{
		"no status":     {StepIDs: []string{step}, Max: 10, CompletedBefore: time.Now()},
		"no bound":      {StepIDs: []string{step}, Failed: true, Max: 0, CompletedBefore: time.Now()},
		"too many":      {StepIDs: []string{step}, Failed: true, Max: 5001, CompletedBefore: time.Now()},
		"no time":       {StepIDs: []string{step}, Failed: true, Max: 10},
		"not a step id": {StepIDs: []string{"x"}, Failed: true, Max: 10, CompletedBefore: time.Now()},
	} {
		if _, err := c.DeleteCompletedJobs(ctx, q, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if res, err := c.DeleteCompletedJobs(ctx, dataverse.JobCleanup{Failed: true, Max: 10, CompletedBefore: time.Now()}, nil); err != nil || res.Deleted != 0 {
		t.Errorf("no steps: %+v, %v", res, err)
	}
	if n := e.Stats().Requests.Total; n != 0 {
		t.Errorf("refused clean-ups made %d requests", n)
	}
}
