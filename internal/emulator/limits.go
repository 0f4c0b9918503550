package emulator

import (
	"math/rand"
	"sync"
	"time"
)

// limiter applies Dataverse's service protection limits per user: requests
// in flight, and requests in a sliding window (facts sheet §6).
type limiter struct {
	maxConcurrent int // <0: unlimited
	maxPerWindow  int // <0: unlimited
	window        time.Duration

	mu    sync.Mutex
	users map[string]*userUsage
}

type userUsage struct {
	inFlight int
	// times of the requests admitted in the current window, oldest first.
	admitted []time.Time
}

func newLimiter(maxConcurrent, maxPerWindow int, window time.Duration) *limiter {
	return &limiter{maxConcurrent: maxConcurrent, maxPerWindow: maxPerWindow, window: window, users: map[string]*userUsage{}}
}

// acquire admits a request of user at now, or says why not: the error code
// and the seconds to wait. release must be called once an admitted request ends.
func (l *limiter) acquire(user string, now time.Time) (release func(), code string, retryAfter int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.users[user]
	if u == nil {
		u = &userUsage{}
		l.users[user] = u
	}
	if l.maxConcurrent >= 0 && u.inFlight >= l.maxConcurrent {
		// Dataverse does not say when a concurrency slot frees; one second is
		// the smallest Retry-After it sends.
		return nil, codeThrottleConcurrency, 1
	}
	if l.maxPerWindow >= 0 {
		cutoff := now.Add(-l.window)
		drop := 0
		for drop < len(u.admitted) && !u.admitted[drop].After(cutoff) {
			drop++
		}
		u.admitted = u.admitted[drop:]
		if len(u.admitted) >= l.maxPerWindow {
			wait := u.admitted[0].Add(l.window).Sub(now)
			secs := int((wait + time.Second - 1) / time.Second)
			if secs < 1 {
				secs = 1
			}
			return nil, codeThrottleCount, secs
		}
		u.admitted = append(u.admitted, now)
	}
	u.inFlight++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			u.inFlight--
			l.mu.Unlock()
		})
	}, "", 0
}

// chance is a seeded random source safe for concurrent use. Faults, dropped
// responses and latency jitter each draw from their own source so that one
// does not shift the sequence of another.
type chance struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newChance(seed int64) *chance {
	return &chance{rng: rand.New(rand.NewSource(seed))} //nolint:gosec // seeded on purpose: faults and jitter must be reproducible
}

// hit reports true with probability p.
func (c *chance) hit(p float64) bool {
	if p <= 0 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rng.Float64() < p
}

// pick returns an index in [0,n).
func (c *chance) pick(n int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rng.Intn(n)
}

// duration returns a duration in [0,limit).
func (c *chance) duration(limit time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Duration(c.rng.Int63n(int64(limit)))
}
