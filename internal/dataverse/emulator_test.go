package dataverse_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/dvuser"
)

// These tests run the client against the emulator over real HTTPS with a real token, in
// addition to the request-by-request tests against httptest doubles.

func emulatorClient(t *testing.T, opts ...func(*emulator.Options)) (*emulator.Emulator, *dataverse.Client) {
	t.Helper()
	var o emulator.Options
	for _, f := range opts {
		f(&o)
	}
	e, err := emulator.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return emulatorClientOf(t, e)
}

// emulatorClientOf is another client of the emulator e, with caches and snapshots of its own.
func emulatorClientOf(t *testing.T, e *emulator.Emulator) (*emulator.Emulator, *dataverse.Client) {
	t.Helper()
	tokens, _, err := auth.NewTokenSource(auth.Config{
		EnvironmentURL: e.URL(),
		TenantID:       e.TenantID(),
		ClientID:       e.ClientID(),
		ClientSecret:   e.ClientSecret(),
		AuthorityHost:  e.AuthorityHost(),
		HTTPClient:     e.HTTPClient(),
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := dataverse.New(dataverse.Config{EnvironmentURL: e.URL(), TokenSource: tokens, HTTPClient: e.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	return e, c
}

// must pairs a value with its error, so a test can write must(f()).get(t).
func must[T any](v T, err error) result[T] { return result[T]{v, err} }

type result[T any] struct {
	v   T
	err error
}

func (r result[T]) get(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

func TestAgainstEmulator_everyOperation(t *testing.T) {
	t.Parallel()
	e, c := emulatorClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// webhooks
	secret := must(dataverse.EncodeAuthValue(dataverse.AuthTypeHTTPHeader, "", map[string]string{"x-api-key": "k1"})).get(t)
	hook := must(c.CreateWebhook(ctx, dataverse.WebhookCreate{
		Name: "client-check", URL: "https://fn.example.net/hook", Description: "d",
		AuthType: dataverse.AuthTypeHTTPHeader, AuthValue: secret, SolutionUniqueName: emulator.SampleSolution,
	})).get(t)
	if !hook.IsAuthValueSet || hook.AuthType != dataverse.AuthTypeHTTPHeader || hook.Description != "d" {
		t.Errorf("created webhook = %+v", hook)
	}
	if got, _ := e.AuthValue(hook.ID); got != secret {
		t.Errorf("the emulator stored another auth value")
	}
	got := must(c.GetWebhook(ctx, hook.ID)).get(t)
	if got.Name != "client-check" || got.CreatedOn.IsZero() {
		t.Errorf("read webhook = %+v", got)
	}
	if list := must(c.ListWebhooks(ctx, dataverse.WebhookFilter{Name: "client-check"})).get(t); len(list) != 1 {
		t.Errorf("by name: %d webhooks", len(list))
	}
	if list := must(c.ListWebhooks(ctx, dataverse.WebhookFilter{NamePrefix: "client-"})).get(t); len(list) != 1 {
		t.Errorf("by prefix: %d webhooks", len(list))
	}
	newURL := "https://fn.example.net/moved"
	if up := must(c.UpdateWebhook(ctx, hook.ID, dataverse.WebhookUpdate{URL: &newURL})).get(t); up.URL != newURL {
		t.Errorf("updated url = %q", up.URL)
	}
	if r := must(c.WebhookFromSnapshot(ctx, hook.ID)).get(t); r.URL != newURL {
		t.Errorf("snapshot read after the update = %q", r.URL)
	}

	// message catalog
	f := must(c.ResolveMessageFilter(ctx, "Update", "account")).get(t)
	if !f.CustomStepsAllowed || f.MessageID != emulator.SDKMessageID("Update") || f.FilterID != emulator.SDKMessageFilterID("Update", "account") {
		t.Errorf("filter = %+v", f)
	}
	if names := must(c.ListMessageNames(ctx)).get(t); !slices.Contains(names, "Update") {
		t.Errorf("message names lack Update: %v", names)
	}
	if tables := must(c.ListMessageTables(ctx, "Update")).get(t); !slices.Contains(tables, "account") {
		t.Errorf("Update tables lack account: %v", tables)
	}
	if _, err := c.ResolveMessageFilter(ctx, "Update", "no_such_table"); !errors.Is(err, dataverse.ErrNotFound) {
		t.Errorf("unknown table: err = %v, want ErrNotFound", err)
	}

	// steps
	step := must(c.CreateStep(ctx, dataverse.StepCreate{
		StepSettings:    dataverse.StepSettings{Name: "client-check: Update of account", Mode: dataverse.StepModeAsynchronous, Stage: dataverse.StepStagePostOperation, Rank: 1, FilteringAttributes: []string{"name", "telephone1"}},
		WebhookID:       hook.ID,
		MessageID:       f.MessageID,
		MessageFilterID: f.FilterID,
		Enabled:         true,
	})).get(t)
	if !step.HandlerIsWebhook || step.Message != "Update" || step.Table != "account" || !step.Enabled {
		t.Errorf("created step = %+v", step)
	}
	attrs := []string{"name"}
	to := step.StepSettings
	to.Rank, to.FilteringAttributes = 7, attrs
	if up := must(c.UpdateStep(ctx, step.ID, dataverse.StepUpdate{From: step.StepSettings, To: to})).get(t); up.Rank != 7 || !slices.Equal(up.FilteringAttributes, attrs) {
		t.Errorf("updated step = %+v", up)
	}
	if err := c.SetStepEnabled(ctx, step.ID, false); err != nil {
		t.Fatal(err)
	}
	if s := must(c.GetStep(ctx, step.ID)).get(t); s.Enabled {
		t.Errorf("step still enabled after SetStepEnabled(false)")
	}
	if err := c.SetStepEnabled(ctx, step.ID, true); err != nil {
		t.Fatal(err)
	}
	if steps := must(c.ListWebhookSteps(ctx, hook.ID)).get(t); len(steps) != 1 || steps[0].ID != step.ID {
		t.Errorf("webhook steps = %+v", steps)
	}
	if steps := must(c.ListStepsOfWebhooks(ctx, []string{hook.ID})).get(t); len(steps) != 1 {
		t.Errorf("steps of webhooks = %d", len(steps))
	}
	if s := must(c.StepFromSnapshot(ctx, step.ID)).get(t); s.Rank != 7 || !s.Enabled {
		t.Errorf("snapshot read of the step = %+v", s)
	}

	// images
	img := must(c.CreateStepImage(ctx, dataverse.StepImageCreate{
		StepID: step.ID, Name: "before", EntityAlias: "before", ImageType: dataverse.ImageTypePreImage,
		Attributes: []string{"name"}, MessagePropertyName: "Target",
	})).get(t)
	more := []string{"name", "telephone1"}
	if up := must(c.UpdateStepImage(ctx, img.ID, dataverse.StepImageUpdate{Attributes: &more})).get(t); len(up.Attributes) != 2 {
		t.Errorf("updated image = %+v", up)
	}
	if imgs := must(c.ListStepImages(ctx, step.ID)).get(t); len(imgs) != 1 || imgs[0].StepID != step.ID {
		t.Errorf("images = %+v", imgs)
	}
	e.ResetStats()
	byStep := must(c.ListImagesOfSteps(ctx, []string{step.ID, "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10"})).get(t)
	if imgs := byStep[strings.ToLower(step.ID)]; len(imgs) != 1 || imgs[0].ID != img.ID || len(byStep) != 1 {
		t.Errorf("images of steps = %+v", byStep)
	}
	if n := e.Stats().Requests.Total; n != 1 {
		t.Errorf("the images of two steps took %d requests, want 1", n)
	}

	// failed jobs, from a real delivery to a receiver that fails
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer rcv.Close()
	must(c.UpdateWebhook(ctx, hook.ID, dataverse.WebhookUpdate{URL: &rcv.URL})).get(t)
	user := must(dvuser.New(ctx, e)).get(t)
	account := must(user.Create(ctx, "accounts", map[string]any{"name": "Contoso"})).get(t)
	if err := user.Update(ctx, "accounts", account, map[string]any{"name": "Contoso Ltd"}); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	jobs := must(c.ListFailedJobs(ctx, dataverse.FailedJobsQuery{StepIDs: []string{step.ID}, Top: 5})).get(t)
	if len(jobs) != 1 || jobs[0].StepID != step.ID || jobs[0].ErrorCode == 0 || jobs[0].CompletedOn.IsZero() {
		t.Errorf("failed jobs = %+v", jobs)
	}
	if later := must(c.ListFailedJobs(ctx, dataverse.FailedJobsQuery{StepIDs: []string{step.ID}, Since: time.Now().Add(time.Hour)})).get(t); len(later) != 0 {
		t.Errorf("jobs since an hour from now = %d", len(later))
	}

	// deletes cascade; a second delete and a PATCH of a missing row are 404s
	if err := c.DeleteWebhook(ctx, hook.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetStep(ctx, step.ID); !errors.Is(err, dataverse.ErrNotFound) {
		t.Errorf("step after its webhook's delete: err = %v", err)
	}
	if _, err := c.GetStepImage(ctx, img.ID); !errors.Is(err, dataverse.ErrNotFound) {
		t.Errorf("image after the cascade: err = %v", err)
	}
	if err := c.DeleteWebhook(ctx, hook.ID); !errors.Is(err, dataverse.ErrNotFound) {
		t.Errorf("second delete: err = %v", err)
	}
	if _, err := c.UpdateWebhook(ctx, hook.ID, dataverse.WebhookUpdate{URL: &newURL}); !errors.Is(err, dataverse.ErrNotFound) {
		t.Errorf("update of a deleted webhook: err = %v, want ErrNotFound (If-Match: * must prevent an upsert)", err)
	}
	if rows := e.Rows("serviceendpoints"); len(rows) != 0 {
		t.Errorf("the update re-created the webhook: %d rows", len(rows))
	}
}

// Every write commits and then loses its answer: retried creates meet DuplicateRecord and
// return the row, so nothing is created twice.
func TestAgainstEmulator_lostAnswersMakeNoDuplicates(t *testing.T) {
	t.Parallel()
	e, c := emulatorClient(t, func(o *emulator.Options) { o.DropAfterCommitRate = 1; o.Seed = 7 })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hook := must(c.CreateWebhook(ctx, dataverse.WebhookCreate{Name: "lost-answer", URL: "https://fn.example.net/x", AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})).get(t)
	if hook.Name != "lost-answer" {
		t.Errorf("webhook = %+v", hook)
	}
	if n := len(e.Rows("serviceendpoints")); n != 1 {
		t.Errorf("%d webhooks after a create whose answers were all lost, want 1", n)
	}
}

// Many concurrent requests against a low concurrency limit: the client waits out each 429.
func TestAgainstEmulator_throttlingIsWaitedOut(t *testing.T) {
	t.Parallel()
	e, c := emulatorClient(t, func(o *emulator.Options) { o.MaxConcurrent = 2; o.Latency = 20 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.ListWebhooks(ctx, dataverse.WebhookFilter{}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a throttled request failed: %v", err)
	}
	if st := e.Stats(); st.Throttled == 0 {
		t.Errorf("the emulator throttled nothing; the test proves nothing")
	}
}

// The message catalog as Dataverse answers it: an unknown table is a 400 the client reports as
// a missing table, a table-less message resolves to its "none" filter, and an image of each
// message is registered on the property the emulator (after live captures) accepts.
func TestAgainstEmulator_catalogAndImageProperties(t *testing.T) {
	t.Parallel()
	_, c := emulatorClient(t)
	ctx := context.Background()
	if _, err := c.ResolveMessageFilter(ctx, "Update", "acount"); !errors.Is(err, dataverse.ErrUnknownTable) {
		t.Fatalf("unknown table: %v, want ErrUnknownTable", err)
	}
	f := must(c.ResolveMessageFilter(ctx, "Associate", "")).get(t)
	if f.FilterID != emulator.SDKMessageFilterID("Associate", "none") || f.Table != "" {
		t.Errorf("Associate resolved to %+v", f)
	}
	hook := must(c.CreateWebhook(ctx, dataverse.WebhookCreate{Name: "props", URL: "https://fn.example.net/p", AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"})).get(t)
	for _, tc := range []struct {
		message string
		image   dataverse.ImageType
	}{
		{"Create", dataverse.ImageTypePostImage},
		{"Update", dataverse.ImageTypeBoth},
		{"Delete", dataverse.ImageTypePreImage},
		{"Assign", dataverse.ImageTypeBoth},
		{"SetState", dataverse.ImageTypePreImage},
		{"Merge", dataverse.ImageTypePreImage},
	} {
		filter := must(c.ResolveMessageFilter(ctx, tc.message, "account")).get(t)
		step := must(c.CreateStep(ctx, dataverse.StepCreate{
			StepSettings:    dataverse.StepSettings{Name: tc.message, Mode: dataverse.StepModeSynchronous, Stage: dataverse.StepStagePostOperation, Rank: 1},
			WebhookID:       hook.ID,
			MessageID:       filter.MessageID,
			MessageFilterID: filter.FilterID,
			Enabled:         true,
		})).get(t)
		if err := dataverse.CheckImage(tc.message, step.Stage, tc.image); err != nil {
			t.Fatalf("%s: %v", tc.message, err)
		}
		prop, _ := dataverse.ImageMessageProperty(tc.message, "")
		if _, err := c.CreateStepImage(ctx, dataverse.StepImageCreate{StepID: step.ID, EntityAlias: "img", ImageType: tc.image, MessagePropertyName: prop}); err != nil {
			t.Errorf("%s image on %s: %v", tc.message, prop, err)
		}
	}
}
