package dataverse

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// Each test here plays a hostile or broken server and checks that the client neither hands it a
// secret nor lets it hang or bloat the caller.

func TestRedirectsAreNeverFollowed(t *testing.T) {
	t.Parallel()
	const authValue = "k3y-value-never-elsewhere"
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			var elsewhere atomic.Int32
			thief := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				elsewhere.Add(1)
				writeJSON(w, http.StatusCreated, webhookRow(webhookID, "stolen"))
			}))
			t.Cleanup(thief.Close)
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				w.Header().Set("Location", thief.URL+"/api/data/v9.2/serviceendpoints?capture=the-query-part")
				w.WriteHeader(status)
			})
			_, err := h.client.CreateWebhook(context.Background(), WebhookCreate{Name: "n", URL: "https://x.example", AuthType: AuthTypeWebhookKey, AuthValue: authValue})
			if err == nil {
				t.Fatal("a redirected create succeeded")
			}
			if n := elsewhere.Load(); n != 0 {
				t.Errorf("the redirect target received %d requests", n)
			}
			msg := err.Error()
			if !strings.Contains(msg, fmt.Sprint(status)) || !strings.Contains(msg, strings.TrimPrefix(thief.URL, "https://")) {
				t.Errorf("error %q does not name the status and the target host", msg)
			}
			if strings.Contains(msg, "capture") || strings.Contains(msg, authValue) {
				t.Errorf("error %q names the redirect's query or the secret", msg)
			}
			h.wantRequests(t, 1, "a redirect is not retried")
		})
	}
}

func TestOversizedAnswerFailsNamingTheCap(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"value":[{"name":"`)
		chunk := strings.Repeat("x", 1<<20)
		for i := 0; i <= maxResponseBytes>>20; i++ {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, `"}]}`)
	})
	_, err := h.client.ListWebhooks(context.Background(), WebhookFilter{})
	if err == nil || !strings.Contains(err.Error(), "larger than 32 MiB") {
		t.Fatalf("err = %v, want one naming the 32 MiB cap", err)
	}
	h.wantRequests(t, 1, "an oversized answer is not retried")
}

func TestPagingStopsOnHostileNextLinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		page      func(base string, n int) map[string]any
		wantPages int
		wantErr   string
	}{
		{"endless chain of new links", func(base string, n int) map[string]any {
			return map[string]any{"value": []any{webhookRow(fakeID(1, n), fmt.Sprint("w", n))}, "@odata.nextLink": fmt.Sprintf("%s/api/data/v9.2/serviceendpoints?page=%d", base, n+1)}
		}, maxPagesPerQuery, "more than 500 pages"},
		{"the same link again", func(base string, n int) map[string]any {
			return map[string]any{"value": []any{webhookRow(fakeID(1, n), fmt.Sprint("w", n))}, "@odata.nextLink": base + "/api/data/v9.2/serviceendpoints?page=2"}
		}, 2, "a next link it had sent before"},
		{"empty pages forever", func(base string, n int) map[string]any {
			return map[string]any{"value": []any{}, "@odata.nextLink": fmt.Sprintf("%s/api/data/v9.2/serviceendpoints?page=%d", base, n+1)}
		}, maxEmptyPages, "empty pages in a row"},
		{"a link to another host", func(string, int) map[string]any {
			return map[string]any{"value": []any{}, "@odata.nextLink": "https://elsewhere.example/api/data/v9.2/serviceendpoints?$skiptoken=1"}
		}, 1, "another host"},
		// Same host, but a path that carries what the server likes into errors and logs, which
		// quote the path.
		{"a link to another path carrying text", func(base string, _ int) map[string]any {
			return map[string]any{"value": []any{}, "@odata.nextLink": base + "/api/data/v9.2/x/planted-token-text?$skiptoken=2"}
		}, 1, "another path than the query's own"},
		{"a link to another entity set", func(base string, _ int) map[string]any {
			return map[string]any{"value": []any{}, "@odata.nextLink": base + "/api/data/v9.2/systemusers?$skiptoken=2"}
		}, 1, "another path than the query's own"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h *harness
			h = newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				writeJSON(w, http.StatusOK, tt.page(h.srv.URL, n))
			})
			_, err := h.client.ListWebhooks(context.Background(), WebhookFilter{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "planted") || strings.Contains(err.Error(), "skiptoken") {
				t.Errorf("the error quotes the server's link: %v", err)
			}
			h.wantRequests(t, tt.wantPages, "one a page")
		})
	}
}

