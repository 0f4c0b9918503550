package dataverse

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

const (
	stepSelect = "sdkmessageprocessingstepid,name,description,mode,stage,rank,asyncautodelete," +
		"_impersonatinguserid_value,filteringattributes,_eventhandler_value,_sdkmessageid_value," +
		"_sdkmessagefilterid_value,statecode"
	stepExpandWant = "sdkmessageid($select=name),sdkmessagefilterid($select=primaryobjecttypecode),eventhandler_serviceendpoint($select=contract)"
)

// stepRowJSON is a step as the server returns it; expanded adds the navigation properties a
// GET asks for.
func stepRowJSON(id, name string, expanded bool) map[string]any {
	row := map[string]any{
		"@odata.etag":                "W/\"1234\"",
		"sdkmessageprocessingstepid": id,
		"name":                       name,
		"description":                "sends orders",
		"_eventhandler_value":        webhookID,
		"_sdkmessageid_value":        messageID,
		"_sdkmessagefilterid_value":  filterID,
		"mode":                       1,
		"stage":                      40,
		"rank":                       2,
		"asyncautodelete":            true,
		"filteringattributes":        " name, ,telephone1,",
		"statecode":                  0,
		"_impersonatinguserid_value": nil,
		"supporteddeployment":        0,
	}
	if expanded {
		row["sdkmessageid"] = map[string]any{"sdkmessageid": messageID, "name": "Update"}
		row["sdkmessagefilterid"] = map[string]any{"sdkmessagefilterid": filterID, "primaryobjecttypecode": "account"}
		row["eventhandler_serviceendpoint"] = map[string]any{"serviceendpointid": webhookID, "contract": 8}
	}
	return row
}

func wantStep(name string) Step {
	return Step{
		ID:               stepID,
		StepSettings:     StepSettings{Name: name, Description: "sends orders", Mode: StepModeAsynchronous, Stage: StepStagePostOperation, Rank: 2, AsyncAutoDelete: true, FilteringAttributes: []string{"name", "telephone1"}},
		EventHandlerID:   webhookID,
		HandlerIsWebhook: true,
		MessageID:        messageID,
		Message:          "Update",
		MessageFilterID:  filterID,
		Table:            "account",
		Enabled:          true,
	}
}

func TestCreateStepRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		enabled      bool
		knownCatalog bool // the filter and webhook are already known, so no read-back is needed
		// refuseState answers a create that carries statecode with 400, as a server that takes the
		// state columns only on update would.
		refuseState   bool
		wantFollowups []want
	}{
		{name: "enabled, catalog known", enabled: true, knownCatalog: true},
		{name: "enabled, catalog unknown", enabled: true, wantFollowups: []want{{
			Method: http.MethodGet, Path: "sdkmessageprocessingsteps(" + stepID + ")",
			Query: map[string]string{"$select": stepSelect, "$expand": stepExpandWant},
		}}},
		// Where $batch is refused (the disabled step is otherwise made in one changeset, see
		// TestAgainstEmulator_disabledStepIsCreatedDisabledInOneRequest), the state goes on the create.
		{name: "disabled, no batch", enabled: false, knownCatalog: true},
		{name: "disabled, no batch, state refused on create", enabled: false, knownCatalog: true, refuseState: true, wantFollowups: []want{{
			Method: http.MethodPost, Path: "sdkmessageprocessingsteps", Query: map[string]string{"$select": stepSelect},
			Header: map[string]string{"Prefer": "return=representation"}, Body: wantStepCreateBody(""),
		}, {
			Method: http.MethodPatch, Path: "sdkmessageprocessingsteps(" + stepID + ")",
			Header: map[string]string{"If-Match": "*"},
			Absent: []string{"Prefer"},
			Body:   `{"statecode":1,"statuscode":2}`,
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var posted atomic.Bool // the step exists once a create reached the server
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				switch {
				case strings.HasSuffix(r.URL.Path, "/$batch"):
					writeError(w, http.StatusNotImplemented, "", "batches are not offered here")
				case r.Method == http.MethodGet && !posted.Load():
					writeError(w, http.StatusNotFound, "0x80040217", "Does Not Exist")
				case r.Method == http.MethodPost:
					posted.Store(true)
					row := stepRowJSON(stepID, "orders: Update of account", false)
					if strings.Contains(body, `"statecode":1`) {
						if tt.refuseState {
							writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": "0x0", "message": "statecode is not valid for create"}})
							return
						}
						row["statecode"] = 1
					}
					writeJSON(w, http.StatusCreated, row)
				case r.Method == http.MethodGet:
					writeJSON(w, http.StatusOK, stepRowJSON(stepID, "orders: Update of account", true))
				default:
					w.WriteHeader(http.StatusNoContent)
				}
			})
			if tt.knownCatalog {
				h.client.catalog.rememberFilter(MessageFilter{MessageID: messageID, FilterID: filterID, Message: "Update", Table: "account", CustomStepsAllowed: true})
			}
			got, err := h.client.CreateStep(context.Background(), StepCreate{
				ID:                 stepID,
				StepSettings:       StepSettings{Name: "orders: Update of account", Description: "sends orders", Mode: StepModeAsynchronous, Stage: StepStagePostOperation, Rank: 2, AsyncAutoDelete: true, FilteringAttributes: []string{"name", " telephone1 ", ""}, ImpersonatingUserID: userID},
				WebhookID:          webhookID,
				MessageID:          messageID,
				MessageFilterID:    filterID,
				Enabled:            tt.enabled,
				SolutionUniqueName: "hooks",
			})
			if err != nil {
				t.Fatalf("CreateStep: %v", err)
			}
			reqs := h.requests()
			if !tt.enabled {
				if len(reqs) == 0 || reqs[0].Method != http.MethodPost || !strings.HasSuffix(reqs[0].Path, "/$batch") {
					t.Fatalf("first request %+v, want POST $batch", reqs)
				}
				reqs = reqs[1:]
			}
			if len(reqs) != 1+len(tt.wantFollowups) {
				t.Fatalf("requests = %d (%+v), want %d", len(reqs), reqs, 1+len(tt.wantFollowups))
			}
			checkRequest(t, reqs[0], want{
				Method: http.MethodPost,
				Path:   "sdkmessageprocessingsteps",
				Query:  map[string]string{"$select": stepSelect},
				Header: map[string]string{"Prefer": "return=representation", "MSCRM.SolutionUniqueName": "hooks"},
				Body:   wantStepCreateBody(stateColumns(!tt.enabled)),
			})
			if strings.Contains(reqs[0].Body, `"eventhandler@odata.bind"`) || strings.Contains(reqs[0].Body, "configuration") {
				t.Errorf("body %s binds the polymorphic lookup or sends configuration", reqs[0].Body)
			}
			for i, w := range tt.wantFollowups {
				checkRequest(t, reqs[1+i], w)
			}
			w := wantStep("orders: Update of account")
			w.Enabled = tt.enabled
			if !reflect.DeepEqual(*got, w) {
				t.Errorf("step =\n  %+v\nwant\n  %+v", *got, w)
			}
		})
	}
}

// wantStepCreateBody is the create body of the step of TestCreateStepRequest, extra appended.
func wantStepCreateBody(extra string) string {
	return `{"sdkmessageprocessingstepid":"` + stepID + `","name":"orders: Update of account",
					"description":"sends orders","mode":1,"stage":40,"rank":2,"asyncautodelete":true,
					"supporteddeployment":0,"invocationsource":0,"filteringattributes":"name,telephone1",
					"eventhandler_serviceendpoint@odata.bind":"/serviceendpoints(` + webhookID + `)",
					"sdkmessageid@odata.bind":"/sdkmessages(` + messageID + `)",
					"sdkmessagefilterid@odata.bind":"/sdkmessagefilters(` + filterID + `)",
					"impersonatinguserid@odata.bind":"/systemusers(` + userID + `)"` + extra + `}`
}

// stateColumns is the part of a create body that makes a step disabled from its first moment.
func stateColumns(disabled bool) string {
	if disabled {
		return `,"statecode":1,"statuscode":2`
	}
	return ""
}

func TestCreateStepMinimalBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		if r.Method == http.MethodPost {
			writeJSON(w, http.StatusCreated, stepRowJSON(keyOfRequest(r, body, "sdkmessageprocessingstepid"), "s", false))
			return
		}
		writeJSON(w, http.StatusOK, stepRowJSON(keyOfRequest(r, body, "sdkmessageprocessingstepid"), "s", true))
	})
	if _, err := h.client.CreateStep(context.Background(), StepCreate{
		StepSettings:    StepSettings{Name: "s", Mode: StepModeSynchronous, Stage: StepStagePreOperation},
		WebhookID:       webhookID,
		MessageID:       messageID,
		MessageFilterID: filterID,
		Enabled:         true,
	}); err != nil {
		t.Fatal(err)
	}
	body := h.requests()[0].Body
	for _, absent := range []string{"filteringattributes", "impersonatinguserid", "description", "configuration"} {
		if strings.Contains(body, absent) {
			t.Errorf("body %s carries %s", body, absent)
		}
	}
	if h.requests()[0].Header.Get("MSCRM.SolutionUniqueName") != "" {
		t.Error("solution header without a solution")
	}
}

func TestCreateStepRejectsBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
	})
	base := StepCreate{StepSettings: StepSettings{Name: "s", Stage: StepStagePostOperation}, WebhookID: webhookID, MessageID: messageID, MessageFilterID: filterID}
	tests := map[string]func(StepCreate) StepCreate{
		"no name":    func(s StepCreate) StepCreate { s.Name = ""; return s },
		"bad mode":   func(s StepCreate) StepCreate { s.Mode = 7; return s },
		"bad stage":  func(s StepCreate) StepCreate { s.Stage = 30; return s },
		"bad filter": func(s StepCreate) StepCreate { s.MessageFilterID = "account"; return s },
		"bad user":   func(s StepCreate) StepCreate { s.ImpersonatingUserID = "me"; return s },
		// Sent as a header of the request, or of a changeset part for a disabled step.
		"bad solution":           func(s StepCreate) StepCreate { s.SolutionUniqueName = "contoso\r\nX-Injected: 1"; return s },
		"disabled, bad solution": func(s StepCreate) StepCreate { s.SolutionUniqueName = "My Solution"; s.Enabled = false; return s },
	}
	for name, mutate := range tests {
		if _, err := h.client.CreateStep(context.Background(), mutate(base)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestGetStep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(map[string]any)
		change func(*Step)
	}{
		{"webhook step", func(map[string]any) {}, func(*Step) {}},
		{"none table, disabled, impersonating", func(r map[string]any) {
			r["sdkmessagefilterid"] = map[string]any{"primaryobjecttypecode": "none"}
			r["statecode"] = 1
			r["_impersonatinguserid_value"] = userID
			r["filteringattributes"] = nil
		}, func(s *Step) {
			s.Table = ""
			s.Enabled = false
			s.ImpersonatingUserID = userID
			s.FilteringAttributes = nil
		}},
		{"plug-in handler", func(r map[string]any) { r["eventhandler_serviceendpoint"] = nil }, func(s *Step) { s.HandlerIsWebhook = false }},
		{"queue handler", func(r map[string]any) {
			r["eventhandler_serviceendpoint"] = map[string]any{"contract": 2}
		}, func(s *Step) { s.HandlerIsWebhook = false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				row := stepRowJSON(stepID, "s", true)
				tt.mutate(row)
				writeJSON(w, http.StatusOK, row)
			})
			got, err := h.client.GetStep(context.Background(), stepID)
			if err != nil {
				t.Fatal(err)
			}
			checkRequest(t, h.onlyRequest(), want{
				Method: http.MethodGet, Path: "sdkmessageprocessingsteps(" + stepID + ")",
				Query: map[string]string{"$select": stepSelect, "$expand": stepExpandWant},
			})
			w := wantStep("s")
			tt.change(&w)
			if !reflect.DeepEqual(*got, w) {
				t.Errorf("step =\n  %+v\nwant\n  %+v", *got, w)
			}
		})
	}
}

// stepUpdate changes the settings of wantStep's step, run as userID, as change says.
func stepUpdate(change func(*StepSettings)) StepUpdate {
	from := wantStep("s").StepSettings
	from.ImpersonatingUserID = userID
	to := from
	change(&to)
	return StepUpdate{From: from, To: to}
}

