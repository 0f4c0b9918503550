package dataverse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetriedCreateThatLandedReturnsTheRow(t *testing.T) {
	t.Parallel()
	firstAttempts := map[string]func(t *testing.T, w http.ResponseWriter){
		"connection dropped after commit": func(t *testing.T, w http.ResponseWriter) { dropConnection(t, w) },
		"503 after commit": func(t *testing.T, w http.ResponseWriter) {
			writeError(w, http.StatusServiceUnavailable, "", "The service is unavailable.")
		},
	}
	for name, first := range firstAttempts {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				switch n {
				case 1: // the row is stored, but the caller never hears so
					first(t, w)
				case 2:
					writeError(w, http.StatusBadRequest, "0x80040237", "A record with matching key values already exists.")
				default:
					writeJSON(w, http.StatusOK, webhookRow(webhookID, "orders"))
				}
			})
			got, err := h.client.CreateWebhook(context.Background(), WebhookCreate{ID: webhookID, Name: "orders", URL: "https://x.example", AuthType: AuthTypeWebhookKey, AuthValue: "key-value"})
			if err != nil {
				t.Fatalf("CreateWebhook: %v", err)
			}
			if got.ID != webhookID {
				t.Errorf("id = %s", got.ID)
			}
			reqs := h.requests()
			if len(reqs) != 3 {
				t.Fatalf("requests = %d, want POST, POST, GET", len(reqs))
			}
			if reqs[0].Method != http.MethodPost || reqs[1].Method != http.MethodPost || reqs[0].Body != reqs[1].Body {
				t.Errorf("the create was not replayed unchanged: %s %q / %s %q", reqs[0].Method, reqs[0].Body, reqs[1].Method, reqs[1].Body)
			}
			checkRequest(t, reqs[2], want{
				Method: http.MethodGet,
				Path:   "serviceendpoints(" + webhookID + ")",
				Query:  map[string]string{"$select": webhookSelect},
			})
			if w := h.recordedWaits(); len(w) != 1 {
				t.Errorf("waits = %v, want one back-off", w)
			}
		})
	}
}

func TestDuplicateOnFirstAttemptIsAnError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeError(w, http.StatusBadRequest, "0x80040237", "A record with matching key values already exists.")
	})
	_, err := h.client.CreateWebhook(context.Background(), WebhookCreate{ID: webhookID, Name: "orders", URL: "https://x.example", AuthType: AuthTypeWebhookKey, AuthValue: "key-value"})
	if !errors.Is(err, ErrDuplicateRecord) {
		t.Fatalf("err = %v, want ErrDuplicateRecord", err)
	}
	h.wantRequests(t, 1, "")
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantWait   time.Duration
	}{
		{"429 seconds", http.StatusTooManyRequests, "12", 12 * time.Second},
		{"429 http date", http.StatusTooManyRequests, now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second},
		{"503 seconds", http.StatusServiceUnavailable, "3", 3 * time.Second},
		{"503 date in the past", http.StatusServiceUnavailable, now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"429 without header backs off", http.StatusTooManyRequests, "", 100 * time.Millisecond},
		{"429 garbage header backs off", http.StatusTooManyRequests, "soon", 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				if n == 1 {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					writeError(w, tt.status, "0x80072322", "Number of requests exceeded the limit.")
					return
				}
				writeJSON(w, http.StatusOK, webhookRow(webhookID, "orders"))
			}, func(c *Config) { c.now = func() time.Time { return now } })
			if _, err := h.client.GetWebhook(context.Background(), webhookID); err != nil {
				t.Fatalf("GetWebhook: %v", err)
			}
			if got := h.recordedWaits(); !reflect.DeepEqual(got, []time.Duration{tt.wantWait}) {
				t.Errorf("waits = %v, want [%v]", got, tt.wantWait)
			}
			h.wantRequests(t, 2, "")
			logs := h.requestLogs()
			if len(logs) != 2 || logs[0].Attempt != 1 || logs[0].Status != tt.status || logs[0].ErrorCode != "0x80072322" || logs[0].Err == nil ||
				logs[1].Attempt != 2 || logs[1].Status != http.StatusOK || logs[1].Err != nil {
				t.Errorf("request logs = %+v", logs)
			}
		})
	}
}