func TestRetryAfterBeyondTheCapOrDeadlineFailsAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, retryAfter string
		deadline         time.Duration // 0: none
		want             string
	}{
		{"ten hours", "36000", 0, "asked to wait 10h0m0s (Retry-After), more than the 5m0s"},
		{"year 9999", "Fri, 31 Dec 9999 23:59:59 GMT", 0, "asked to wait more than 100 days"},
		{"more seconds than a Duration holds", "99999999999999999999", 0, "asked to wait more than 100 days"},
		{"past the deadline", "120", time.Minute, "Retry-After of 2m0s is past the deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				w.Header().Set("Retry-After", tt.retryAfter)
				writeError(w, http.StatusTooManyRequests, "0x80072321", "Combined execution time of incoming requests exceeded limit.")
			})
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			_, err := h.client.GetWebhook(ctx, webhookID)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if waits := h.recordedWaits(); len(waits) != 0 {
				t.Errorf("waited %v before failing", waits)
			}
		})
	}
}

func TestCallsWithoutADeadlineGetOne(t *testing.T) {
	t.Parallel()
	var sawDeadline atomic.Bool
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		if n == 1 {
			writeError(w, http.StatusServiceUnavailable, "", "busy")
			return
		}
		writeJSON(w, http.StatusOK, webhookRow(webhookID, "orders"))
	}, func(c *Config) {
		c.sleep = func(ctx context.Context, _ time.Duration) error {
			_, ok := ctx.Deadline()
			sawDeadline.Store(ok)
			return nil
		}
	})
	if _, err := h.client.GetWebhook(context.Background(), webhookID); err != nil {
		t.Fatal(err)
	}
	if !sawDeadline.Load() {
		t.Error("a call made without a deadline ran without one")
	}
}

func TestServiceUnavailableThenInternalErrorIsRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		switch n {
		case 1:
			writeError(w, http.StatusServiceUnavailable, "", "busy")
		case 2:
			writeError(w, http.StatusInternalServerError, "0x80040216", "SQL timeout")
		default:
			writeJSON(w, http.StatusOK, webhookRow(webhookID, "orders"))
		}
	})
	if _, err := h.client.GetWebhook(context.Background(), webhookID); err != nil {
		t.Fatalf("503 then 500 was final: %v", err)
	}
	h.wantRequests(t, 3, "")
}

func TestReadRefusesAnAnswerForAnotherRow(t *testing.T) {
	t.Parallel()
	for name, answered := range map[string]any{"null id": nil, "other id": webhookID2, "no id": "omit"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				row := webhookRow(webhookID, "orders")
				if answered == "omit" {
					delete(row, "serviceendpointid")
				} else {
					row["serviceendpointid"] = answered
				}
				writeJSON(w, http.StatusOK, row)
			})
			_, err := h.client.GetWebhook(context.Background(), webhookID)
			if err == nil || !strings.Contains(err.Error(), "not the row asked for") {
				t.Fatalf("err = %v, want the answer refused", err)
			}
		})
	}
}

