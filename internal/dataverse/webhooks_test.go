package dataverse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const webhookSelect = "serviceendpointid,name,url,description,contract,authtype,isauthvalueset,createdon,modifiedon"

func webhookRow(id, name string) map[string]any {
	return map[string]any{
		"@odata.context":        "https://org/api/data/v9.2/$metadata#serviceendpoints/$entity",
		"serviceendpointid":     id,
		"name":                  name,
		"url":                   "https://hooks.example.com/in",
		"description":           "orders",
		"contract":              8,
		"authtype":              5,
		"isauthvalueset":        true,
		"createdon":             "2024-05-01T10:00:00Z",
		"modifiedon":            "2024-05-02T11:30:00Z",
		"_organizationid_value": "00000000-0000-0000-0000-0000000000aa",
	}
}

func TestCreateWebhookRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeJSON(w, http.StatusCreated, webhookRow(webhookID, "orders"))
	})
	authValue, err := EncodeAuthValue(AuthTypeHTTPHeader, "", map[string]string{"X-Api-Key": "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.client.CreateWebhook(context.Background(), WebhookCreate{
		ID:                 webhookID,
		Name:               "orders",
		URL:                "https://hooks.example.com/in",
		Description:        "orders",
		AuthType:           AuthTypeHTTPHeader,
		AuthValue:          authValue,
		SolutionUniqueName: "hooks",
	})
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	checkRequest(t, h.onlyRequest(), want{
		Method: http.MethodPost,
		Path:   "serviceendpoints",
		Query:  map[string]string{"$select": webhookSelect},
		Header: map[string]string{"Prefer": "return=representation", "MSCRM.SolutionUniqueName": "hooks"},
		Absent: []string{"If-Match"},
		Body: `{"serviceendpointid":"` + webhookID + `","name":"orders","url":"https://hooks.example.com/in",
			"description":"orders","contract":8,"messageformat":2,"userclaim":1,"connectionmode":1,
			"authtype":5,"authvalue":"<settings><setting name=\"X-Api-Key\" value=\"s3cret\" /></settings>"}`,
	})
	wantHook := Webhook{
		ID: webhookID, Name: "orders", URL: "https://hooks.example.com/in", Description: "orders",
		AuthType: AuthTypeHTTPHeader, IsAuthValueSet: true,
		CreatedOn:  time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
		ModifiedOn: time.Date(2024, 5, 2, 11, 30, 0, 0, time.UTC),
	}
	if !got.CreatedOn.Equal(wantHook.CreatedOn) || !got.ModifiedOn.Equal(wantHook.ModifiedOn) {
		t.Errorf("times = %v, %v", got.CreatedOn, got.ModifiedOn)
	}
	got.CreatedOn, got.ModifiedOn = wantHook.CreatedOn, wantHook.ModifiedOn
	if *got != wantHook {
		t.Errorf("webhook = %+v, want %+v", *got, wantHook)
	}
}

// A solution unique name travels in a header: one that could end it is refused before sending.
func TestCreateWebhookRefusesABadSolutionName(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
	})
	_, err := h.client.CreateWebhook(context.Background(), WebhookCreate{Name: "orders", URL: "https://x.example",
		AuthType: AuthTypeWebhookKey, AuthValue: "k3y-value", SolutionUniqueName: "contoso\r\nX-Injected: 1"})
	if err == nil || !strings.Contains(err.Error(), "solution unique name") {
		t.Fatalf("err = %v, want a refused solution unique name", err)
	}
}

func TestCreateWebhookGeneratesIDAndOmitsEmptyColumns(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeJSON(w, http.StatusCreated, webhookRow(keyOfRequest(r, body, "serviceendpointid"), "bare"))
	})
	if _, err := h.client.CreateWebhook(context.Background(), WebhookCreate{Name: "bare", URL: "https://x.example", AuthType: AuthTypeWebhookKey, AuthValue: "k3y-value"}); err != nil {
		t.Fatal(err)
	}
	req := h.onlyRequest()
	if req.Header.Get("MSCRM.SolutionUniqueName") != "" {
		t.Error("solution header sent without a solution")
	}
	for _, col := range []string{`"description"`} {
		if strings.Contains(req.Body, col) {
			t.Errorf("body %s carries %s although it was empty", req.Body, col)
		}
	}
	i := strings.Index(req.Body, `"serviceendpointid":"`)
	if i < 0 {
		t.Fatalf("body lacks a primary key: %s", req.Body)
	}
	id := req.Body[i+len(`"serviceendpointid":"`):][:36]
	if !IsGUID(id) || id[14] != '4' {
		t.Errorf("generated id %q is not a v4 GUID", id)
	}
}

