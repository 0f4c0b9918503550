package dataverse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"
)

// sharedRead runs load once for the concurrent callers of one key. The shared read must not fail
// because the caller that started it gave up, so it runs without that caller's cancellation;
// each caller still stops waiting when its own context ends, with an error naming what it read.
func sharedRead[V any](ctx context.Context, group *singleflight.Group, key, what string, load func(context.Context) (V, error)) (V, error) {
	shared := context.WithoutCancel(ctx)
	ch := group.DoChan(key, func() (any, error) { return load(shared) })
	var zero V
	select {
	case res := <-ch:
		if res.Err != nil {
			return zero, res.Err
		}
		v, _ := res.Val.(V) // load returns a V or an error
		return v, nil
	case <-ctx.Done():
		return zero, fmt.Errorf("dataverse: %s: %w", what, context.Cause(ctx))
	}
}

// answerCache keeps, for the life of the client, what it read about facts that change far less
// often than a provider process lives: a table's columns, a user, a solution. Keys compare without
// case. Later callers are answered from memory and concurrent callers of one key share a request
// (sharedRead). A failure is not kept, so the next caller asks again; with keepNotFound an answer
// of "none" (ErrNotFound) is kept too.
type answerCache[V any] struct {
	keepNotFound bool

	group   singleflight.Group
	mu      sync.Mutex
	answers map[string]cachedAnswer[V]
}

type cachedAnswer[V any] struct {
	value V
	err   error // nil, or an error matching ErrNotFound
}

func (a *answerCache[V]) kept(key string) (cachedAnswer[V], bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	got, ok := a.answers[key]
	return got, ok
}

// read answers key from memory, or by load, keeping the answer.
func (a *answerCache[V]) read(ctx context.Context, key, what string, load func(context.Context) (V, error)) (V, error) {
	key = strings.ToLower(key)
	if got, ok := a.kept(key); ok {
		return got.value, got.err
	}
	return sharedRead(ctx, &a.group, key, what, func(ctx context.Context) (V, error) {
		if got, ok := a.kept(key); ok { // a shared read that ended just before this one began
			return got.value, got.err
		}
		v, err := load(ctx)
		if err == nil || (a.keepNotFound && errors.Is(err, ErrNotFound)) {
			a.mu.Lock()
			if a.answers == nil {
				a.answers = map[string]cachedAnswer[V]{}
			}
			a.answers[key] = cachedAnswer[V]{value: v, err: err}
			a.mu.Unlock()
		}
		return v, err
	})
}