// Go's decoder takes a key from a member of any case, the last one: an answer that names the row
// asked for under the exact name and another row under a variant must not pass as that row.
func TestAnswersNamingAnotherRowUnderAVariantOfTheKeyAreRefused(t *testing.T) {
	t.Parallel()
	for _, variant := range []string{"ServiceEndpointId", "SERVICEENDPOINTID", "\u017ferviceendpointid"} {
		t.Run("read "+variant, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"serviceendpointid":"` + webhookID + `","` + variant + `":"` + webhookID2 + `","name":"orders","url":"https://x.example","contract":8,"authtype":4}`))
			})
			got, err := h.client.GetWebhook(context.Background(), webhookID)
			if err == nil || !strings.Contains(err.Error(), "not the row asked for") {
				t.Fatalf("GetWebhook(%s) = %+v, %v; want the answer refused", webhookID, got, err)
			}
		})
	}
	t.Run("create", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
			var sent map[string]any
			_ = json.Unmarshal([]byte(body), &sent)
			id, _ := sent["serviceendpointid"].(string)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"serviceendpointid":"` + id + `","ServiceEndpointId":"` + webhookID2 + `","name":"n","url":"https://x.example","contract":8,"authtype":4}`))
		})
		got, err := h.client.CreateWebhook(context.Background(), WebhookCreate{Name: "n", URL: "https://x.example", AuthType: AuthTypeWebhookKey, AuthValue: "abc"})
		if err == nil || !strings.Contains(err.Error(), "not the row asked for") {
			t.Fatalf("CreateWebhook = %+v, %v; want the answer refused", got, err)
		}
	})
	t.Run("the key twice, alike", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"serviceendpointid":"` + webhookID + `","ServiceEndpointId":"` + strings.ToUpper(webhookID) + `","name":"orders","url":"https://x.example","contract":8,"authtype":4}`))
		})
		if _, err := h.client.GetWebhook(context.Background(), webhookID); err != nil {
			t.Fatalf("GetWebhook of a row that names itself twice: %v", err)
		}
	})
}

func TestAnEchoedBearerTokenIsWithheld(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		writeError(w, http.StatusBadRequest, "0x80040203", "bad token "+strings.ToUpper(token))
	})
	h.tokens.tokenF = func(bool) string { return "eyJhbGciOi.the-access-token.sig" }
	_, err := h.client.GetWebhook(context.Background(), webhookID)
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if strings.Contains(strings.ToLower(err.Error()), "access-t") || apiErr.Message != withheldMessage {
		t.Errorf("error %q echoes the bearer token", err)
	}
}

// A server that answers 401 to everything, or a sign-in whose tokens expire at once, has a new
// token fetched for request after request. The client keeps the last keptTokens of them, as a
// server may echo them, not every one, which would grow its record and the cost of every echo
// check without bound; and it fetches at most maxForcedRefreshes after 401s in its life.
func TestTokensRefreshedWithoutEndAreNotAllKept(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		seen   []string // the tokens requests carried, in order
		echoed string
		errs   []string
	)
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		// A token some twenty turns old is echoed: it must still be withheld.
		if n == 40 {
			echoed = seen[len(seen)-21]
			writeError(w, http.StatusBadRequest, "0x80040203", "bad token "+echoed)
			return
		}
		writeError(w, http.StatusUnauthorized, "0x80040220", "refused")
	})
	var issued atomic.Int64
	h.tokens.tokenF = func(bool) string {
		sum := sha256.Sum256([]byte(strconv.FormatInt(issued.Add(1), 10)))
		return "eyJ" + hex.EncodeToString(sum[:])
	}
	for range 60 {
		_, err := h.client.GetWebhook(context.Background(), webhookID)
		if err == nil {
			t.Fatal("no error")
		}
		errs = append(errs, err.Error())
	}
	if echoed == "" || seen[len(seen)-1] == echoed {
		t.Fatalf("no old token was echoed (%d requests)", len(seen))
	}
	for _, e := range errs {
		if untrusted.EchoesSecret(e, []string{echoed}) {
			t.Errorf("error %q echoes a token twenty turns old", e)
		}
	}
	forced := 0
	for _, f := range h.tokens.forced() {
		if f {
			forced++
		}
	}
	if forced != maxForcedRefreshes {
		t.Errorf("%d tokens fetched after a 401, want %d", forced, maxForcedRefreshes)
	}
	if kept := len(h.client.sent.all()); kept > keptTokens {
		t.Errorf("the client keeps %d secrets after %d tokens, want at most %d", kept, issued.Load(), keptTokens)
	}
}

// A revoked token meets its 401 on every request in flight at once: they fetch a fresh token
// once between them, so revocations in a long run do not use up the bound on refreshes.
func TestRequestsMeetingOneRevocationCountOnce(t *testing.T) {
	t.Parallel()
	var validFrom atomic.Int64 // tokens of an older generation are revoked
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		gen, _ := strconv.ParseInt(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer tok-"), 10, 64)
		if gen < validFrom.Load() {
			writeError(w, http.StatusUnauthorized, "0x80040220", "revoked")
			return
		}
		writeJSON(w, http.StatusOK, webhookRow(webhookID, "orders"))
	})
	var gen atomic.Int64
	h.tokens.tokenF = func(force bool) string {
		if force {
			return "tok-" + strconv.FormatInt(gen.Add(1), 10)
		}
		return "tok-" + strconv.FormatInt(gen.Load(), 10)
	}
	const revocations, inFlight = 10, 10
	for range revocations {
		validFrom.Store(gen.Load() + 1)
		var wg sync.WaitGroup
		errs := make(chan error, inFlight)
		for range inFlight {
			wg.Go(func() {
				if _, err := h.client.GetWebhook(context.Background(), webhookID); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("a request after a revocation failed: %v", err)
		}
	}
	if n := h.client.refreshes.n; n != revocations {
		t.Errorf("%d refusals counted for %d revocations", n, revocations)
	}
}

// Tokens near the size bound are kept fewer, so that the record, which every echo check reads,
// stays within keptTokenBytes; the newest is always kept.
func TestKeptTokensAreBoundedInBytes(t *testing.T) {
	t.Parallel()
	var s sentSecrets
	for i := range 40 {
		s.addToken(fmt.Sprintf("%03d", i) + strings.Repeat("x", 15<<10))
	}
	kept := s.all()
	size := 0
	for _, tok := range kept {
		size += len(tok)
	}
	if size > keptTokenBytes || len(kept) == 0 || !strings.HasPrefix(kept[len(kept)-1], "039") {
		t.Errorf("%d tokens of %d bytes kept, newest %.3s; want at most %d bytes, the newest last", len(kept), size, kept[len(kept)-1], keptTokenBytes)
	}
	s.addToken(strings.Repeat("y", 200<<10)) // larger than the bound alone: still kept, alone
	if kept := s.all(); len(kept) != 1 || kept[0][0] != 'y' {
		t.Errorf("after a token over the bound, %d tokens kept, want it alone", len(kept))
	}
}

// A sign-in that answers with an access token longer than any request header can carry is
// refused before anything is sent, without quoting it.
func TestAnOversizedAccessTokenIsNotSent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeJSON(w, http.StatusOK, webhookRow(webhookID, "orders"))
	})
	huge := "eyJ" + strings.Repeat("A1b2C3d4", (maxBearerTokenBytes/8)+1)
	h.tokens.tokenF = func(bool) string { return huge }
	_, err := h.client.GetWebhook(context.Background(), webhookID)
	if err == nil || !strings.Contains(err.Error(), "more than the 16 KiB") || strings.Contains(err.Error(), "A1b2C3d4") {
		t.Fatalf("err = %v, want the token refused by its size, unquoted", err)
	}
	if n := len(h.requests()); n != 0 {
		t.Errorf("%d requests sent with the token, want none", n)
	}
	if kept := len(h.client.sent.all()); kept != 0 {
		t.Errorf("the client keeps %d secrets, want none", kept)
	}
}

func TestANextLinkEchoingACredentialReachesNoLogOrError(t *testing.T) {
	t.Parallel()
	const credential = "Zx8Q~client-secret.value_42"
	var h *harness
	h = newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		if n == 1 {
			writeJSON(w, http.StatusOK, map[string]any{"value": []any{webhookRow(webhookID, "a")},
				"@odata.nextLink": h.srv.URL + "/api/data/v9.2/serviceendpoints?$skiptoken=" + url.QueryEscape(credential)})
			return
		}
		dropConnection(t, w)
	}, func(c *Config) { c.Secrets = []string{credential}; c.MaxRetries = 2 })
	_, err := h.client.ListWebhooks(context.Background(), WebhookFilter{})
	requireErrorWithout(t, h, err, credential)
}

// requireErrorWithout fails unless err is an error and neither it nor any request log of h holds
// part of secret.
func requireErrorWithout(t *testing.T, h *harness, err error, secret string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	texts := []string{err.Error()}
	for _, l := range h.requestLogs() {
		texts = append(texts, l.Path, fmt.Sprint(l.Err))
	}
	for _, text := range texts {
		if untrusted.EchoesSecret(text, []string{secret}) {
			t.Errorf("%q holds part of the secret", text)
		}
	}
}

// A write's secret sent earlier is kept from the errors of later requests that do not carry
// it: the read-back after a create answered without its row, and a redirect's Location.
func TestSecretsSentEarlierAreWithheldFromLaterErrors(t *testing.T) {
	t.Parallel()
	const authValue = "wk-ZQXWVU-rotated-secret"
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		write  func(c *Client) error
	}{
		{
			name: "read-back after a create answered 204",
			answer: func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				writeError(w, http.StatusBadRequest, "0x80040203", "auth value "+authValue+" is invalid")
			},
			write: func(c *Client) error {
				_, err := c.CreateWebhook(context.Background(), WebhookCreate{Name: "n", URL: "https://x.example", AuthType: AuthTypeWebhookKey, AuthValue: authValue})
				return err
			},
		},
		{
			name: "read-back after an update answered 204",
			answer: func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPatch {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				writeError(w, http.StatusBadRequest, "0x80040203", "auth value "+strings.ToUpper(authValue)+" rejected")
			},
			write: func(c *Client) error {
				v := authValue
				_, err := c.UpdateWebhook(context.Background(), webhookID, WebhookUpdate{AuthValue: &v, AuthType: new(AuthTypeWebhookKey)})
				return err
			},
		},
		{
			name: "redirect to a host named after the secret",
			answer: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "https://"+authValue+".example.net/")
				w.WriteHeader(http.StatusTemporaryRedirect)
			},
			write: func(c *Client) error {
				_, err := c.CreateWebhook(context.Background(), WebhookCreate{Name: "n", URL: "https://x.example", AuthType: AuthTypeWebhookKey, AuthValue: authValue})
				return err
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) { tc.answer(w, r) })
			requireErrorWithout(t, h, tc.write(h.client), authValue)
		})
	}
}

// A system job id in a query's answer goes into a delete's URL only when it is a GUID.
func TestJobIDsThatAreNotGUIDsAreNeverDeleted(t *testing.T) {
	t.Parallel()
	const jobID = "7777aaaa-0000-4000-8000-000000000009"
	var deletes atomic.Int32
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		if r.Method == http.MethodDelete {
			deletes.Add(1)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"value": []any{
			map[string]any{"asyncoperationid": jobID + ")/../../serviceendpoints(" + webhookID},
		}})
	})
	res, err := h.client.DeleteCompletedJobs(context.Background(), JobCleanup{StepIDs: []string{stepID}, Failed: true, Max: 10, CompletedBefore: time.Now()}, nil)
	if err == nil || !strings.Contains(err.Error(), "is not a GUID") {
		t.Errorf("err = %v, want the id refused", err)
	}
	if n := deletes.Load(); n != 0 || res.Deleted != 0 {
		t.Errorf("%d deletes sent, %d counted; want none", n, res.Deleted)
	}
}

// A clean-up deletes the jobs its filter chose and no other: a server that lists others, on the
// first page or on one its next link reached with the filter dropped, has nothing deleted.
func TestCleanUpDeletesOnlyTheJobsItsFilterChose(t *testing.T) {
	t.Parallel()
	before := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	chosen := func() map[string]any {
		return map[string]any{"asyncoperationid": "7777aaaa-0000-4000-8000-000000000001", "statecode": 3, "statuscode": 31,
			"_owningextensionid_value": stepID, "completedon": "2025-12-31T23:00:00Z"}
	}
	for name, change := range map[string]func(map[string]any){
		"chosen":           func(map[string]any) {},
		"not completed":    func(row map[string]any) { row["statecode"] = 1 },
		"succeeded":        func(row map[string]any) { row["statuscode"] = 30 },
		"of another step":  func(row map[string]any) { row["_owningextensionid_value"] = stepID2 },
		"of no step":       func(row map[string]any) { delete(row, "_owningextensionid_value") },
		"completed later":  func(row map[string]any) { row["completedon"] = "2026-01-01T00:00:00Z" },
		"never completed":  func(row map[string]any) { delete(row, "completedon") },
		"state not given":  func(row map[string]any) { delete(row, "statecode") },
		"on the next page": nil,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var deletes atomic.Int32
			var h *harness
			h = newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				switch {
				case r.Method == http.MethodDelete:
					deletes.Add(1)
					w.WriteHeader(http.StatusNoContent)
				case change != nil:
					row := chosen()
					change(row)
					writeJSON(w, http.StatusOK, map[string]any{"value": []any{row}})
				case n == 1:
					writeJSON(w, http.StatusOK, map[string]any{"value": []any{chosen()},
						"@odata.nextLink": h.srv.URL + "/api/data/v9.2/asyncoperations?$select=asyncoperationid"})
				default:
					writeJSON(w, http.StatusOK, map[string]any{"value": []any{map[string]any{"asyncoperationid": "7777aaaa-0000-4000-8000-000000000002"}}})
				}
			})
			res, err := h.client.DeleteCompletedJobs(context.Background(), JobCleanup{StepIDs: []string{stepID}, Failed: true, Max: 10, CompletedBefore: before}, nil)
			if name == "chosen" {
				if err != nil || res.Deleted != 1 || deletes.Load() != 1 {
					t.Fatalf("res = %+v, err = %v, %d deletes; want the chosen job deleted", res, err, deletes.Load())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "did not ask for") {
				t.Errorf("err = %v, want the answer refused", err)
			}
			if n := deletes.Load(); n != 0 || res.Deleted != 0 {
				t.Errorf("%d deletes sent, %d counted; want none", n, res.Deleted)
			}
		})
	}
}

// Ids a server answers with go into URLs, errors and the import commands the provider suggests:
// a row whose key or lookup is not a GUID is refused, naming the column, never quoting it.
func TestRowsWithIDsThatAreNotGUIDsAreRefused(t *testing.T) {
	t.Parallel()
	const planted = "\x1b]8;;https://evil.example\x07x\x1b]8;;\x07 terraform import evil"
	tests := []struct {
		name, column string
		answer       func() any
		call         func(c *Client) error
	}{
		{"a listed webhook's key", "serviceendpointid", func() any {
			return map[string]any{"value": []any{webhookRow(planted, "orders")}}
		}, func(c *Client) error { _, err := c.ListWebhooks(context.Background(), WebhookFilter{}); return err }},
		{"a listed webhook's empty key", "serviceendpointid", func() any {
			return map[string]any{"value": []any{webhookRow("", "orders")}}
		}, func(c *Client) error { _, err := c.ListWebhooks(context.Background(), WebhookFilter{}); return err }},
		{"a listed job's empty key", "asyncoperationid", func() any {
			return map[string]any{"value": []any{map[string]any{"asyncoperationid": "", "_owningextensionid_value": stepID, "statuscode": 31}}}
		}, func(c *Client) error {
			_, err := c.ListFailedJobs(context.Background(), FailedJobsQuery{StepIDs: []string{stepID}, Top: 5})
			return err
		}},
		{"a step's webhook lookup", "_eventhandler_value", func() any {
			row := stepRowJSON(stepID, "s", true)
			row["_eventhandler_value"] = planted
			return row
		}, func(c *Client) error { _, err := c.GetStep(context.Background(), stepID); return err }},
		{"a listed image's key", "sdkmessageprocessingstepimageid", func() any {
			return map[string]any{"value": []any{map[string]any{
				"sdkmessageprocessingstepimageid": planted, "_sdkmessageprocessingstepid_value": stepID,
				"name": "before", "entityalias": "before", "imagetype": 0, "messagepropertyname": "Target",
			}}}
		}, func(c *Client) error { _, err := c.ListStepImages(context.Background(), stepID); return err }},
		{"a failed job's step", "_owningextensionid_value", func() any {
			return map[string]any{"value": []any{map[string]any{
				"asyncoperationid": fakeID(9, 1), "_owningextensionid_value": planted, "statuscode": 31,
			}}}
		}, func(c *Client) error {
			_, err := c.ListFailedJobs(context.Background(), FailedJobsQuery{StepIDs: []string{stepID}, Top: 5})
			return err
		}},
		{"a step's run-as user", "_impersonatinguserid_value", func() any {
			row := stepRowJSON(stepID, "s", true)
			row["_impersonatinguserid_value"] = "not-a-guid"
			return row
		}, func(c *Client) error { _, err := c.GetStep(context.Background(), stepID); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				writeJSON(w, http.StatusOK, tt.answer())
			})
			err := tt.call(h.client)
			if err == nil || !strings.Contains(err.Error(), "whose "+tt.column+" is not a GUID") {
				t.Fatalf("err = %v, want one naming %s", err, tt.column)
			}
			if strings.Contains(err.Error(), "evil") || strings.Contains(err.Error(), "not-a-guid") || strings.ContainsRune(err.Error(), '\x1b') {
				t.Errorf("the error quotes the server's id: %q", err)
			}
		})
	}
}

// A next link to the query's own path is followed, with or without a trailing slash.
func TestPagingFollowsNextLinksOfTheQuerysOwnPath(t *testing.T) {
	t.Parallel()
	for name, path := range map[string]string{
		"as sent":               "/api/data/v9.2/serviceendpoints",
		"with a trailing slash": "/api/data/v9.2/serviceendpoints/",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var h *harness
			h = newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				page := map[string]any{"value": []any{webhookRow(fakeID(1, n), fmt.Sprint("w", n))}}
				if n == 1 {
					page["@odata.nextLink"] = h.srv.URL + path + "?$skiptoken=2"
				}
				writeJSON(w, http.StatusOK, page)
			})
			got, err := h.client.ListWebhooks(context.Background(), WebhookFilter{})
			if err != nil || len(got) != 2 {
				t.Fatalf("got %d webhooks, %v; want 2 from two pages", len(got), err)
			}
		})
	}
}

func TestCheckRowIDs(t *testing.T) {
	t.Parallel()
	type job struct {
		ID     string `json:"asyncoperationid"`
		HostID string `json:"hostid"`
		StepID string `json:"_owningextensionid_value"`
		Table  string `json:"_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname"`
	}
	ok := job{ID: fakeID(1, 1), HostID: "AMS705A1000001.MSCRMAsyncService.cb5c0dda", Table: "account"}
	if err := checkRows("reading jobs", []job{ok}); err != nil {
		t.Errorf("a row with a host name, an empty lookup and a lookup's table: %v", err)
	}
	bad := ok
	bad.StepID = "0000"
	if err := checkRows("reading jobs", &bad); err == nil || !strings.Contains(err.Error(), "_owningextensionid_value is not a GUID") {
		t.Errorf("a lookup that is not a GUID: %v", err)
	}
}

// Hosts and certificate names are text the server, or whoever stands in its place, chose: they
// reach errors with no control, format or bidirectional character.
func TestServerChosenNamesReachErrorsAsPlainText(t *testing.T) {
	t.Parallel()
	const forged = "\u202e\u2066\u009b2J"
	plain := func(t *testing.T, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want one saying %q", err, want)
		}
		if strings.ContainsAny(err.Error(), "\x1b\r\n\u202e\u2066\u009b") {
			t.Errorf("error carries control characters: %q", err)
		}
	}
	t.Run("redirect", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
			w.Header().Set("Location", "https://moc.elpmaxe"+forged+"%c2%9b2J.example/x")
			w.WriteHeader(http.StatusTemporaryRedirect)
		})
		_, err := h.client.GetWebhook(context.Background(), webhookID)
		plain(t, err, "redirect to host moc.elpmaxe")
	})
	t.Run("next link", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
			writeJSON(w, http.StatusOK, map[string]any{"value": []any{webhookRow(webhookID, "a")},
				"@odata.nextLink": "https://evil" + forged + ".example/api/data/v9.2/serviceendpoints"})
		})
		_, err := h.client.ListWebhooks(context.Background(), WebhookFilter{})
		plain(t, err, "next link to another host (evil")
	})
	// Go checks the name before the chain, so a certificate that no one trusts still has its
	// names quoted: whoever can answer on the network chooses them.
	t.Run("certificate names", func(t *testing.T) {
		t.Parallel()
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		cert := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "forged"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			DNSNames: []string{"x\x1b[2J\x1b[32mApply complete!\x1b[0m\r\nRun: terraform import dataverse_webhook.x 1"}, // IA5: ASCII only
		}
		der, err := x509.CreateCertificate(rand.Reader, cert, cert, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(http.NotFoundHandler())
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		c, err := New(Config{
			EnvironmentURL: "https://localhost:" + port,
			TokenSource:    &staticTokens{},
			HTTPClient:     &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.GetWebhook(context.Background(), webhookID)
		plain(t, err, "Apply complete!")
	})
}

// A row as short as {} decodes to a whole struct: a page is read row by row and refused once it
// holds more rows than any read needs, before they take memory.
func TestAPageOfMoreRowsThanAnyReadNeedsIsRefused(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		page    func() []byte
		wantErr string
		rows    int
	}{
		"too many rows": {page: func() []byte {
			return []byte(`{"value":[` + strings.Repeat(`{},`, maxRowsPerPage) + `{}]}`)
		}, wantErr: "holds more than 50000 rows"},
		"as many rows as allowed": {page: func() []byte {
			row := `{"serviceendpointid":"` + webhookID + `","name":"orders","contract":8}`
			return []byte(`{"value":[` + strings.Repeat(row+`,`, maxRowsPerPage-1) + row + `]}`)
		}, rows: maxRowsPerPage},
		"members in other case, others skipped": {page: func() []byte {
			return []byte(`{"@odata.context":"x","Value":[` + `{"serviceendpointid":"` + webhookID + `","name":"orders","contract":8}],"@Microsoft.Dynamics.CRM.totalrecordcount":-1,"extra":{"value":[1,2]}}`)
		}, rows: 1},
		"null value":            {page: func() []byte { return []byte(`{"value":null}`) }},
		"value not a list":      {page: func() []byte { return []byte(`{"value":{}}`) }, wantErr: "a value that is not"},
		"not an object":         {page: func() []byte { return []byte(`[]`) }, wantErr: "a value that is not"},
		"followed by more":      {page: func() []byte { return []byte(`{"value":[]} {"value":[]}`) }, wantErr: "a value of the wrong form"},
		"cut short":             {page: func() []byte { return []byte(`{"value":[{"name":"a"}`) }, wantErr: "decoding page 1"},
		"row of the wrong kind": {page: func() []byte { return []byte(`{"value":[{"name":5}]}`) }, wantErr: "a value that is not a string"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			page := tc.page()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(page)
			})
			got, err := h.client.ListWebhooks(context.Background(), WebhookFilter{})
			if tc.wantErr == "" {
				if err != nil || len(got) != tc.rows {
					t.Fatalf("%d rows, err %v; want %d rows", len(got), err, tc.rows)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("%d rows, err = %v; want an error saying %q", len(got), err, tc.wantErr)
			}
		})
	}
}

// Reads at once share one bound on what they hold: Terraform reads many data sources at a time,
// and ten endless reads, each within its own bound, held gigabytes together.
func TestReadsInProgressShareOneBound(t *testing.T) {
	t.Parallel()
	const reads = 10
	big := strings.Repeat("x", 4<<20)
	var peak atomic.Int64 // the most the reads held together, as seen at each request
	var endless atomic.Bool
	endless.Store(true)
	var h *harness
	h = newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		page := map[string]any{"value": []any{}}
		if endless.Load() {
			row := webhookRow(fakeID(1, n), "w")
			row["description"] = big
			page = map[string]any{"value": []any{row}, "@odata.nextLink": fmt.Sprintf("%s%sserviceendpoints?page=%d", h.srv.URL, APIPath, n)}
		}
		b, _ := json.Marshal(page)
		peak.Store(max(peak.Load(), h.client.readBytesHeld.Load())) // racy max, close enough: pages are 4 MiB
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	var wg sync.WaitGroup
	errs := make([]error, reads)
	for i := range reads {
		wg.Go(func() { _, errs[i] = h.client.ListWebhooks(context.Background(), WebhookFilter{}) })
	}
	wg.Wait()
	together := 0
	for i, err := range errs {
		if err == nil {
			t.Fatalf("read %d of endless pages succeeded", i)
		}
		if strings.Contains(err.Error(), "reads in progress add up to more than 512 MiB") {
			together++
		}
	}
	if together == 0 {
		t.Errorf("no read was stopped by the bound on reads together: %v", errs[0])
	}
	if got, bound := peak.Load(), int64(maxBytesInReads+reads*len(big)*2); got > bound {
		t.Errorf("the reads held %s of answers together, want at most %s", untrusted.FormatBytes(got), untrusted.FormatBytes(bound))
	}
	if held := h.client.readBytesHeld.Load(); held != 0 {
		t.Errorf("%d bytes still counted as held after every read ended", held)
	}
	endless.Store(false)
	if _, err := h.client.ListWebhooks(context.Background(), WebhookFilter{}); err != nil {
		t.Errorf("a read after the others ended: %v", err)
	}
}

// Two reads near their own bound, which each read alone may reach, both pass when they overlap.
func TestTwoLargeReadsAtOnceBothPass(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 4<<20)
	const pages = 35 // 140 MiB each, 280 MiB together
	var h *harness
	h = newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		row := webhookRow(fakeID(1, n), "w")
		row["description"] = big
		answer := map[string]any{"value": []any{row}}
		if page < pages-1 {
			answer["@odata.nextLink"] = fmt.Sprintf("%s%sserviceendpoints?page=%d&read=%s", h.srv.URL, APIPath, page+1, r.URL.Query().Get("read"))
		}
		b, _ := json.Marshal(answer)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = getCollection[Webhook](context.Background(), h.client, &request{path: setServiceEndpoints, query: query{}.with("read", strconv.Itoa(i))}, 0)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("read %d of %d pages of 4 MiB beside another: %v", i, pages, err)
		}
	}
}

// A read split into chunks of step ids has the bounds of one read: each chunk's answer within
// them cannot add up to more rows than any read needs.
func TestAReadInChunksSharesOneBound(t *testing.T) {
	t.Parallel()
	const chunks = 7 // 7 × 40,000 rows: each chunk's page within the bounds, all of them not
	const row = `{"sdkmessageprocessingstepimageid":"00000000-0000-0000-0000-000000000001"}`
	page := []byte(`{"value":[` + strings.Repeat(row+`,`, 40_000-1) + row + `]}`)
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(page)
	})
	stepIDs := make([]string, chunks*stepHandlerChunk)
	for i := range stepIDs {
		stepIDs[i] = fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
	}
	images, err := h.client.ListImagesOfSteps(context.Background(), stepIDs)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d together", maxRowsPerRead)) {
		t.Fatalf("%d steps' images, err = %v; want the read refused at %d rows", len(images), err, maxRowsPerRead)
	}
}

// Text columns go into state, and Terraform shows a value of several lines as it is: what could
// rewrite a terminal is removed on the way in, and the lines are kept.
func TestTextColumnsLoseTerminalControls(t *testing.T) {
	t.Parallel()
	const stored = "line1\r\n\x1b]0;PWNED\x07\x1b[2J\u009b31mError: forged\u202e\rline3"
	const want = "line1\r\n]0;PWNED[2J31mError: forgedline3"
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		row := webhookRow(webhookID, "orders\x1b[8m")
		row["description"] = stored
		if strings.HasSuffix(r.URL.Path, "serviceendpoints") {
			writeJSON(w, http.StatusOK, map[string]any{"value": []any{row}})
			return
		}
		writeJSON(w, http.StatusOK, row)
	})
	read, err := h.client.GetWebhook(context.Background(), webhookID)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := h.client.ListWebhooks(context.Background(), WebhookFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 {
		t.Fatalf("%d webhooks listed, want 1", len(listed))
	}
	for how, w := range map[string]*Webhook{"read": read, "listed": &listed[0]} {
		if w.Description != want || w.Name != "orders[8m" || w.ID != webhookID {
			t.Errorf("%s: name %q, description %q, id %s; want %q, %q, %s", how, w.Name, w.Description, w.ID, "orders[8m", want, webhookID)
		}
	}
}
