package dataverse

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"
)

// Where a read of webhooks, steps or step images answers from is in its name:
//   - Get… and List… ask the server on every call.
//   - …FromSnapshot answer from a snapshot of every webhook (and every step of those webhooks),
//     read in a few paged queries by the first such call; a row it lacks is read with Get….
//   - Known… answer from memory only and never send a request (webhook_facts.go).
//
// A refresh of W webhooks and S steps would cost W+S single-row reads; from the snapshot it
// costs a few paged queries. The snapshot is only ever a shortcut: a row it lacks is read on its
// own before anything is reported missing, and every write through the client updates or drops
// the rows it touches.

// stepHandlerChunk is how many webhook ids one step query names. Each id costs about 80
// characters of URL (a filter term and its parameter alias); 40 keep the URL near 4 KB, far
// below the limits of Dataverse's front end.
const stepHandlerChunk = 40

// stepChunkConcurrency bounds the step queries of one snapshot that run at once.
const stepChunkConcurrency = 4

type snapshotState int

const (
	snapshotEmpty       snapshotState = iota // never loaded
	snapshotLoading                          // a load is in flight
	snapshotReady                            // rows hold every row of the kind
	snapshotUnavailable                      // the load failed; every read goes to the server
)

// snapshot holds every row of one kind, keyed by lower-case id.
type snapshot[T any] struct {
	group singleflight.Group

	mu    sync.Mutex
	state snapshotState
	rows  map[string]T
	// dropOnLoad lists the rows changed while a load was in flight: the load may have read them
	// before or after the change, so they are left out of its result.
	dropOnLoad []func(id string, row T) bool
	loadErr    error // why the load failed, for callers that need every row
}

// failure returns why the snapshot could not be loaded; nil when it was or was never tried.
func (s *snapshot[T]) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadErr
}

// ensure loads the snapshot once; concurrent callers share the load. It reports whether the
// snapshot can answer reads. A failed load is not an error for the caller: reads then go to the
// server row by row. Only the caller's own context ending is returned as an error.
func (s *snapshot[T]) ensure(ctx context.Context, load func(context.Context) (map[string]T, error)) (bool, error) {
	s.mu.Lock()
	state := s.state
	s.mu.Unlock()
	switch state {
	case snapshotReady:
		return true, nil
	case snapshotUnavailable:
		return false, nil
	}
	// The shared load must not fail because the caller that started it gave up.
	shared := context.WithoutCancel(ctx)
	ch := s.group.DoChan("load", func() (any, error) {
		s.mu.Lock()
		if s.state == snapshotReady || s.state == snapshotUnavailable {
			s.mu.Unlock()
			return nil, nil
		}
		s.state = snapshotLoading
		s.dropOnLoad = nil
		s.mu.Unlock()

		rows, err := load(shared)

		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			s.state = snapshotUnavailable
			s.loadErr = err
			s.dropOnLoad = nil
			return nil, nil
		}
		for id, row := range rows {
			for _, changed := range s.dropOnLoad {
				if changed(id, row) {
					delete(rows, id)
					break
				}
			}
		}
		s.rows = rows
		s.dropOnLoad = nil
		s.state = snapshotReady
		return nil, nil
	})
	select {
	case <-ch:
	case <-ctx.Done():
		return false, context.Cause(ctx) // names the caller's timeout, when it gave one
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == snapshotReady, nil
}

// isReady reports whether the snapshot has been loaded and answers reads.
func (s *snapshot[T]) isReady() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == snapshotReady
}

// lookup returns the row with id when the snapshot is ready and holds it.
func (s *snapshot[T]) lookup(id string) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero T
	if s.state != snapshotReady {
		return zero, false
	}
	row, ok := s.rows[strings.ToLower(id)]
	if !ok {
		return zero, false
	}
	return row, true
}

// ids returns the ids the snapshot holds.
func (s *snapshot[T]) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.rows))
	for id := range s.rows {
		out = append(out, id)
	}
	return out
}