func TestGetWebhook(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		row     map[string]any
		wantErr error
	}{
		{"webhook", http.StatusOK, webhookRow(webhookID, "orders"), nil},
		{"other contract", http.StatusOK, func() map[string]any { r := webhookRow(webhookID, "queue"); r["contract"] = 2; return r }(), ErrNotWebhook},
		{"missing", http.StatusNotFound, nil, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				if tt.row == nil {
					writeError(w, tt.status, "0x80040217", "serviceendpoint With Id = "+webhookID+" Does Not Exist")
					return
				}
				writeJSON(w, tt.status, tt.row)
			})
			got, err := h.client.GetWebhook(context.Background(), webhookID)
			checkRequest(t, h.onlyRequest(), want{
				Method: http.MethodGet,
				Path:   "serviceendpoints(" + webhookID + ")",
				Query:  map[string]string{"$select": webhookSelect},
				Absent: []string{"Prefer", "If-Match", "Content-Type"},
			})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.ID != webhookID || got.Name != "orders" {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
}

func TestUpdateWebhookRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeJSON(w, http.StatusOK, webhookRow(webhookID, "renamed"))
	})
	got, err := h.client.UpdateWebhook(context.Background(), webhookID, WebhookUpdate{
		Name:        new("renamed"),
		Description: new(""),
		AuthType:    new(AuthTypeWebhookKey),
		AuthValue:   new("new-key-value"),
	})
	if err != nil {
		t.Fatalf("UpdateWebhook: %v", err)
	}
	checkRequest(t, h.onlyRequest(), want{
		Method: http.MethodPatch,
		Path:   "serviceendpoints(" + webhookID + ")",
		Query:  map[string]string{"$select": webhookSelect},
		Header: map[string]string{"If-Match": "*", "Prefer": "return=representation"},
		Body:   `{"name":"renamed","description":null,"authtype":4,"authvalue":"new-key-value"}`,
	})
	if got.Name != "renamed" {
		t.Errorf("name = %q", got.Name)
	}
}

// A 2xx says the change was stored even when its echo cannot be decoded, so the row is read back
// rather than the update reported failed.
func TestUpdateAnsweredWithAnUndecodableRowReadsItBack(t *testing.T) {
	t.Parallel()
	for name, answer := range map[string]func(w http.ResponseWriter){
		"an HTML page": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("<html><body>Bad gateway</body></html>"))
		},
		"cut-off JSON": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"serviceendpointid":"` + webhookID + `","na`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				if r.Method == http.MethodPatch {
					answer(w)
					return
				}
				writeJSON(w, http.StatusOK, webhookRow(webhookID, "renamed"))
			})
			got, err := h.client.UpdateWebhook(context.Background(), webhookID, WebhookUpdate{Name: new("renamed")})
			if err != nil {
				t.Fatalf("UpdateWebhook: %v; want the stored row read back", err)
			}
			if got.Name != "renamed" {
				t.Errorf("name = %q, want the row read back", got.Name)
			}
			reqs := h.requests()
			if len(reqs) != 2 || reqs[0].Method != http.MethodPatch || reqs[1].Method != http.MethodGet {
				t.Fatalf("requests = %v, want PATCH then GET", reqs)
			}
		})
	}
}

func TestUpdateWebhookMissingIsNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeError(w, http.StatusNotFound, "0x80040217", "serviceendpoint With Id = "+webhookID+" Does Not Exist")
	})
	_, err := h.client.UpdateWebhook(context.Background(), webhookID, WebhookUpdate{URL: new("https://new.example")})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	h.wantRequests(t, 1, "a 404 is permanent")
}

func TestDeleteWebhook(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		status  int
		wantErr error
	}{{http.StatusNoContent, nil}, {http.StatusNotFound, ErrNotFound}} {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				if tt.status == http.StatusNoContent {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				writeError(w, tt.status, "0x80040217", "Does Not Exist")
			})
			err := h.client.DeleteWebhook(context.Background(), webhookID)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			checkRequest(t, h.onlyRequest(), want{Method: http.MethodDelete, Path: "serviceendpoints(" + webhookID + ")", Absent: []string{"If-Match", "Prefer"}})
		})
	}
}

func TestListWebhooksFilters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		filter WebhookFilter
		want   string
	}{
		{"all", WebhookFilter{}, "contract eq 8"},
		{"exact name with quotes", WebhookFilter{Name: "O'Brien's hook"}, "contract eq 8 and name eq 'O''Brien''s hook'"},
		{"prefix", WebhookFilter{NamePrefix: "ord'"}, "contract eq 8 and startswith(name,'ord''')"},
		{"both", WebhookFilter{Name: "a&b=c", NamePrefix: "a"}, "contract eq 8 and name eq 'a&b=c' and startswith(name,'a')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := tt.filter.NamePrefix
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				writeJSON(w, http.StatusOK, map[string]any{"value": []any{webhookRow(webhookID2, p+"b"), webhookRow(webhookID, p+"a")}})
			})
			got, err := h.client.ListWebhooks(context.Background(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			checkRequest(t, h.onlyRequest(), want{
				Method: http.MethodGet,
				Path:   "serviceendpoints",
				Query:  map[string]string{"$select": webhookSelect, "$filter": tt.want},
				Header: map[string]string{"Prefer": "odata.maxpagesize=5000"},
			})
			if len(got) != 2 || got[0].Name != p+"a" || got[1].Name != p+"b" {
				t.Errorf("webhooks = %+v, want a then b", got)
			}
		})
	}
}

