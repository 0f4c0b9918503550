package dataverse

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fixed ids used across tests.
const (
	webhookID  = "0b9a4c52-1e6f-4c1a-9d6e-3f1f2b7c8a01"
	webhookID2 = "0b9a4c52-1e6f-4c1a-9d6e-3f1f2b7c8a02"
	stepID     = "5d2f7e10-8a3b-4c55-b1e2-7c9d0a1b2c03"
	stepID2    = "5d2f7e10-8a3b-4c55-b1e2-7c9d0a1b2c04"
	messageID  = "20bebec3-5a7b-4d1b-9f0c-11d2e3f4a505"
	filterID   = "83c9bb0b-7a1c-4e8b-a3d4-0f1e2d3c4b06"
	userID     = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a07"
	imageID    = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b08"
	jobID      = "77777777-1111-4222-8333-444444444409"
)

// staticTokens hands out a fixed token and records each call's forceRefresh.
type staticTokens struct {
	mu     sync.Mutex
	calls  []bool
	tokenF func(force bool) string
}

func (s *staticTokens) Token(_ context.Context, force bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, force)
	if s.tokenF != nil {
		return s.tokenF(force), nil
	}
	return "test-token", nil
}

func (s *staticTokens) forced() []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bool(nil), s.calls...)
}

// seen is one request as the server received it.
type seen struct {
	Method   string
	Path     string
	URI      string // as sent, before any decoding
	RawQuery string
	Query    url.Values
	Header   http.Header
	Body     string
}

// harness is a local Web API double plus a client pointed at it. Sleeps are recorded, never
// slept.
type harness struct {
	t       *testing.T
	srv     *httptest.Server
	client  *Client
	tokens  *staticTokens
	mu      sync.Mutex
	reqs    []seen
	waits   []time.Duration
	logs    []RequestLog
	handler func(w http.ResponseWriter, r *http.Request, n int, body string)
}

type option func(*Config)

// newHarness starts a TLS server on loopback whose handler gets the 1-based request number.
func newHarness(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, n int, body string), opts ...option) *harness {
	t.Helper()
	h := &harness{t: t, tokens: &staticTokens{}, handler: handler}
	h.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, seen{Method: r.Method, Path: r.URL.Path, URI: r.RequestURI, RawQuery: r.URL.RawQuery, Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(body)})
		n := len(h.reqs)
		h.mu.Unlock()
		w.Header().Set("OData-Version", "4.0")
		h.handler(w, r, n, string(body))
	}))
	t.Cleanup(h.srv.Close)
	cfg := Config{
		EnvironmentURL: h.srv.URL,
		TokenSource:    h.tokens,
		HTTPClient:     h.srv.Client(),
		UserAgent:      "dataverse-test",
		OnRequest: func(_ context.Context, l RequestLog) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.logs = append(h.logs, l)
		},
		sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.waits = append(h.waits, d)
			return ctx.Err()
		},
		jitter: func(time.Duration) time.Duration { return 0 },
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.client = c
	return h
}

func (h *harness) requests() []seen {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]seen(nil), h.reqs...)
}

func (h *harness) recordedWaits() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.waits...)
}

// wantRequests fails the test unless the server saw exactly want requests; why, if set, says
// what the count shows.
func (h *harness) wantRequests(t *testing.T, want int, why string) {
	t.Helper()
	if n := len(h.requests()); n != want {
		if why != "" {
			why = ": " + why
		}
		t.Errorf("requests = %d, want %d%s", n, want, why)
	}
}

// wantNoWaits fails the test if the client backed off at all; why, if set, says why it must not.
func (h *harness) wantNoWaits(t *testing.T, why string) {
	t.Helper()
	if w := h.recordedWaits(); len(w) != 0 {
		if why != "" {
			why = ": " + why
		}
		t.Errorf("waits = %v, want none%s", w, why)
	}
}

func (h *harness) requestLogs() []RequestLog {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]RequestLog(nil), h.logs...)
}

// onlyRequest returns the single request the server saw, failing otherwise.
func (h *harness) onlyRequest() seen {
	h.t.Helper()
	reqs := h.requests()
	if len(reqs) != 1 {
		h.t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message}})
}