func TestPermanentErrorsAreTriedOnce(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				writeError(w, status, "0x80048d19", "Error identified in Payload provided by the user for Entity :''")
			})
			_, err := h.client.GetWebhook(context.Background(), webhookID)
			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != status || apiErr.Code != "0x80048d19" {
				t.Fatalf("err = %v, want *Error with status %d", err, status)
			}
			h.wantRequests(t, 1, "")
			h.wantNoWaits(t, "")
		})
	}
}

// A 500 may be a passing SQL time-out or a lasting fault: it gets exactly one more attempt.
func TestInternalServerErrorIsRetriedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeError(w, http.StatusInternalServerError, "", "upstream trouble")
	}, func(c *Config) { c.MaxRetries = 4 })
	_, err := h.client.GetWebhook(context.Background(), webhookID)
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusInternalServerError {
		t.Fatalf("err = %v, want *Error 500", err)
	}
	h.wantRequests(t, 2, "")
	if got, want := h.recordedWaits(), []time.Duration{100 * time.Millisecond}; !reflect.DeepEqual(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestAttemptCapAndBackoff(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusBadGateway, http.StatusGatewayTimeout} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				writeError(w, status, "", "upstream trouble")
			}, func(c *Config) { c.MaxRetries = 4 })
			_, err := h.client.GetWebhook(context.Background(), webhookID)
			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != status {
				t.Fatalf("err = %v, want *Error %d", err, status)
			}
			if !strings.Contains(err.Error(), "gave up after 4 attempts") {
				t.Errorf("err = %v, want it to say how many attempts were made", err)
			}
			h.wantRequests(t, 4, "")
			// Jitter is zero in tests: each wait is half the exponential step.
			want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
			if got := h.recordedWaits(); !reflect.DeepEqual(got, want) {
				t.Errorf("waits = %v, want %v", got, want)
			}
		})
	}
}

func TestBackoffGrowsToTheCap(t *testing.T) {
	t.Parallel()
	c, err := New(Config{EnvironmentURL: "https://org.example", TokenSource: &staticTokens{},
		jitter: func(limit time.Duration) time.Duration { return limit - 1 }})
	if err != nil {
		t.Fatal(err)
	}
	prev := time.Duration(0)
	for attempt := 1; attempt <= 40; attempt++ {
		d := c.backoff(attempt)
		if d < prev || d >= defaultMaxBackoff {
			t.Fatalf("backoff(%d) = %v after %v; want non-decreasing and below %v", attempt, d, prev, defaultMaxBackoff)
		}
		prev = d
	}
	if prev < defaultMaxBackoff-time.Millisecond {
		t.Errorf("backoff never reached the cap: %v", prev)
	}
}

func TestContextDeadlineIsNeverSleptPast(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter string
		status     int
	}{
		{"retry-after beyond the deadline", "30", http.StatusTooManyRequests},
		{"back-off beyond the deadline", "", http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				writeError(w, tt.status, "", "busy")
			}, func(c *Config) { c.baseBackoff = time.Hour })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := h.client.GetWebhook(ctx, webhookID)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Errorf("err = %v, want the last *Error too", err)
			}
			h.wantRequests(t, 1, "")
			h.wantNoWaits(t, "")
		})
	}
}

func TestCanceledContextStopsWaiting(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		cancel() // the caller gives up while the server answers 503
		writeError(w, http.StatusServiceUnavailable, "", "busy")
	})
	_, err := h.client.GetWebhook(ctx, webhookID)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	h.wantRequests(t, 1, "")
}

func TestUnauthorizedRefreshesTokenOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		freshWorks   bool
		wantRequests int
		wantErr      bool
	}{
		{"fresh token accepted", true, 2, false},
		{"fresh token rejected too", false, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				if tt.freshWorks && r.Header.Get("Authorization") == "Bearer fresh" {
					writeJSON(w, http.StatusOK, webhookRow(webhookID, "orders"))
					return
				}
				writeError(w, http.StatusUnauthorized, "", "token expired")
			})
			h.tokens.tokenF = func(force bool) string {
				if force {
					return "fresh"
				}
				return "cached"
			}
			_, err := h.client.GetWebhook(context.Background(), webhookID)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				var apiErr *Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
					t.Errorf("err = %v, want a 401 *Error", err)
				}
			}
			h.wantRequests(t, tt.wantRequests, "")
			if got := h.tokens.forced(); !reflect.DeepEqual(got, []bool{false, true}) {
				t.Errorf("token calls (forceRefresh) = %v, want [false true]", got)
			}
			h.wantNoWaits(t, "a refreshed token is tried at once")
		})
	}
}

func TestNoTokenBeforeTheFirstRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeJSON(w, http.StatusOK, webhookRow(webhookID, "orders"))
	})
	if got := h.tokens.forced(); len(got) != 0 {
		t.Fatalf("New fetched a token: %v", got)
	}
	if _, err := h.client.GetWebhook(context.Background(), webhookID); err != nil {
		t.Fatal(err)
	}
	if got := h.tokens.forced(); !reflect.DeepEqual(got, []bool{false}) {
		t.Errorf("token calls = %v, want one", got)
	}
}

func TestConnectionResetAndAttemptTimeoutAreRetried(t *testing.T) {
	t.Parallel()
	tests := map[string]func(t *testing.T, w http.ResponseWriter, r *http.Request){
		"reset": func(t *testing.T, w http.ResponseWriter, r *http.Request) { dropConnection(t, w) },
		// The attempt times out while the server is still thinking.
		"attempt timeout": func(t *testing.T, w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
	}
	for name, first := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				if n == 1 {
					first(t, w, r)
					return
				}
				writeJSON(w, http.StatusOK, webhookRow(webhookID, "orders"))
			}, func(c *Config) { c.RequestTimeout = 200 * time.Millisecond })
			if _, err := h.client.GetWebhook(context.Background(), webhookID); err != nil {
				t.Fatalf("GetWebhook: %v", err)
			}
			h.wantRequests(t, 2, "")
			logs := h.requestLogs()
			if len(logs) != 2 || logs[0].Err == nil || logs[0].Status != 0 || logs[1].Err != nil {
				t.Errorf("logs = %+v", logs)
			}
		})
	}
}

func TestConcurrencyCap(t *testing.T) {
	t.Parallel()
	const limit, callers = 3, 20
	var inFlight, peak atomic.Int32
	reached := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			old := peak.Load()
			if cur <= old || peak.CompareAndSwap(old, cur) {
				break
			}
		}
		if cur == limit {
			once.Do(func() { close(reached) })
		}
		<-release
		writeJSON(w, http.StatusOK, webhookRow(webhookID, "orders"))
	}, func(c *Config) { c.MaxConcurrentRequests = limit })

	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			_, err := h.client.GetWebhook(context.Background(), webhookID)
			errs <- err
		})
	}
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		t.Fatal("the server never saw 3 requests at once")
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := peak.Load(); got != limit {
		t.Errorf("peak in flight = %d, want %d", got, limit)
	}
	h.wantRequests(t, callers, "")
}

func TestWaitingRetryHoldsNoSlot(t *testing.T) {
	t.Parallel()
	// With one slot, a request sleeping before its retry must let another request through.
	var h *harness
	otherDone := make(chan error, 1)
	h = newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		if n == 1 {
			writeError(w, http.StatusServiceUnavailable, "", "busy")
			return
		}
		writeJSON(w, http.StatusOK, webhookRow(keyOfRequest(r, body, "serviceendpointid"), "orders"))
	}, func(c *Config) {
		c.MaxConcurrentRequests = 1
		c.sleep = func(ctx context.Context, d time.Duration) error {
			_, err := h.client.GetWebhook(ctx, webhookID2)
			otherDone <- err
			return nil
		}
	})
	if _, err := h.client.GetWebhook(context.Background(), webhookID); err != nil {
		t.Fatal(err)
	}
	if err := <-otherDone; err != nil {
		t.Fatalf("request during the wait: %v", err)
	}
	h.wantRequests(t, 3, "")
}
