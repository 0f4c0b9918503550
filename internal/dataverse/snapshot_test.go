package dataverse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

func withPageSize(n int) option { return func(c *Config) { c.pageSize = n } }

// newFakeHarness gives a test a stateful fake Web API and a client pointed at it.
func newFakeHarness(t *testing.T, opts ...option) (*fakeAPI, *harness) {
	t.Helper()
	f := newFakeAPI(t)
	return f, newHarness(t, f.serve, opts...)
}

// addOrdersAndInvoices seeds the two webhooks several tests start from.
func (f *fakeAPI) addOrdersAndInvoices() {
	f.addWebhook(webhookID, "orders", 8)
	f.addWebhook(webhookID2, "invoices", 8)
}

// mustWebhookFromSnapshot reads webhookID through the snapshot, loading it, and fails t if
// that fails.
func mustWebhookFromSnapshot(t *testing.T, c *Client) {
	t.Helper()
	if _, err := c.WebhookFromSnapshot(context.Background(), webhookID); err != nil {
		t.Fatal(err)
	}
}

// mustStepFromSnapshot reads stepID through the snapshot, loading it, and fails t if that
// fails.
func mustStepFromSnapshot(t *testing.T, c *Client) *Step {
	t.Helper()
	s, err := c.StepFromSnapshot(context.Background(), stepID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWebhookFromSnapshotServesConcurrentReadsFromOnePagedQuery(t *testing.T) {
	t.Parallel()
	f, h := newFakeHarness(t, withPageSize(50))
	const n = 120
	for i := range n {
		f.addWebhook(fakeID(1, i), fmt.Sprintf("hook-%03d", i), 8)
	}
	// Hold the first page until every reader has started, so that they all meet the load in flight.
	f.gate, f.listStarted = make(chan struct{}), make(chan struct{}, 4)

	var started, done sync.WaitGroup
	errs := make([]error, n)
	names := make([]string, n)
	for i := range n {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			w, err := h.client.WebhookFromSnapshot(context.Background(), fakeID(1, i))
			errs[i] = err
			if err == nil {
				names[i] = w.Name
			}
		}()
	}
	started.Wait()
	<-f.listStarted
	close(f.gate)
	for range 2 { // the later pages
		<-f.listStarted
	}
	done.Wait()

	for i := range n {
		if errs[i] != nil || names[i] != fmt.Sprintf("hook-%03d", i) {
			t.Fatalf("WebhookFromSnapshot(%d) = %q, %v", i, names[i], errs[i])
		}
	}
	// 120 rows at 50 a page: three pages, and nothing else.
	if got := f.count("GET serviceendpoints"); got != 3 {
		t.Errorf("webhook list requests = %d, want 3 (one paged query shared by %d readers)", got, n)
	}
	if got := f.total(); got != 3 {
		t.Errorf("requests = %d, want 3", got)
	}
}

func TestWebhookFromSnapshotConfirmsAMissBeforeReportingIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		arrange func(f *fakeAPI, id string) // after the snapshot was read
		wantErr error
		want    string
	}{
		{
			name:    "gone",
			arrange: func(*fakeAPI, string) {},
			wantErr: ErrNotFound,
		},
		{
			name:    "created after the snapshot by someone else",
			arrange: func(f *fakeAPI, id string) { f.addWebhook(id, "late", 8) },
			want:    "late",
		},
		{
			name:    "a service endpoint that is not a webhook",
			arrange: func(f *fakeAPI, id string) { f.addWebhook(id, "queue", 2) },
			wantErr: ErrNotWebhook,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, h := newFakeHarness(t)
			f.addWebhook(webhookID, "known", 8)
			mustWebhookFromSnapshot(t, h.client)
			tc.arrange(f, webhookID2)

			got, err := h.client.WebhookFromSnapshot(context.Background(), webhookID2)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
			} else if err != nil || got.Name != tc.want {
				t.Fatalf("WebhookFromSnapshot = %+v, %v; want %q", got, err, tc.want)
			}
			f.wantCount(t, "GET serviceendpoints()", 1, "single-row reads: exactly one, to confirm the miss")
			f.wantCount(t, "GET serviceendpoints", 1, "webhook list requests")
		})
	}
}

