package dataverse

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestUUIDV5MatchesRFC9562(t *testing.T) {
	t.Parallel()
	// RFC 9562's DNS namespace and the name "www.example.com" give this version 5 UUID
	// (RFC 9562, appendix A.4).
	dns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	if got, want := formatUUID(uuidV5(dns, "www.example.com")), "2ed6657d-e927-568b-95e1-2665a8aea6a2"; got != want {
		t.Errorf("uuidV5 = %s, want %s", got, want)
	}
}

func TestDerivedIDs(t *testing.T) {
	t.Parallel()
	hook := WebhookIDFor("orders", 0)
	if !IsGUID(hook) || hook != WebhookIDFor("Orders", 0) {
		t.Errorf("WebhookIDFor(orders) = %s, WebhookIDFor(Orders) = %s: want one GUID for both spellings", hook, WebhookIDFor("Orders", 0))
	}
	if hook == WebhookIDFor("orders2", 0) {
		t.Error("two names give one webhook id")
	}
	in := StepCreate{
		StepSettings:    StepSettings{Name: "orders: Update of account", Mode: StepModeAsynchronous, Stage: StepStagePostOperation, FilteringAttributes: []string{"name", "telephone1"}},
		WebhookID:       hook,
		MessageID:       messageID,
		MessageFilterID: filterID,
	}
	step := StepIDFor(in, 0)
	same := in
	same.WebhookID, same.Name, same.FilteringAttributes = strings.ToUpper(hook), "ORDERS: update of account", []string{" Telephone1", "name", ""}
	same.Rank, same.Description = 7, "other"
	if StepIDFor(same, 0) != step {
		t.Error("a step's id depends on case, the order of its filtering columns, its rank or its description")
	}
	for name, change := range map[string]func(*StepCreate){
		"webhook":   func(s *StepCreate) { s.WebhookID = WebhookIDFor("other", 0) },
		"name":      func(s *StepCreate) { s.Name = "other" },
		"stage":     func(s *StepCreate) { s.Stage = StepStagePreOperation },
		"mode":      func(s *StepCreate) { s.Mode = StepModeSynchronous },
		"filter":    func(s *StepCreate) { s.MessageFilterID = webhookID },
		"filtering": func(s *StepCreate) { s.FilteringAttributes = []string{"name"} },
	} {
		other := in
		change(&other)
		if StepIDFor(other, 0) == step {
			t.Errorf("two steps that differ in %s share an id", name)
		}
	}
	if WebhookIDFor("orders", 1) == hook || WebhookIDFor("orders", 1) == WebhookIDFor("orders", 2) {
		t.Error("the ids of one name's sequence are not distinct")
	}
	if StepImageIDFor(step, "pre", 0) == StepImageIDFor(step, "Pre", 0) {
		t.Error("aliases are compared exactly, but Pre and pre give one image id")
	}
	if StepImageIDFor(hook, "pre", 0) == WebhookIDFor("pre", 0) {
		t.Error("ids of two kinds of row meet")
	}
	if StepOwnedImageIDFor(step, "pre", 0) == StepImageIDFor(step, "pre", 0) {
		t.Error("an image of its step's definition and one registered on its own share an id")
	}
}

// rowServer is a Web API of one table whose answers to creates a test spoils: the create is
// committed, then answered as answer says (nil: normally).
type rowServer struct {
	mu   sync.Mutex
	rows map[string]map[string]any
	// answer handles the create with the given 1-based attempt number after it was committed
	// (committed false: before). It returns false to answer normally.
	answer func(w http.ResponseWriter, attempt int, committed bool) bool
	posts  int
}

func (s *rowServer) handle(t *testing.T) func(w http.ResponseWriter, r *http.Request, n int, body string) {
	return func(w http.ResponseWriter, r *http.Request, _ int, body string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		switch r.Method {
		case http.MethodPost:
			s.posts++
			if s.answer != nil && s.answer(w, s.posts, false) {
				return
			}
			if _, dup := s.rows[webhookID]; dup {
				writeError(w, http.StatusPreconditionFailed, "0x80040237", "A record with matching key values already exists.")
				return
			}
			s.rows[webhookID] = webhookRow(webhookID, "orders")
			if s.answer != nil && s.answer(w, s.posts, true) {
				return
			}
			writeJSON(w, http.StatusCreated, s.rows[webhookID])
		case http.MethodGet:
			if row, ok := s.rows[webhookID]; ok && strings.Contains(r.URL.Path, webhookID) {
				writeJSON(w, http.StatusOK, row)
				return
			}
			writeError(w, http.StatusNotFound, "0x80040217", "serviceendpoint With Id = "+webhookID+" Does Not Exist")
		default:
			t.Errorf("unexpected %s", r.Method)
		}
	}
}

