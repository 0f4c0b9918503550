package dataverse

import (
	"context"
	"fmt"

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