// wantServedFromSnapshot fails t unless the snapshot answers id with the webhook named name
// without a request; after says which write came before.
func wantServedFromSnapshot(t *testing.T, f *fakeAPI, c *Client, id, name, after string) {
	t.Helper()
	before := f.total()
	if w, err := c.WebhookFromSnapshot(context.Background(), id); err != nil || w.Name != name {
		t.Fatalf("after %s: %+v, %v; want %s", after, w, err, name)
	}
	if n := f.total() - before; n != 0 {
		t.Errorf("read after %s made %d requests, want 0", after, n)
	}
}

func TestWebhookFromSnapshotIsCurrentAfterWritesThroughTheClient(t *testing.T) {
	t.Parallel()
	f, h := newFakeHarness(t)
	f.addOrdersAndInvoices()
	f.addStep(stepID, "on update", webhookID2, 8)
	mustWebhookFromSnapshot(t, h.client)
	mustStepFromSnapshot(t, h.client)
	ctx := context.Background()

	// An update's answer replaces the snapshot's row: no read needed.
	if _, err := h.client.UpdateWebhook(ctx, webhookID, WebhookUpdate{Name: new("orders-v2")}); err != nil {
		t.Fatal(err)
	}
	wantServedFromSnapshot(t, f, h.client, webhookID, "orders-v2", "update")

	// A create through the client joins the snapshot.
	created, err := h.client.CreateWebhook(ctx, WebhookCreate{Name: "fresh", URL: "https://hooks.example.com/in", AuthType: AuthTypeWebhookKey, AuthValue: "k3y-value"})
	if err != nil {
		t.Fatal(err)
	}
	wantServedFromSnapshot(t, f, h.client, created.ID, "fresh", "create")

	// A delete drops the webhook and, as Dataverse cascades, its steps: both are confirmed gone.
	if err := h.client.DeleteWebhook(ctx, webhookID2); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.WebhookFromSnapshot(ctx, webhookID2); !errors.Is(err, ErrNotFound) {
		t.Errorf("webhook after delete: err = %v, want ErrNotFound", err)
	}
	if _, err := h.client.StepFromSnapshot(ctx, stepID); !errors.Is(err, ErrNotFound) {
		t.Errorf("step of a deleted webhook: err = %v, want ErrNotFound", err)
	}
	f.wantCount(t, "GET serviceendpoints()", 1, "webhook single-row reads: the confirmation after delete")
	f.wantCount(t, "GET sdkmessageprocessingsteps()", 1, "step single-row reads: the confirmation after the cascade")
	f.wantCount(t, "GET serviceendpoints", 1, "webhook list requests: writes must not reload the snapshot")
}

// A row written while the snapshot is loading may be in the load's answer in its old form; it
// must be read again rather than served stale.
func TestSnapshotLeavesOutRowsWrittenWhileItLoads(t *testing.T) {
	t.Parallel()
	f, h := newFakeHarness(t)
	f.addOrdersAndInvoices()
	f.gate, f.listStarted = make(chan struct{}), make(chan struct{}, 1)
	ctx := context.Background()

	loaded := make(chan error, 1)
	go func() {
		_, err := h.client.WebhookFromSnapshot(ctx, webhookID)
		loaded <- err
	}()
	<-f.listStarted // the list has read the old rows
	if _, err := h.client.UpdateWebhook(ctx, webhookID2, WebhookUpdate{Name: new("invoices-v2")}); err != nil {
		t.Fatal(err)
	}
	close(f.gate)
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}

	w, err := h.client.WebhookFromSnapshot(ctx, webhookID2)
	if err != nil || w.Name != "invoices-v2" {
		t.Fatalf("WebhookFromSnapshot = %+v, %v; want the updated name", w, err)
	}
	f.wantCount(t, "GET serviceendpoints()", 1, "single-row reads: the row written during the load is read again")
	if w, _ := h.client.WebhookFromSnapshot(ctx, webhookID); w == nil || w.Name != "orders" {
		t.Errorf("untouched row = %+v, want it served from the snapshot", w)
	}
	f.wantCount(t, "GET serviceendpoints()", 1, "single-row reads: still the one")
}

