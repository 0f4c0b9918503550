package emulator

import (
	"context"
	"sync"
)

// idleTracker counts pending asynchronous deliveries.
type idleTracker struct {
	mu      sync.Mutex
	pending int
	waiters []chan struct{}
}

func (t *idleTracker) add() {
	t.mu.Lock()
	t.pending++
	t.mu.Unlock()
}

func (t *idleTracker) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending--
	if t.pending == 0 {
		for _, c := range t.waiters {
			close(c)
		}
		t.waiters = nil
	}
}

func (t *idleTracker) wait(ctx context.Context) error {
	t.mu.Lock()
	if t.pending == 0 {
		t.mu.Unlock()
		return nil
	}
	c := make(chan struct{})
	t.waiters = append(t.waiters, c)
	t.mu.Unlock()
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// goAsync runs f in the background unless the emulator is closing; Close
// waits for everything it started.
func (e *Emulator) goAsync(f func()) bool {
	e.asyncMu.Lock()
	defer e.asyncMu.Unlock()
	if e.asyncClosed {
		return false
	}
	e.async.Add(1)
	e.idle.add()
	go func() {
		defer e.async.Done()
		defer e.idle.done()
		f()
	}()
	return true
}

// WaitIdle returns once every pending asynchronous delivery has finished.
func (e *Emulator) WaitIdle(ctx context.Context) error { return e.idle.wait(ctx) }
