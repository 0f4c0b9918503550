package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// fetchFunc obtains a new token and its expiry. force is true when the
// caller refused the cached token, so the fetch must not come from a cache
// further down either.
type fetchFunc func(ctx context.Context, force bool) (token string, expiresOn time.Time, err error)

const (
	// refreshMargin is how long before expiry a cached token is replaced, so
	// a token never expires in flight. Shorter-lived tokens are replaced at
	// half their lifetime instead.
	refreshMargin = 5 * time.Minute
	// fetchTimeout bounds a shared fetch, which outlives the cancellation of
	// the caller that started it so that the other callers still get a token.
	fetchTimeout = 2 * time.Minute
)

// maxFetchAttempts bounds the tries of one token fetch that meets transient
// failures (a 503 from the token endpoint, a reset connection).
const maxFetchAttempts = 4

// fetchRetryWait is the wait before the second try; it doubles for each one after.
const fetchRetryWait = 500 * time.Millisecond

// cachingSource caches one token and shares one fetch among concurrent callers.
type cachingSource struct {
	fetch fetchFunc
	now   func() time.Time
	group singleflight.Group
	// retryWait is the wait before the given try (2 for the second); a seam for tests.
	retryWait func(attempt int) time.Duration

	mu        sync.Mutex
	token     string
	refreshAt time.Time
}

func newCachingSource(fetch fetchFunc, now func() time.Time) *cachingSource {
	return &cachingSource{fetch: fetch, now: now, retryWait: func(attempt int) time.Duration {
		return fetchRetryWait << (attempt - 2)
	}}
}

// fetchWithRetries calls fetch until it succeeds, fails for good, or has been
// tried maxFetchAttempts times, as the Web API client does for its requests.
func (c *cachingSource) fetchWithRetries(ctx context.Context, force bool) (string, time.Time, error) {
	for attempt := 1; ; attempt++ {
		token, expiresOn, err := c.fetch(ctx, force)
		var re *redactedError
		if err == nil || !errors.As(err, &re) || !re.transient || ctx.Err() != nil {
			return token, expiresOn, err
		}
		if attempt >= maxFetchAttempts {
			return "", time.Time{}, fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		}
		t := time.NewTimer(c.retryWait(attempt + 1))
		select {
		case <-ctx.Done():
			t.Stop()
			return "", time.Time{}, err
		case <-t.C:
		}
	}
}

func (c *cachingSource) cached() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == "" || !c.now().Before(c.refreshAt) {
		return "", false
	}
	return c.token, true
}

func (c *cachingSource) store(token string, fetchedAt, expiresOn time.Time) {
	margin := refreshMargin
	if half := expiresOn.Sub(fetchedAt) / 2; half < margin {
		margin = max(half, 0)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = token
	c.refreshAt = expiresOn.Add(-margin)
}

// Token returns the cached token while it is fresh, and otherwise fetches
// one. Concurrent callers share a fetch; forced refreshes share their own.
func (c *cachingSource) Token(ctx context.Context, forceRefresh bool) (string, error) {
	if !forceRefresh {
		if token, ok := c.cached(); ok {
			return token, nil
		}
	}
	key := "refresh"
	if forceRefresh {
		key = "force"
	}
	results := c.group.DoChan(key, func() (any, error) {
		if !forceRefresh {
			// A fetch that finished while this one was being set up may have filled the cache.
			if token, ok := c.cached(); ok {
				return token, nil
			}
		}
		fetchCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		defer cancel()
		fetchedAt := c.now()
		token, expiresOn, err := c.fetchWithRetries(fetchCtx, forceRefresh)
		if err != nil {
			return "", err
		}
		c.store(token, fetchedAt, expiresOn)
		return token, nil
	})
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-results:
		if r.Err != nil {
			return "", r.Err
		}
		token, _ := r.Val.(string) // the shared call returns a token or an error
		return token, nil
	}
}