func TestWebhookFromSnapshotShowsSnapshotNotLaterChangesByOthers(t *testing.T) {
	t.Parallel()
	// The snapshot is a point in time, as a plan is: a change made elsewhere after it was read is
	// seen by GetWebhook, the fresh path, and by the next client.
	f, h := newFakeHarness(t)
	f.addWebhook(webhookID, "orders", 8)
	mustWebhookFromSnapshot(t, h.client)
	ctx := context.Background()
	f.setWebhookName(webhookID, "renamed elsewhere")
	if w, _ := h.client.WebhookFromSnapshot(ctx, webhookID); w == nil || w.Name != "orders" {
		t.Errorf("WebhookFromSnapshot = %+v, want the snapshot's row", w)
	}
	if w, _ := h.client.GetWebhook(ctx, webhookID); w == nil || w.Name != "renamed elsewhere" {
		t.Errorf("GetWebhook = %+v, want the server's row", w)
	}
	// The fresh read also refreshes the snapshot.
	if w, _ := h.client.WebhookFromSnapshot(ctx, webhookID); w == nil || w.Name != "renamed elsewhere" {
		t.Errorf("WebhookFromSnapshot after GetWebhook = %+v, want the fresh row", w)
	}
}

func TestSnapshotThatCannotLoadFallsBackToRowReads(t *testing.T) {
	t.Parallel()
	f, h := newFakeHarness(t)
	f.listStatus = 403
	f.addOrdersAndInvoices()
	f.addStep(stepID, "on update", webhookID, 8)
	ctx := context.Background()
	for _, id := range []string{webhookID, webhookID2, webhookID} {
		if _, err := h.client.WebhookFromSnapshot(ctx, id); err != nil {
			t.Fatalf("WebhookFromSnapshot(%s): %v", id, err)
		}
	}
	if s, err := h.client.StepFromSnapshot(ctx, stepID); err != nil || s.Name != "on update" {
		t.Fatalf("StepFromSnapshot = %+v, %v", s, err)
	}
	f.wantCount(t, "GET serviceendpoints", 1, "webhook list requests: a failed load is not retried")
	f.wantCount(t, "GET serviceendpoints()", 3, "single-row webhook reads")
	f.wantCount(t, "GET sdkmessageprocessingsteps", 0, "step list requests: without a webhook snapshot")
}

func TestWebhookFromSnapshotStopsWaitingWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	f, h := newFakeHarness(t)
	f.addWebhook(webhookID, "orders", 8)
	f.gate, f.listStarted = make(chan struct{}), make(chan struct{}, 1)
	// The caller's cause (a provider's timeout names itself) reaches its error.
	why := errors.New("the read timeout of 1s ran out")
	ctx, cancel := context.WithCancelCause(context.Background())
	result := make(chan error, 1)
	go func() {
		_, err := h.client.WebhookFromSnapshot(ctx, webhookID)
		result <- err
	}()
	<-f.listStarted
	cancel(why)
	if err := <-result; !errors.Is(err, why) {
		t.Fatalf("err = %v, want the caller's cause", err)
	}
	// The shared load was not abandoned: the next reader gets its answer.
	close(f.gate)
	if w, err := h.client.WebhookFromSnapshot(context.Background(), webhookID); err != nil || w.Name != "orders" {
		t.Fatalf("WebhookFromSnapshot = %+v, %v", w, err)
	}
	if n := f.total(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestStepFromSnapshotLoadsTheStepsOfAllWebhooksInChunks(t *testing.T) {
	t.Parallel()
	f, h := newFakeHarness(t)
	const hooks = 90
	var stepIDs []string
	for i := range hooks {
		f.addWebhook(fakeID(1, i), fmt.Sprintf("hook-%03d", i), 8)
		for j := range 2 {
			id := fakeID(2, i*2+j)
			f.addStep(id, fmt.Sprintf("step-%03d-%d", i, j), fakeID(1, i), 8)
			stepIDs = append(stepIDs, id)
		}
	}
	pluginStep := fakeID(3, 1)
	f.addStep(pluginStep, "plug-in step", fakeID(4, 1), 0)
	ctx := context.Background()

	var wg sync.WaitGroup
	got := make([]*Step, len(stepIDs))
	errs := make([]error, len(stepIDs))
	for i, id := range stepIDs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = h.client.StepFromSnapshot(ctx, id)
		}()
	}
	wg.Wait()
	for i := range stepIDs {
		if errs[i] != nil {
			t.Fatalf("StepFromSnapshot(%s): %v", stepIDs[i], errs[i])
		}
		if want := fmt.Sprintf("step-%03d-%d", i/2, i%2); got[i].Name != want || !got[i].HandlerIsWebhook || got[i].Message != "Update" || got[i].Table != "account" {
			t.Fatalf("StepFromSnapshot(%s) = %+v, want %s on a webhook, Update of account", stepIDs[i], got[i], want)
		}
	}
	chunks := f.chunks()
	slices.Sort(chunks)
	if !slices.Equal(chunks, []int{10, 40, 40}) {
		t.Errorf("step queries named %v webhook ids, want chunks of at most 40 covering all 90", chunks)
	}
	if n := f.total(); n != 4 {
		t.Errorf("requests = %d, want 4 (one webhook list, three step queries)", n)
	}

	// A step of another kind of handler is not in the snapshot; it is read on its own, as it is.
	s, err := h.client.StepFromSnapshot(ctx, pluginStep)
	if err != nil || s.HandlerIsWebhook {
		t.Fatalf("StepFromSnapshot(plug-in step) = %+v, %v; want it read, not a webhook's", s, err)
	}
	f.wantCount(t, "GET sdkmessageprocessingsteps()", 1, "single-step reads")

	// The snapshot's step is the one GetStep reads.
	fresh, err := h.client.GetStep(ctx, stepIDs[7])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*fresh, *got[7]) {
		t.Errorf("snapshot step %+v differs from GetStep %+v", *got[7], *fresh)
	}
}