// put records a row just written or read fresh.
func (s *snapshot[T]) put(id string, row T) {
	key := strings.ToLower(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case snapshotReady:
		s.rows[key] = row
	case snapshotLoading:
		s.dropOnLoad = append(s.dropOnLoad, func(k string, _ T) bool { return k == key })
	}
}

// forget drops the row with id: it was deleted, or a write to it failed and its state is unknown.
func (s *snapshot[T]) forget(id string) {
	key := strings.ToLower(id)
	s.forgetWhere(func(k string, _ T) bool { return k == key })
}

// forgetWhere drops every row that matches.
func (s *snapshot[T]) forgetWhere(match func(id string, row T) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case snapshotReady:
		for id, row := range s.rows {
			if match(id, row) {
				delete(s.rows, id)
			}
		}
	case snapshotLoading:
		s.dropOnLoad = append(s.dropOnLoad, match)
	}
}

// WebhookFromSnapshot returns one webhook from the snapshot of every webhook registration,
// which the first call in the client reads in one paged query (concurrent first callers share
// it); later calls send no request for a webhook the snapshot holds. A webhook it lacks is read
// with GetWebhook, so a missing row gives ErrNotFound only when the server confirms it, and a
// serviceendpoint that is not a webhook gives ErrNotWebhook. Writes through this client keep
// the snapshot current, but a change made elsewhere after the snapshot was read is not seen.
//
// It suits reading many webhooks at once, as a Terraform refresh does; GetWebhook always asks
// the server.
func (c *Client) WebhookFromSnapshot(ctx context.Context, id string) (*Webhook, error) {
	return fromSnapshot(ctx, &c.webhookSnap, c.loadWebhookSnapshot, "webhook", id, c.GetWebhook, func(w Webhook) *Webhook { return &w })
}

// StepFromSnapshot returns one step from the snapshot of every step whose event handler is a
// webhook of the webhook snapshot (see WebhookFromSnapshot), read by the first call in one
// paged query per 40 webhooks; later calls send no request for a step the snapshot holds. A
// step it lacks is read with GetStep, so a missing row gives ErrNotFound only when the server
// confirms it. Writes through this client keep the snapshot current; GetStep always asks the
// server.
func (c *Client) StepFromSnapshot(ctx context.Context, id string) (*Step, error) {
	return fromSnapshot(ctx, &c.stepSnap, c.loadStepSnapshot, "step", id, c.GetStep, Step.clone)
}

// fromSnapshot reads the row id (a what) from the snapshot s, loaded first with load, or with
// get when s lacks the row; clone copies a row out of the snapshot.
func fromSnapshot[T any](ctx context.Context, s *snapshot[T], load func(context.Context) (map[string]T, error), what, id string,
	get func(context.Context, string) (*T, error), clone func(T) *T) (*T, error) {
	if err := checkID(what+" id", id); err != nil {
		return nil, err
	}
	ready, err := s.ensure(ctx, load)
	if err != nil {
		return nil, fmt.Errorf("dataverse: reading %s %s: %w", what, id, err)
	}
	if ready {
		if row, ok := s.lookup(id); ok {
			return clone(row), nil
		}
	}
	return get(ctx, id)
}

func (c *Client) loadWebhookSnapshot(ctx context.Context) (map[string]Webhook, error) {
	hooks, err := c.ListWebhooks(ctx, WebhookFilter{})
	if err != nil {
		return nil, err
	}
	return byLowerID(hooks, func(w Webhook) string { return w.ID }), nil
}

func (c *Client) loadStepSnapshot(ctx context.Context) (map[string]Step, error) {
	ready, err := c.webhookSnap.ensure(ctx, c.loadWebhookSnapshot)
	if err != nil {
		return nil, err
	}
	if !ready {
		return nil, fmt.Errorf("dataverse: the webhook snapshot is unavailable")
	}
	steps, err := c.listStepsByHandlers(ctx, c.webhookSnap.ids())
	if err != nil {
		return nil, err
	}
	return byLowerID(steps, func(s Step) string { return s.ID }), nil
}