// startswith runs as a SQL LIKE on the server, where "_" matches any character; rows that do
// not truly start with the prefix are dropped.
func TestListWebhooksPrefixIsLiteral(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeJSON(w, http.StatusOK, map[string]any{"value": []any{webhookRow(webhookID2, "teamXa-2"), webhookRow(webhookID, "Team_a-1")}})
	})
	got, err := h.client.ListWebhooks(context.Background(), WebhookFilter{NamePrefix: "team_a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "Team_a-1" {
		t.Errorf("webhooks = %+v, want only Team_a-1", got)
	}
}

func TestBadIDMakesNoRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
	})
	ctx := context.Background()
	bad := "x') or true or ('"
	calls := map[string]func() error{
		"GetWebhook":    func() error { _, err := h.client.GetWebhook(ctx, bad); return err },
		"UpdateWebhook": func() error { _, err := h.client.UpdateWebhook(ctx, bad, WebhookUpdate{Name: new("n")}); return err },
		"DeleteWebhook": func() error { return h.client.DeleteWebhook(ctx, bad) },
		"CreateWebhook": func() error {
			_, err := h.client.CreateWebhook(ctx, WebhookCreate{ID: bad, Name: "n", URL: "u", AuthType: AuthTypeWebhookKey})
			return err
		},
		"GetStep": func() error { _, err := h.client.GetStep(ctx, bad); return err },
		"UpdateStep": func() error {
			_, err := h.client.UpdateStep(ctx, stepID, stepChange(func(s *StepSettings) { s.ImpersonatingUserID = bad }))
			return err
		},
		"SetStepEnabled": func() error { return h.client.SetStepEnabled(ctx, bad, true) },
		"DeleteStep":     func() error { return h.client.DeleteStep(ctx, bad) },
		"CreateStep": func() error {
			_, err := h.client.CreateStep(ctx, StepCreate{StepSettings: StepSettings{Name: "s"}, WebhookID: bad, MessageID: messageID, MessageFilterID: filterID})
			return err
		},
		"ListSteps":    func() error { _, err := h.client.ListWebhookSteps(ctx, bad); return err },
		"ListStepsOf":  func() error { _, err := h.client.ListStepsOfWebhooks(ctx, []string{webhookID, bad}); return err },
		"GetStepImage": func() error { _, err := h.client.GetStepImage(ctx, bad); return err },
		"CreateStepImage": func() error {
			_, err := h.client.CreateStepImage(ctx, StepImageCreate{StepID: bad, EntityAlias: "a", MessagePropertyName: "Target"})
			return err
		},
		"ListStepImages":  func() error { _, err := h.client.ListStepImages(ctx, bad); return err },
		"DeleteStepImage": func() error { return h.client.DeleteStepImage(ctx, bad) },
		"ListFailedJobs": func() error {
			_, err := h.client.ListFailedJobs(ctx, FailedJobsQuery{StepIDs: []string{bad}})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); err == nil || !strings.Contains(err.Error(), "not a GUID") {
			t.Errorf("%s: err = %v, want a not-a-GUID error", name, err)
		}
	}
	h.wantRequests(t, 0, "")
}

// An answer that cannot be decoded is reported without the value that stopped the decoder, which
// a hostile server can make a secret it was just sent.
func TestUndecodableAnswerDoesNotQuoteItsValues(t *testing.T) {
	t.Parallel()
	const key = "correct-horse-battery-staple"
	for name, body := range map[string]string{
		"a time column":   `{"serviceendpointid":"` + webhookID + `","createdon":"` + key + `"}`,
		"an int column":   `{"serviceendpointid":"` + webhookID + `","contract":31415926535897932384626433}`,
		"a cut-off value": `{"serviceendpointid":"` + webhookID + `","name":"` + key,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, _ string) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte(body))
			})
			_, err := h.client.GetWebhook(context.Background(), webhookID)
			if err == nil {
				t.Fatal("GetWebhook decoded an undecodable answer")
			}
			if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "31415926535897932384626433") {
				t.Errorf("error = %v, quotes the answer's value", err)
			}
		})
	}
}

// An id that is not a GUID, which may come from a server's answer, is not quoted in the error.
func TestIDThatIsNotAGUIDIsNotQuoted(t *testing.T) {
	t.Parallel()
	const key = "correct-horse-battery-staple"
	err := checkID("solution id", key)
	if err == nil || strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "solution id is not a GUID") {
		t.Errorf("checkID = %v, want the id named by what it is for, not quoted", err)
	}
}