func TestStepFromSnapshotIsCurrentAfterWritesThroughTheClient(t *testing.T) {
	t.Parallel()
	f, h := newFakeHarness(t)
	f.addWebhook(webhookID, "orders", 8)
	f.addStep(stepID, "first", webhookID, 8)
	f.addStep(stepID2, "second", webhookID, 8)
	mustStepFromSnapshot(t, h.client)
	ctx := context.Background()

	tests := []struct {
		name      string
		write     func() error
		id        string
		wantName  string
		wantOff   bool
		wantGone  bool
		wantReads int // single-row reads the next StepFromSnapshot makes
	}{
		{
			name: "update",
			write: func() error {
				_, err := h.client.UpdateStep(ctx, stepID, stepChange(func(s *StepSettings) { s.Name = "first-v2" }))
				return err
			},
			id: stepID, wantName: "first-v2", wantReads: 0,
		},
		{
			name:  "disable",
			write: func() error { return h.client.SetStepEnabled(ctx, stepID2, false) },
			id:    stepID2, wantName: "second", wantOff: true, wantReads: 1,
		},
		{
			name:  "delete",
			write: func() error { return h.client.DeleteStep(ctx, stepID2) },
			id:    stepID2, wantGone: true, wantReads: 1,
		},
	}
	// The cases run in order: each builds on the last.
	for _, tc := range tests {
		if err := tc.write(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		before := f.count("GET sdkmessageprocessingsteps()")
		s, err := h.client.StepFromSnapshot(ctx, tc.id)
		switch {
		case tc.wantGone:
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: err = %v, want ErrNotFound", tc.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case s.Name != tc.wantName || s.Enabled == tc.wantOff:
			t.Errorf("%s: step = %+v, want name %q enabled %v", tc.name, s, tc.wantName, !tc.wantOff)
		}
		if reads := f.count("GET sdkmessageprocessingsteps()") - before; reads != tc.wantReads {
			t.Errorf("%s: single-row reads = %d, want %d", tc.name, reads, tc.wantReads)
		}
	}
	f.wantCount(t, "GET sdkmessageprocessingsteps", 1, "step list requests")
}

func TestStepFromSnapshotReturnsACopy(t *testing.T) {
	t.Parallel()
	f, h := newFakeHarness(t)
	f.addWebhook(webhookID, "orders", 8)
	f.addStep(stepID, "first", webhookID, 8)
	s := mustStepFromSnapshot(t, h.client)
	s.FilteringAttributes[0] = "changed by the caller"
	if again := mustStepFromSnapshot(t, h.client); again.FilteringAttributes[0] != "name" {
		t.Errorf("filtering attributes = %v: a caller's change reached the snapshot", again.FilteringAttributes)
	}
}

func TestReadRejectsIDsThatAreNotGUIDs(t *testing.T) {
	t.Parallel()
	f, h := newFakeHarness(t)
	if _, err := h.client.WebhookFromSnapshot(context.Background(), "orders"); err == nil || !strings.Contains(err.Error(), "not a GUID") {
		t.Errorf("WebhookFromSnapshot: err = %v", err)
	}
	if _, err := h.client.StepFromSnapshot(context.Background(), "x)/../y"); err == nil || !strings.Contains(err.Error(), "not a GUID") {
		t.Errorf("StepFromSnapshot: err = %v", err)
	}
	if f.total() != 0 {
		t.Errorf("requests = %d, want 0", f.total())
	}
}

func TestChunkIDsKeepsEveryIDOnceInOrder(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 39, 40, 41, 80, 81, 200} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fakeID(1, i)
		}
		chunks := chunkIDs(ids, stepHandlerChunk)
		var joined []string
		for _, c := range chunks {
			if len(c) == 0 || len(c) > stepHandlerChunk {
				t.Errorf("n=%d: chunk of %d ids", n, len(c))
			}
			joined = append(joined, c...)
			// The URL of a full chunk stays far below the few tens of KB Dataverse accepts.
			filter, aliases := anyOfIDs("_eventhandler_value", "h", c)
			if size := len(stepQuery().with("$filter", filter).encode()) + len(aliases.encode()); size > 8<<10 {
				t.Errorf("n=%d: query of %d bytes", n, size)
			}
		}
		if !slices.Equal(joined, ids) || len(chunks) != (n+stepHandlerChunk-1)/stepHandlerChunk {
			t.Errorf("n=%d: %d chunks lose or reorder ids", n, len(chunks))
		}
	}
}

