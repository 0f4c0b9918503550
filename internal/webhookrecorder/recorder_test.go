package webhookrecorder

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, url, body string, header map[string]string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestRecorderKeepsPostsByPathWithoutKeys(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&Recorder{})
	t.Cleanup(srv.Close)

	if code := post(t, srv.URL+"/hooks/a?code=the-key", `{"MessageName":"Update"}`, map[string]string{
		"Content-Type":                    "application/json",
		"X-MS-Dynamics-Msg-Size-Exceeded": "true",
		"X-Api-Key":                       "header-secret",
		"Authorization":                   "Bearer token",
		"x-ms-correlation-request-id":     "c0ffee",
	}); code != http.StatusOK {
		t.Fatalf("POST answered %d, want 200", code)
	}
	if code := post(t, srv.URL+"/hooks/a", `{"MessageName":"Create"}`, nil); code != http.StatusOK {
		t.Fatalf("second POST answered %d, want 200", code)
	}
	if code := post(t, srv.URL+"/hooks/b", `{}`, nil); code != http.StatusOK {
		t.Fatalf("POST to another path answered %d, want 200", code)
	}

	posts, err := Read(t.Context(), http.DefaultClient, srv.URL+"/hooks/a", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 || string(posts[0].Body) != `{"MessageName":"Update"}` || string(posts[1].Body) != `{"MessageName":"Create"}` {
		t.Fatalf("posts of /hooks/a = %+v, want the two posted to it in order", posts)
	}
	if posts[0].Size != len(`{"MessageName":"Update"}`) {
		t.Errorf("size = %d", posts[0].Size)
	}
	h := posts[0].Header
	if h.Get("X-Ms-Dynamics-Msg-Size-Exceeded") != "true" || h.Get("X-Ms-Correlation-Request-Id") != "c0ffee" || h.Get("Content-Type") != "application/json" {
		t.Errorf("kept headers = %v, want the x-ms-* ones and Content-Type", h)
	}
	if h.Get("X-Api-Key") != "" || h.Get("X-Ms-Api-Key") != "" || h.Get("Authorization") != "" {
		t.Errorf("kept headers = %v: a header that may carry a key was kept", h)
	}

	resp, err := http.Get(srv.URL + "/hooks/a") //nolint:noctx // a test's one-off read
	if err != nil {
		t.Fatal(err)
	}
	var raw strings.Builder
	_, _ = io.Copy(&raw, resp.Body)
	_ = resp.Body.Close()
	if strings.Contains(raw.String(), "the-key") || strings.Contains(raw.String(), "header-secret") || strings.Contains(raw.String(), "token") {
		t.Errorf("the recorder hands back a key: %s", raw.String())
	}

	none, err := Read(t.Context(), http.DefaultClient, srv.URL+"/hooks/never", "")
	if err != nil || len(none) != 0 {
		t.Errorf("posts of a path nobody posted to = %v, %v; want none", none, err)
	}
}

func TestRecorderRefusesWhatItCannotKeep(t *testing.T) {
	t.Parallel()
	// Room for one nine-byte body at /hook with its bookkeeping, not for two.
	srv := httptest.NewServer(&Recorder{MaxKept: 2*(9+len("/hook")+postOverhead) - 1})
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"not JSON", "key=value", http.StatusBadRequest},
		{"larger than MaxBody", `"` + strings.Repeat("x", MaxBody) + `"`, http.StatusRequestEntityTooLarge},
		{"fits", `[1,2,3,4]`, http.StatusOK},
		{"beyond what it keeps in all", `[5,6,7,8]`, http.StatusInsufficientStorage},
	} {
		if got := post(t, srv.URL+"/hook", tc.body, nil); got != tc.want {
			t.Errorf("%s: answered %d, want %d", tc.name, got, tc.want)
		}
	}
	posts, err := Read(t.Context(), http.DefaultClient, srv.URL+"/hook", "")
	if err != nil || len(posts) != 1 {
		t.Fatalf("kept %d posts (%v), want the one that fitted", len(posts), err)
	}

	// Forgetting what was read makes room again.
	if err := Forget(t.Context(), http.DefaultClient, srv.URL+"/hook", ""); err != nil {
		t.Fatal(err)
	}
	if posts, err := Read(t.Context(), http.DefaultClient, srv.URL+"/hook", ""); err != nil || len(posts) != 0 {
		t.Fatalf("after DELETE: %d posts (%v), want none", len(posts), err)
	}
	if got := post(t, srv.URL+"/hook", `[5,6,7,8]`, nil); got != http.StatusOK {
		t.Errorf("a post after DELETE answered %d, want 200", got)
	}

	req, err := http.NewRequestWithContext(context.Background(), http.MethodPut, srv.URL+"/hook", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT answered %d, want 405", resp.StatusCode)
	}
}

