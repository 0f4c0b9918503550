package dataverse_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// A refresh reads images one by one until those reads have cost what the image snapshot costs
// (one query per 40 steps of the step snapshot), then loads the snapshot and reads the rest,
// and the images of steps, from it. Writes and deletes through the client keep it current.
func TestAgainstEmulator_imageSnapshotLoadsOnceItPays(t *testing.T) {
	t.Parallel()
	e, writer := emulatorClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	secret := must(dataverse.EncodeAuthValue(dataverse.AuthTypeWebhookKey, "k", nil)).get(t)
	hook := must(writer.CreateWebhook(ctx, dataverse.WebhookCreate{Name: "image-snapshot", URL: "https://fn.example.net/hook",
		AuthType: dataverse.AuthTypeWebhookKey, AuthValue: secret})).get(t)
	f := must(writer.ResolveMessageFilter(ctx, "Update", "account")).get(t)
	const steps = 45 // two step chunks: the image snapshot costs 2 queries
	var stepIDs, imageIDs []string
	for i := range steps {
		step := must(writer.CreateStep(ctx, dataverse.StepCreate{
			StepSettings: dataverse.StepSettings{Name: fmt.Sprintf("image-snapshot %02d", i), Mode: dataverse.StepModeAsynchronous,
				Stage: dataverse.StepStagePostOperation, Rank: 1, FilteringAttributes: []string{"name", fmt.Sprintf("telephone%d", i%3+1)}},
			WebhookID: hook.ID, MessageID: f.MessageID, MessageFilterID: f.FilterID, Enabled: true,
		})).get(t)
		stepIDs = append(stepIDs, step.ID)
		if i < 5 {
			img := must(writer.CreateStepImage(ctx, dataverse.StepImageCreate{StepID: step.ID, EntityAlias: "before",
				ImageType: dataverse.ImageTypePreImage, Attributes: []string{"name"}, MessagePropertyName: "Target"})).get(t)
			imageIDs = append(imageIDs, img.ID)
		}
	}

	_, c := emulatorClientOf(t, e)
	must(c.StepFromSnapshot(ctx, stepIDs[0])).get(t)
	e.ResetStats()
	for i, id := range imageIDs {
		img := must(c.ImageFromSnapshot(ctx, id)).get(t)
		if img.ID != id || img.StepID != stepIDs[i] || img.EntityAlias != "before" {
			t.Errorf("image %d = %+v", i, img)
		}
	}
	// Two single reads, then the snapshot's two queries; nothing after.
	if got := e.Stats().Requests; got.Total != 4 || got.ByEntitySet["sdkmessageprocessingstepimages"] != 4 {
		t.Errorf("five image reads took %d requests (%v), want 4", got.Total, got.ByEntitySet)
	}
	e.ResetStats()
	if imgs := must(c.ImagesOfStepFromSnapshot(ctx, stepIDs[1])).get(t); len(imgs) != 1 || imgs[0].ID != imageIDs[1] {
		t.Errorf("images of step 1 = %+v", imgs)
	}
	if imgs := must(c.ImagesOfStepFromSnapshot(ctx, stepIDs[40])).get(t); len(imgs) != 0 {
		t.Errorf("images of step 40 = %+v, want none", imgs)
	}
	if n := e.Stats().Requests.Total; n != 0 {
		t.Errorf("the images of two steps took %d requests after the snapshot, want 0", n)
	}

	// An image dropped for doubt sends its step's listing to the server: the step left the step
	// snapshot (its enabling answers no row), and deleting another webhook drops the images of
	// steps the step snapshot does not place.
	other := must(writer.CreateWebhook(ctx, dataverse.WebhookCreate{Name: "image-snapshot other", URL: "https://fn.example.net/other",
		AuthType: dataverse.AuthTypeWebhookKey, AuthValue: secret})).get(t)
	if err := c.SetStepEnabled(ctx, stepIDs[1], false); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteWebhook(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if imgs := must(c.ImagesOfStepFromSnapshot(ctx, stepIDs[1])).get(t); len(imgs) != 1 || imgs[0].ID != imageIDs[1] {
		t.Errorf("images of step 1 after its image was dropped for doubt = %+v, want its image", imgs)
	}
	// A step that gains an image through the client lists it.
	added := must(c.CreateStepImage(ctx, dataverse.StepImageCreate{StepID: stepIDs[41], EntityAlias: "added",
		ImageType: dataverse.ImageTypePreImage, MessagePropertyName: "Target"})).get(t)
	if imgs := must(c.ImagesOfStepFromSnapshot(ctx, stepIDs[41])).get(t); len(imgs) != 1 || imgs[0].ID != added.ID {
		t.Errorf("images of step 41 after the client added one = %+v", imgs)
	}

	// Writes through the client are seen; a deleted step's image is gone with it.
	more := []string{"name", "telephone1"}
	must(c.UpdateStepImage(ctx, imageIDs[2], dataverse.StepImageUpdate{Attributes: &more})).get(t)
	if img := must(c.ImageFromSnapshot(ctx, imageIDs[2])).get(t); len(img.Attributes) != 2 {
		t.Errorf("image after its update = %+v", img)
	}
	if err := c.DeleteStep(ctx, stepIDs[3]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImageFromSnapshot(ctx, imageIDs[3]); !errors.Is(err, dataverse.ErrNotFound) {
		t.Errorf("the image of a deleted step: %v, want ErrNotFound", err)
	}
	// A step the snapshot was not loaded with is listed from the server.
	late := must(c.CreateStep(ctx, dataverse.StepCreate{
		StepSettings: dataverse.StepSettings{Name: "image-snapshot late", Mode: dataverse.StepModeAsynchronous,
			Stage: dataverse.StepStagePostOperation, Rank: 1, FilteringAttributes: []string{"fax"}},
		WebhookID: hook.ID, MessageID: f.MessageID, MessageFilterID: f.FilterID, Enabled: true,
	})).get(t)
	must(writer.CreateStepImage(ctx, dataverse.StepImageCreate{StepID: late.ID, EntityAlias: "after",
		ImageType: dataverse.ImageTypePostImage, MessagePropertyName: "Target"})).get(t)
	if imgs := must(c.ImagesOfStepFromSnapshot(ctx, late.ID)).get(t); len(imgs) != 1 || imgs[0].EntityAlias != "after" {
		t.Errorf("images of a step created after the snapshot = %+v, want the one another client made", imgs)
	}
}