// FuzzSnapshotReadsAfterWrites runs sequences of writes and reads through one client and checks
// that every WebhookFromSnapshot and StepFromSnapshot answers what the server holds.
func FuzzSnapshotReadsAfterWrites(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 0, 3, 0})
	f.Add([]byte{4, 5, 4, 2, 4, 3, 4})
	f.Add([]byte{8, 14, 20, 26, 1, 7, 13, 0, 6, 12, 18})
	f.Add([]byte{2, 3, 5, 4, 0, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		api, h := newFakeHarness(t)
		const hooks = 4
		hookID := func(i int) string { return fakeID(1, i) }
		stepOf := func(i int) string { return fakeID(2, i) }
		for i := range hooks {
			api.addWebhook(hookID(i), fmt.Sprintf("hook-%d", i), 8)
			api.addStep(stepOf(i), fmt.Sprintf("step-%d", i), hookID(i), 8)
		}
		ctx := context.Background()
		serverName := func(rows map[string]map[string]any, id string) (string, bool) {
			api.mu.Lock()
			defer api.mu.Unlock()
			row, ok := rows[strings.ToLower(id)]
			if !ok {
				return "", false
			}
			return fmt.Sprint(row["name"]), true
		}
		for n, b := range ops {
			i := int(b/6) % hooks
			name := fmt.Sprintf("v%d", n)
			switch b % 6 {
			case 0:
				want, exists := serverName(api.webhooks, hookID(i))
				w, err := h.client.WebhookFromSnapshot(ctx, hookID(i))
				if exists && (err != nil || w.Name != want) || !exists && !errors.Is(err, ErrNotFound) {
					t.Fatalf("op %d: WebhookFromSnapshot = %+v, %v; server has %q (exists %v)", n, w, err, want, exists)
				}
			case 1:
				_, err := h.client.UpdateWebhook(ctx, hookID(i), WebhookUpdate{Name: &name})
				if _, exists := serverName(api.webhooks, hookID(i)); exists != (err == nil) {
					t.Fatalf("op %d: UpdateWebhook: %v", n, err)
				}
			case 2:
				_ = h.client.DeleteWebhook(ctx, hookID(i))
			case 3:
				if _, exists := serverName(api.webhooks, hookID(i)); !exists {
					if _, err := h.client.CreateWebhook(ctx, WebhookCreate{ID: hookID(i), Name: name, URL: "https://hooks.example.com/in", AuthType: AuthTypeWebhookKey, AuthValue: "k3y-value"}); err != nil {
						t.Fatalf("op %d: CreateWebhook: %v", n, err)
					}
				}
			case 4:
				want, exists := serverName(api.steps, stepOf(i))
				s, err := h.client.StepFromSnapshot(ctx, stepOf(i))
				if exists && (err != nil || s.Name != want) || !exists && !errors.Is(err, ErrNotFound) {
					t.Fatalf("op %d: StepFromSnapshot = %+v, %v; server has %q (exists %v)", n, s, err, want, exists)
				}
			case 5:
				_, err := h.client.UpdateStep(ctx, stepOf(i), stepChange(func(s *StepSettings) { s.Name = name }))
				if _, exists := serverName(api.steps, stepOf(i)); exists != (err == nil) {
					t.Fatalf("op %d: UpdateStep: %v", n, err)
				}
			}
		}
	})
}