// With a read token, posting needs nothing and reading or forgetting needs the token.
func TestRecorderReadTokenGuardsReads(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&Recorder{ReadToken: "reader-token"})
	t.Cleanup(srv.Close)
	if code := post(t, srv.URL+"/hook", `{"MessageName":"Update"}`, nil); code != http.StatusOK {
		t.Fatalf("POST answered %d, want 200", code)
	}
	for _, token := range []string{"", "wrong", "reader-token-and-more"} {
		if _, err := Read(t.Context(), http.DefaultClient, srv.URL+"/hook", token); err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("GET with token %q: %v, want 401", token, err)
		}
		if err := Forget(t.Context(), http.DefaultClient, srv.URL+"/hook", token); err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("DELETE with token %q: %v, want 401", token, err)
		}
	}
	posts, err := Read(t.Context(), http.DefaultClient, srv.URL+"/hook", "reader-token")
	if err != nil || len(posts) != 1 {
		t.Fatalf("GET with the token: %d posts (%v), want the one posted", len(posts), err)
	}
}

// A reply is the bodies as JSON without HTML escaping, so it is no larger than what was kept.
func TestRecorderRepliesWithoutEscaping(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&Recorder{})
	t.Cleanup(srv.Close)
	body := `"` + strings.Repeat("<&>", 1000) + `"`
	if code := post(t, srv.URL+"/hook", body, nil); code != http.StatusOK {
		t.Fatalf("POST answered %d", code)
	}
	resp, err := http.Get(srv.URL + "/hook") //nolint:noctx // a test's one-off read
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !strings.Contains(string(raw), strings.Repeat("<&>", 1000)) || len(raw) > len(body)+200 {
		t.Errorf("reply of %d bytes for a body of %d, escaped or padded", len(raw), len(body))
	}
}

func TestReadReportsARecorderThatIsNotOne(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("<html>hello</html>"))
	}))
	t.Cleanup(srv.Close)
	if _, err := Read(t.Context(), http.DefaultClient, srv.URL+"/missing", ""); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a 404: error %v, want one naming the status", err)
	}
	if _, err := Read(t.Context(), http.DefaultClient, srv.URL+"/page", ""); err == nil || !strings.Contains(err.Error(), "not a list of posts") {
		t.Errorf("a page: error %v, want one saying it is not a list of posts", err)
	}
}

// Senders that hold their bodies open take at most MaxPostsInFlight readers; the next post is
// answered 503 until one finishes.
func TestRecorderBoundsThePostsItReadsAtOnce(t *testing.T) {
	t.Parallel()
	rec := &Recorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	var writers []*io.PipeWriter
	done := make(chan int, MaxPostsInFlight)
	for range MaxPostsInFlight {
		body, w := io.Pipe()
		writers = append(writers, w)
		go func() {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/stalled", body)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- 0
				return
			}
			_ = resp.Body.Close()
			done <- resp.StatusCode
		}()
		_, _ = w.Write([]byte("[1,"))
	}
	for deadline := time.Now().Add(10 * time.Second); rec.inFlight.Load() < MaxPostsInFlight; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d posts in flight, want %d", rec.inFlight.Load(), MaxPostsInFlight)
		}
	}
	if got := post(t, srv.URL+"/hook", `[1]`, nil); got != http.StatusServiceUnavailable {
		t.Errorf("a post beyond those in flight answered %d, want 503", got)
	}
	for _, w := range writers {
		_, _ = w.Write([]byte("2]"))
		_ = w.Close()
	}
	for range MaxPostsInFlight {
		if code := <-done; code != http.StatusOK {
			t.Errorf("a stalled post answered %d once finished, want 200", code)
		}
	}
	if got := post(t, srv.URL+"/hook", `[1]`, nil); got != http.StatusOK {
		t.Errorf("a post after those finished answered %d, want 200", got)
	}
}