// byLowerID keys rows by their lower-case id, as a snapshot holds them.
func byLowerID[T any](rows []T, id func(T) string) map[string]T {
	m := make(map[string]T, len(rows))
	for _, row := range rows {
		m[strings.ToLower(id(row))] = row
	}
	return m
}

// listStepsByHandlers reads the steps of the given event handlers, one paged query per chunk of
// stepHandlerChunk ids, a few chunks at a time. The result is in no particular order.
func (c *Client) listStepsByHandlers(ctx context.Context, handlerIDs []string) ([]Step, error) {
	rows, err := getRowsByIDs[stepRow](ctx, c, handlerIDs, 0, func(chunk []string) *request {
		filter, aliases := anyOfIDs("_eventhandler_value", "h", chunk)
		return &request{path: setSteps, query: append(stepQuery().with("$filter", filter), aliases...)}
	})
	if err != nil {
		return nil, err
	}
	out := make([]Step, 0, len(rows))
	for _, row := range rows {
		out = append(out, *c.stepFromExpandedRow(row))
	}
	return out, nil
}

// getRowsByIDs reads the rows of the requests chunkRequest builds for each chunk of at most
// stepHandlerChunk ids (naming them with anyOfIDs keeps each URL short), at most limit rows a
// chunk (0: all), a few chunks at a time. The rows come chunk by chunk.
func getRowsByIDs[R any](ctx context.Context, c *Client, ids []string, limit int, chunkRequest func(chunk []string) *request) ([]R, error) {
	chunks := chunkIDs(uniqueIDs(ids), stepHandlerChunk)
	results := make([][]R, len(chunks))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(stepChunkConcurrency)
	budget, release := c.newReadBudget() // the read's bounds are the read's, however many chunks it takes
	defer release()
	for i, chunk := range chunks {
		g.Go(func() error {
			rows, err := getCollectionWithin[R](gctx, c, chunkRequest(chunk), limit, budget)
			results[i] = rows
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []R
	for _, rows := range results {
		out = append(out, rows...)
	}
	return out, nil
}

// chunkIDs splits ids into consecutive runs of at most size.
func chunkIDs(ids []string, size int) [][]string {
	var out [][]string
	for len(ids) > size {
		out = append(out, ids[:size:size])
		ids = ids[size:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// clone copies a step so that callers never share its slice with the snapshot.
func (s Step) clone() *Step {
	s.FilteringAttributes = append([]string(nil), s.FilteringAttributes...)
	if len(s.FilteringAttributes) == 0 {
		s.FilteringAttributes = nil
	}
	return &s
}

// Snapshot upkeep after each write or fresh read. A failed write may still have landed, so its
// row is dropped rather than kept.

func (c *Client) recordWebhook(w *Webhook, err error, id string) {
	if err != nil || w == nil {
		c.webhookSnap.forget(id)
		c.webhooks.forget(id)
		return
	}
	c.webhookSnap.put(w.ID, *w)
}

func (c *Client) recordStep(s *Step, err error, id string) {
	if err != nil || s == nil {
		c.stepSnap.forget(id)
		return
	}
	c.stepSnap.put(s.ID, *s.clone())
}

// forgetWebhookAndSteps drops a webhook and, as Dataverse cascades the delete, its steps and
// their images (and the images of any step the step snapshot does not place).
func (c *Client) forgetWebhookAndSteps(id string) {
	c.webhookSnap.forget(id)
	c.webhooks.forget(id)
	placed := map[string]bool{} // the steps that stay
	for _, stepID := range c.stepSnap.ids() {
		s, ok := c.stepSnap.lookup(stepID)
		placed[stepID] = ok && !strings.EqualFold(s.EventHandlerID, id)
	}
	c.imageSnap.forgetWhere(func(_ string, img StepImage) bool { return !placed[strings.ToLower(img.StepID)] })
	c.stepSnap.forgetWhere(func(_ string, s Step) bool { return strings.EqualFold(s.EventHandlerID, id) })
}