// Terraform cancels operations in flight when interrupted. A create whose request reached
// Dataverse must still come back as created, or the row would be orphaned and created again.
func TestCreateCutShortByCancelReportsARowThatLanded(t *testing.T) {
	t.Parallel()
	creates := []struct {
		name   string
		row    func(id string) map[string]any
		create func(ctx context.Context, c *Client, id string) (string, error)
	}{
		{
			name: "webhook",
			row:  func(id string) map[string]any { return webhookRow(id, "orders") },
			create: func(ctx context.Context, c *Client, id string) (string, error) {
				w, err := c.CreateWebhook(ctx, WebhookCreate{ID: id, Name: "orders", URL: "https://hooks.example.com/in", AuthType: AuthTypeWebhookKey, AuthValue: "k3y-value"})
				if w == nil {
					return "", err
				}
				return w.ID, err
			},
		},
		{
			name: "step",
			row:  func(id string) map[string]any { return stepRowJSON(id, "on update", true) },
			create: func(ctx context.Context, c *Client, id string) (string, error) {
				s, err := c.CreateStep(ctx, StepCreate{
					ID:              id,
					StepSettings:    StepSettings{Name: "on update", Mode: StepModeAsynchronous, Stage: StepStagePostOperation},
					WebhookID:       webhookID,
					MessageID:       messageID,
					MessageFilterID: filterID,
					Enabled:         true,
				})
				if s == nil {
					return "", err
				}
				return s.ID, err
			},
		},
	}
	for _, tc := range creates {
		for _, committed := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s committed=%v", tc.name, committed), func(t *testing.T) {
				t.Parallel()
				const id = "6a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				received := make(chan struct{})
				var mu sync.Mutex
				stored := false
				h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
					switch r.Method {
					case http.MethodPost:
						mu.Lock()
						stored = committed
						mu.Unlock()
						close(received)
						<-r.Context().Done() // the client gave up before the answer
					case http.MethodGet:
						mu.Lock()
						ok := stored
						mu.Unlock()
						if !ok {
							writeError(w, http.StatusNotFound, codeObjectNotFound, "Does Not Exist")
							return
						}
						writeJSON(w, http.StatusOK, tc.row(id))
					}
				})
				go func() {
					<-received
					cancel()
				}()
				got, err := tc.create(ctx, h.client, id)
				if committed {
					if err != nil || got != id {
						t.Fatalf("create = %q, %v; want the row that landed, without error", got, err)
					}
				} else if !errors.Is(err, context.Canceled) || got != "" {
					t.Fatalf("create = %q, %v; want context.Canceled", got, err)
				}
				var methods []string
				for _, r := range h.requests() {
					methods = append(methods, r.Method)
				}
				if !slices.Equal(methods, []string{http.MethodPost, http.MethodGet}) {
					t.Errorf("requests = %v, want the create and one read of its id", methods)
				}
			})
		}
	}
}