// dropConnection closes the connection without an answer, as a reset would.
func dropConnection(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Errorf("response writer cannot hijack")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

// want describes the request a test expects.
type want struct {
	Method string
	Path   string            // below /api/data/v9.2/
	Query  map[string]string // decoded; every parameter must match and no other may be present
	Header map[string]string // must be present with these values
	Absent []string          // headers that must not be present
	Body   string            // JSON, compared structurally; "" means no body
}

func checkRequest(t *testing.T, got seen, w want) {
	t.Helper()
	if got.Method != w.Method {
		t.Errorf("method = %s, want %s", got.Method, w.Method)
	}
	if wantPath := APIPath + w.Path; got.Path != wantPath {
		t.Errorf("path = %s, want %s", got.Path, wantPath)
	}
	if rawPath, _, _ := strings.Cut(got.URI, "?"); rawPath != APIPath+w.Path {
		t.Errorf("path on the wire = %s, want %s", rawPath, APIPath+w.Path)
	}
	gotQuery := map[string]string{}
	for k, v := range got.Query {
		gotQuery[k] = strings.Join(v, "|")
	}
	if w.Query == nil {
		w.Query = map[string]string{}
	}
	if !reflect.DeepEqual(gotQuery, w.Query) {
		t.Errorf("query =\n  %v\nwant\n  %v", gotQuery, w.Query)
	}
	for k := range got.Query {
		if strings.HasPrefix(k, "$") && !strings.Contains(got.RawQuery, k+"=") {
			t.Errorf("query option %s was escaped in %q; option names must stay literal", k, got.RawQuery)
		}
	}
	base := map[string]string{
		"Accept":           "application/json",
		"OData-MaxVersion": "4.0",
		"OData-Version":    "4.0",
		"Authorization":    "Bearer test-token",
		"User-Agent":       "dataverse-test",
	}
	if w.Body != "" {
		base["Content-Type"] = "application/json; charset=utf-8"
	}
	for k, v := range w.Header {
		base[k] = v
	}
	for k, v := range base {
		if g := got.Header.Get(k); g != v {
			t.Errorf("header %s = %q, want %q", k, g, v)
		}
	}
	for _, k := range w.Absent {
		if g := got.Header.Values(k); len(g) > 0 {
			t.Errorf("header %s = %q, want it absent", k, g)
		}
	}
	if w.Body == "" {
		if got.Body != "" {
			t.Errorf("body = %s, want none", got.Body)
		}
		if got.Header.Get("Content-Type") != "" {
			t.Errorf("Content-Type %q sent without a body", got.Header.Get("Content-Type"))
		}
		return
	}
	var gotBody, wantBody any
	if err := json.Unmarshal([]byte(got.Body), &gotBody); err != nil {
		t.Fatalf("request body is not JSON: %v: %s", err, got.Body)
	}
	if err := json.Unmarshal([]byte(w.Body), &wantBody); err != nil {
		t.Fatalf("bad wanted body: %v", err)
	}
	if !reflect.DeepEqual(gotBody, wantBody) {
		t.Errorf("body =\n  %s\nwant\n  %s", got.Body, w.Body)
	}
}

// stepChange is the update that makes change to a step of valid settings: its body holds only
// the columns change touches.
func stepChange(change func(*StepSettings)) StepUpdate {
	from := StepSettings{Name: "before", Mode: StepModeAsynchronous, Stage: StepStagePostOperation, Rank: 1}
	to := from
	change(&to)
	return StepUpdate{From: from, To: to}
}

// keyOfRequest returns the key a request names: the id in set(<id>) of its path, or the
// primary key column of a create's body.
func keyOfRequest(r *http.Request, body, keyColumn string) string {
	if i := strings.LastIndex(r.URL.Path, "("); i >= 0 {
		return strings.TrimSuffix(r.URL.Path[i+1:], ")")
	}
	var row map[string]any
	_ = json.Unmarshal([]byte(body), &row)
	id, _ := row[keyColumn].(string)
	return id
}

// rememberFilter gives the catalog a filter as if the client had resolved its message and table.
func (k *catalog) rememberFilter(f MessageFilter) {
	k.pairs.mu.Lock()
	if k.pairs.answers == nil {
		k.pairs.answers = map[string]cachedAnswer[MessageFilter]{}
	}
	k.pairs.answers[filterKey(f.Message, f.Table)] = cachedAnswer[MessageFilter]{value: f}
	k.pairs.mu.Unlock()
	k.rememberFilterID(f)
}