// An update that changes nothing sends nothing, and says so with a nil step.
func TestUpdateStepOfNothingSendsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		writeJSON(w, http.StatusOK, stepRowJSON(stepID, "s", false))
	})
	// The same columns, spelled as the step holds them or not: one list, trimmed.
	u := stepUpdate(func(s *StepSettings) { s.FilteringAttributes = []string{" name", "telephone1", ""} })
	got, err := h.client.UpdateStep(context.Background(), stepID, u)
	if err != nil || got != nil {
		t.Fatalf("UpdateStep = %+v, %v; want nil, nil", got, err)
	}
	if n := len(h.requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
	// A bad setting is refused even when it is what the step already holds.
	bad := stepUpdate(func(s *StepSettings) { s.Name = "" })
	bad.From.Name = ""
	if _, err := h.client.UpdateStep(context.Background(), stepID, bad); err == nil || !strings.Contains(err.Error(), "a step needs a name") {
		t.Errorf("UpdateStep of a step with no name: %v, want it refused", err)
	}
	// A mode or stage without a name is refused when it would be sent.
	for _, change := range []func(*StepSettings){
		func(s *StepSettings) { s.Stage = 30 },
		func(s *StepSettings) { s.Mode = 2 },
	} {
		if _, err := h.client.UpdateStep(context.Background(), stepID, stepUpdate(change)); err == nil || !strings.Contains(err.Error(), "is not a step") {
			t.Errorf("UpdateStep to a value without a name: %v, want it refused", err)
		}
	}
	if n := len(h.requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

func TestUpdateStepRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		update   StepUpdate
		wantBody string
	}{
		{
			name: "columns",
			update: stepUpdate(func(s *StepSettings) {
				s.Name, s.Description, s.Mode, s.Stage = "n2", "", StepModeSynchronous, StepStagePreValidation
				s.Rank, s.AsyncAutoDelete, s.FilteringAttributes = 0, false, []string{"a", " b", ""}
			}),
			wantBody: `{"name":"n2","description":null,"mode":0,"stage":10,"rank":0,"asyncautodelete":false,"filteringattributes":"a,b"}`,
		},
		{
			name:     "clear filtering attributes and impersonation",
			update:   stepUpdate(func(s *StepSettings) { s.FilteringAttributes, s.ImpersonatingUserID = []string{}, "" }),
			wantBody: `{"filteringattributes":null,"impersonatinguserid@odata.bind":null}`,
		},
		{
			name: "rebind message, filter and user",
			update: func() StepUpdate {
				u := stepUpdate(func(*StepSettings) {})
				u.From.ImpersonatingUserID = ""
				u.MessageID, u.MessageFilterID = messageID, filterID
				return u
			}(),
			wantBody: `{"sdkmessageid@odata.bind":"/sdkmessages(` + messageID + `)","sdkmessagefilterid@odata.bind":"/sdkmessagefilters(` + filterID +
				`)","impersonatinguserid@odata.bind":"/systemusers(` + userID + `)"}`,
		},
		{
			// A stage Dataverse keeps for its own steps, unchanged, is neither sent nor refused.
			name: "kept stage without a name",
			update: func() StepUpdate {
				u := stepUpdate(func(s *StepSettings) { s.Rank = 5 })
				u.From.Stage, u.To.Stage = 30, 30
				return u
			}(),
			wantBody: `{"rank":5}`,
		},
		{
			name:     "move to another webhook",
			update:   StepUpdate{From: wantStep("s").StepSettings, To: wantStep("s").StepSettings, WebhookID: webhookID},
			wantBody: `{"eventhandler_serviceendpoint@odata.bind":"/serviceendpoints(` + webhookID + `)"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				writeJSON(w, http.StatusOK, stepRowJSON(stepID, "n2", false))
			})
			h.client.catalog.rememberFilter(MessageFilter{MessageID: messageID, FilterID: filterID, Message: "Update", Table: "account"})
			h.client.webhooks.learnIsWebhook(webhookID)
			got, err := h.client.UpdateStep(context.Background(), stepID, tt.update)
			if err != nil {
				t.Fatal(err)
			}
			checkRequest(t, h.onlyRequest(), want{
				Method: http.MethodPatch, Path: "sdkmessageprocessingsteps(" + stepID + ")",
				Query:  map[string]string{"$select": stepSelect},
				Header: map[string]string{"If-Match": "*", "Prefer": "return=representation"},
				Body:   tt.wantBody,
			})
			if w := wantStep("n2"); !reflect.DeepEqual(*got, w) {
				t.Errorf("step =\n  %+v\nwant\n  %+v", *got, w)
			}
		})
	}
}

func TestSetStepEnabled(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		enabled bool
		body    string
	}{{true, `{"statecode":0,"statuscode":1}`}, {false, `{"statecode":1,"statuscode":2}`}} {
		h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) { w.WriteHeader(http.StatusNoContent) })
		if err := h.client.SetStepEnabled(context.Background(), stepID, tt.enabled); err != nil {
			t.Fatal(err)
		}
		checkRequest(t, h.onlyRequest(), want{
			Method: http.MethodPatch, Path: "sdkmessageprocessingsteps(" + stepID + ")",
			Header: map[string]string{"If-Match": "*"}, Body: tt.body,
		})
	}
}

func TestDeleteStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeError(w, http.StatusNotFound, "0x80040217", "sdkmessageprocessingstep With Id = "+stepID+" Does Not Exist")
	})
	if err := h.client.DeleteStep(context.Background(), stepID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	checkRequest(t, h.onlyRequest(), want{Method: http.MethodDelete, Path: "sdkmessageprocessingsteps(" + stepID + ")"})
}

func TestListWebhookStepsFollowsNextLinks(t *testing.T) {
	t.Parallel()
	var h *harness
	nextLink := func(token string) string {
		// A real next link carries its own, server-encoded query; it must be used unchanged.
		return h.srv.URL + APIPath + "serviceendpoints(" + webhookID + ")/serviceendpoint_sdkmessageprocessingstep?$select=name&$skiptoken=%3Ccookie%20pagenumber=%22" + token + "%22%20/%3E"
	}
	h = newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		page := map[string]any{"value": []any{stepRowJSON([]string{stepID, stepID2, "5d2f7e10-8a3b-4c55-b1e2-7c9d0a1b2c05"}[n-1], []string{"c", "a", "b"}[n-1], true)}}
		if n < 3 {
			page["@odata.nextLink"] = nextLink([]string{"2", "3"}[n-1])
		}
		writeJSON(w, http.StatusOK, page)
	})
	got, err := h.client.ListWebhookSteps(context.Background(), webhookID)
	if err != nil {
		t.Fatal(err)
	}
	reqs := h.requests()
	if len(reqs) != 3 {
		t.Fatalf("requests = %d, want 3", len(reqs))
	}
	checkRequest(t, reqs[0], want{
		Method: http.MethodGet, Path: "serviceendpoints(" + webhookID + ")/serviceendpoint_sdkmessageprocessingstep",
		Query:  map[string]string{"$select": stepSelect, "$expand": stepExpandWant},
		Header: map[string]string{"Prefer": "odata.maxpagesize=5000"},
	})
	for i, token := range []string{"2", "3"} {
		if got, want := h.srv.URL+reqs[i+1].URI, nextLink(token); got != want {
			t.Errorf("page %d fetched %s, want the next link unchanged: %s", i+2, got, want)
		}
		if p := reqs[i+1].Header.Get("Prefer"); p != "odata.maxpagesize=5000" {
			t.Errorf("page %d Prefer = %q", i+2, p)
		}
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
	}
	if !reflect.DeepEqual(names, []string{"a", "b", "c"}) {
		t.Errorf("names = %v, want all three pages sorted", names)
	}
}

func TestListStepsOfWebhooks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeJSON(w, http.StatusOK, map[string]any{"value": []any{stepRowJSON(stepID, "x", true), stepRowJSON(stepID2, "y", true)}})
	})
	got, err := h.client.ListStepsOfWebhooks(context.Background(), []string{webhookID, webhookID2, strings.ToUpper(webhookID)})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, h.onlyRequest(), want{
		Method: http.MethodGet, Path: "sdkmessageprocessingsteps",
		Query: map[string]string{
			"$select": stepSelect, "$expand": stepExpandWant,
			"$filter": "(_eventhandler_value eq @h0 or _eventhandler_value eq @h1)",
			"@h0":     webhookID, "@h1": webhookID2,
		},
		Header: map[string]string{"Prefer": "odata.maxpagesize=5000"},
	})
	if len(got) != 2 {
		t.Errorf("steps = %d, want 2", len(got))
	}
	if none, err := h.client.ListStepsOfWebhooks(context.Background(), nil); err != nil || none != nil || len(h.requests()) != 1 {
		t.Errorf("no ids: %v, %v, %d requests; want nothing and no request", none, err, len(h.requests()))
	}
}

func TestRetriedStepCreateThatLandedIsReadBackAndDisabled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		switch n {
		case 1:
			writeError(w, http.StatusGatewayTimeout, "", "gateway timeout")
		case 2:
			writeError(w, http.StatusBadRequest, "0x80040237", "Cannot insert duplicate key.")
		case 3:
			writeJSON(w, http.StatusOK, stepRowJSON(stepID, "s", true))
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	got, err := h.client.CreateStep(context.Background(), StepCreate{
		ID:              stepID,
		StepSettings:    StepSettings{Name: "s", Mode: StepModeAsynchronous, Stage: StepStagePostOperation},
		WebhookID:       webhookID,
		MessageID:       messageID,
		MessageFilterID: filterID,
		Enabled:         false,
	})
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, r := range h.requests() {
		methods = append(methods, r.Method)
	}
	// The changeset's answer is lost, its replay meets the row, which is read back and, found
	// enabled (an earlier create that took no state), disabled.
	if !reflect.DeepEqual(methods, []string{"POST", "POST", "GET", "PATCH"}) || !strings.HasSuffix(h.requests()[0].Path, "/$batch") {
		t.Errorf("requests = %v, want POST $batch, POST $batch, GET, PATCH", methods)
	}
	if got.ID != stepID || got.Enabled || got.Message != "Update" {
		t.Errorf("step = %+v", got)
	}
}

// idOf is the id of the row a write returned, or the write's error.
func idOf[T Webhook | Step | StepImage](row *T, err error) (string, error) {
	if err != nil {
		return "", err
	}
	switch r := any(row).(type) {
	case *Webhook:
		return r.ID, nil
	case *Step:
		return r.ID, nil
	default:
		return r.(*StepImage).ID, nil // the last type the constraint allows
	}
}

func TestAnswersWithoutARowAreReadBack(t *testing.T) {
	t.Parallel()
	// A server that ignores Prefer: return=representation answers 204; the row is then read.
	tests := map[string]func(c *Client) (string, error){
		"create webhook": func(c *Client) (string, error) {
			return idOf(c.CreateWebhook(context.Background(), WebhookCreate{ID: webhookID, Name: "n", URL: "https://x.example", AuthType: AuthTypeWebhookKey, AuthValue: "key-value"}))
		},
		"update webhook": func(c *Client) (string, error) {
			return idOf(c.UpdateWebhook(context.Background(), webhookID, WebhookUpdate{Name: new("n")}))
		},
		"create step": func(c *Client) (string, error) {
			return idOf(c.CreateStep(context.Background(), StepCreate{ID: stepID, StepSettings: StepSettings{Name: "s", Stage: StepStagePostOperation}, WebhookID: webhookID, MessageID: messageID, MessageFilterID: filterID, Enabled: true}))
		},
		"update step": func(c *Client) (string, error) {
			return idOf(c.UpdateStep(context.Background(), stepID, stepChange(func(s *StepSettings) { s.Rank = 3 })))
		},
		"create image": func(c *Client) (string, error) {
			return idOf(c.CreateStepImage(context.Background(), StepImageCreate{ID: imageID, StepID: stepID, EntityAlias: "pre", MessagePropertyName: "Target"}))
		},
		"update image": func(c *Client) (string, error) {
			return idOf(c.UpdateStepImage(context.Background(), imageID, StepImageUpdate{Name: new("n")}))
		},
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				if r.Method != http.MethodGet {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				switch {
				case strings.Contains(r.URL.Path, "serviceendpoints"):
					writeJSON(w, http.StatusOK, webhookRow(webhookID, "n"))
				case strings.Contains(r.URL.Path, "sdkmessageprocessingstepimages"):
					writeJSON(w, http.StatusOK, imageRowJSON("n"))
				default:
					writeJSON(w, http.StatusOK, stepRowJSON(stepID, "s", true))
				}
			})
			id, err := call(h.client)
			if err != nil {
				t.Fatal(err)
			}
			reqs := h.requests()
			if len(reqs) != 2 || reqs[1].Method != http.MethodGet || !strings.Contains(reqs[1].Path, "("+id+")") {
				t.Errorf("requests = %+v, want the write then a GET of %s", reqs, id)
			}
		})
	}
}