func TestCreateWithUnknownOutcomeIsReadBack(t *testing.T) {
	t.Parallel()
	unavailable := func(w http.ResponseWriter) {
		writeError(w, http.StatusServiceUnavailable, "", "Service Unavailable")
	}
	// garbledOnCommit answers the committed create with body in place of the row.
	garbledOnCommit := func(contentType string, status int, body string) func(*testing.T, http.ResponseWriter, int, bool) bool {
		return func(_ *testing.T, w http.ResponseWriter, _ int, committed bool) bool {
			if committed {
				w.Header().Set("Content-Type", contentType)
				w.WriteHeader(status)
				_, _ = w.Write([]byte(body))
			}
			return committed
		}
	}
	tests := []struct {
		name string
		// answer spoils the answers; see rowServer.
		answer     func(t *testing.T, w http.ResponseWriter, attempt int, committed bool) bool
		wantLanded bool
		wantErr    string
	}{
		{
			name: "answer lost after commit, then retries run out",
			answer: func(t *testing.T, w http.ResponseWriter, attempt int, committed bool) bool {
				switch {
				case attempt == 1 && committed:
					dropConnection(t, w)
					return true
				case attempt > 1 && !committed:
					unavailable(w)
					return true
				}
				return false
			},
			wantLanded: true,
		},
		{
			name:       "committed, answered with an HTML page",
			answer:     garbledOnCommit("text/html", http.StatusOK, "<html><body>Bad gateway</body></html>"),
			wantLanded: true,
		},
		{
			name:       "committed, answered with cut-off JSON",
			answer:     garbledOnCommit("application/json", http.StatusCreated, `{"serviceendpointid":"`+webhookID+`","na`),
			wantLanded: true,
		},
		{
			name: "never committed, retries run out",
			answer: func(_ *testing.T, w http.ResponseWriter, _ int, committed bool) bool {
				if !committed {
					unavailable(w)
				}
				return !committed
			},
			wantErr: "gave up after 3 attempts",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &rowServer{rows: map[string]map[string]any{}}
			s.answer = func(w http.ResponseWriter, attempt int, committed bool) bool {
				return tt.answer(t, w, attempt, committed)
			}
			h := newHarness(t, s.handle(t), func(c *Config) { c.MaxRetries = 3 })
			got, err := h.client.CreateWebhook(context.Background(), WebhookCreate{ID: webhookID, Name: "orders", URL: "https://hooks.example.com/in", AuthType: AuthTypeWebhookKey, AuthValue: "k"})
			if tt.wantLanded {
				if err != nil {
					t.Fatalf("CreateWebhook: %v; want the landed row read back", err)
				}
				if got.ID != webhookID || got.Name != "orders" {
					t.Errorf("CreateWebhook = %+v, want the row %s", got, webhookID)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("CreateWebhook error = %v, want one containing %q", err, tt.wantErr)
			}
			if last := h.requests()[len(h.requests())-1]; last.Method != http.MethodGet {
				t.Errorf("the last request was %s %s; want the row looked for before the failure is reported", last.Method, last.Path)
			}
		})
	}
}

func TestCreateMeetingAnOlderRowReportsDuplicate(t *testing.T) {
	t.Parallel()
	s := &rowServer{rows: map[string]map[string]any{webhookID: webhookRow(webhookID, "orders")}}
	h := newHarness(t, s.handle(t))
	_, err := h.client.CreateWebhook(context.Background(), WebhookCreate{ID: webhookID, Name: "orders", URL: "https://hooks.example.com/in", AuthType: AuthTypeWebhookKey, AuthValue: "k"})
	if !errors.Is(err, ErrDuplicateRecord) {
		t.Fatalf("CreateWebhook error = %v, want one matching ErrDuplicateRecord: only the caller can tell whether the row is its own", err)
	}
	h.wantRequests(t, 1, "the one create")
}
