package dataverse

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeAPI is a small stateful Web API for the snapshot tests: webhooks and steps that can be
// listed, read, created, patched and deleted, with request counts by kind.
type fakeAPI struct {
	t *testing.T

	mu       sync.Mutex
	webhooks map[string]map[string]any // lower-case id -> row as read
	steps    map[string]map[string]any // lower-case id -> row as read with its expansions
	counts   map[string]int            // e.g. "GET serviceendpoints" (a query), "GET serviceendpoints()" (one row)
	// stepChunks records how many webhook ids each step query named.
	stepChunks []int
	// listStatus, when set, answers every webhook list with that status.
	listStatus int

	// When gate is set, a webhook list reads the rows, then signals listStarted and waits for
	// gate before answering: the answer is what the server held when the list began.
	gate        chan struct{}
	listStarted chan struct{}
}

func newFakeAPI(t *testing.T) *fakeAPI {
	return &fakeAPI{t: t, webhooks: map[string]map[string]any{}, steps: map[string]map[string]any{}, counts: map[string]int{}}
}

// fakeID is a GUID that sorts with n.
func fakeID(kind, n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", kind, n) }

func (f *fakeAPI) addWebhook(id, name string, contract int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	row := webhookRow(id, name)
	row["contract"] = contract
	f.webhooks[strings.ToLower(id)] = row
}

func (f *fakeAPI) addStep(id, name, handlerID string, handlerContract int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	row := stepRowJSON(id, name, true)
	row["_eventhandler_value"] = handlerID
	row["eventhandler_serviceendpoint"] = map[string]any{"serviceendpointid": handlerID, "contract": handlerContract}
	if handlerContract == 0 {
		row["eventhandler_serviceendpoint"] = nil // the handler is a plug-in type
	}
	f.steps[strings.ToLower(id)] = row
}

// setWebhookName changes a row behind the client's back.
func (f *fakeAPI) setWebhookName(id, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.webhooks[strings.ToLower(id)]["name"] = name
}

// removeWebhook deletes a row behind the client's back.
func (f *fakeAPI) removeWebhook(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.webhooks, strings.ToLower(id))
}

func (f *fakeAPI) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[key]
}

// wantCount fails t when key was requested other than want times; about says which requests
// they are and why that many.
func (f *fakeAPI) wantCount(t *testing.T, key string, want int, about string) {
	t.Helper()
	if n := f.count(key); n != want {
		t.Errorf("%s: %s %d times, want %d", about, key, n, want)
	}
}

func (f *fakeAPI) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.counts {
		n += v
	}
	return n
}

func (f *fakeAPI) chunks() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.stepChunks)
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request, _ int, body string) {
	resource := strings.TrimPrefix(r.URL.Path, APIPath)
	set, key, hasKey := strings.Cut(strings.TrimSuffix(resource, ")"), "(")
	kind := r.Method + " " + set
	if hasKey {
		kind += "()"
	}
	f.mu.Lock()
	f.counts[kind]++
	f.mu.Unlock()

	switch set {
	case setServiceEndpoints:
		f.serveRows(w, r, body, kind, f.webhooks, "serviceendpointid", key)
	case setSteps:
		f.serveRows(w, r, body, kind, f.steps, "sdkmessageprocessingstepid", key)
	default:
		writeError(w, http.StatusNotFound, "", "unknown set "+set)
	}
}

func (f *fakeAPI) serveRows(w http.ResponseWriter, r *http.Request, body, kind string, rows map[string]map[string]any, keyColumn, key string) {
	id := strings.ToLower(key)
	switch kind {
	case "GET serviceendpoints":
		f.listWebhooks(w, r)
	case "GET sdkmessageprocessingsteps":
		f.listSteps(w, r)
	case "GET serviceendpoints()", "GET sdkmessageprocessingsteps()":
		f.mu.Lock()
		row, ok := rows[id]
		row = maps.Clone(row)
		f.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, codeObjectNotFound, keyColumn+" With Id = "+key+" Does Not Exist")
			return
		}
		writeJSON(w, http.StatusOK, row)
	case "PATCH serviceendpoints()", "PATCH sdkmessageprocessingsteps()":
		var change map[string]any
		if err := json.Unmarshal([]byte(body), &change); err != nil {
			writeError(w, http.StatusBadRequest, "", err.Error())
			return
		}
		f.mu.Lock()
		row, ok := rows[id]
		if ok {
			for k, v := range change {
				if !strings.Contains(k, "@") && k != "authvalue" {
					row[k] = v
				}
			}
			row = maps.Clone(row)
		}
		f.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, codeObjectNotFound, "Does Not Exist")
			return
		}
		if r.Header.Get("Prefer") == "return=representation" {
			writeJSON(w, http.StatusOK, row)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "DELETE serviceendpoints()", "DELETE sdkmessageprocessingsteps()":
		f.mu.Lock()
		_, ok := rows[id]
		delete(rows, id)
		if keyColumn == "serviceendpointid" {
			for sid, s := range f.steps {
				if strings.EqualFold(fmt.Sprint(s["_eventhandler_value"]), key) {
					delete(f.steps, sid)
				}
			}
		}
		f.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, codeObjectNotFound, "Does Not Exist")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "POST serviceendpoints":
		var in map[string]any
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			writeError(w, http.StatusBadRequest, "", err.Error())
			return
		}
		newID := fmt.Sprint(in["serviceendpointid"])
		row := webhookRow(newID, fmt.Sprint(in["name"]))
		f.mu.Lock()
		f.webhooks[strings.ToLower(newID)] = row
		row = maps.Clone(row)
		f.mu.Unlock()
		writeJSON(w, http.StatusCreated, row)
	default:
		writeError(w, http.StatusMethodNotAllowed, "", kind)
	}
}

func (f *fakeAPI) listWebhooks(w http.ResponseWriter, r *http.Request) {
	if got := r.URL.Query().Get("$filter"); got != "contract eq 8" && r.URL.Query().Get("$skiptoken") == "" {
		f.t.Errorf("webhook list $filter = %q, want contract eq 8", got)
	}
	f.mu.Lock()
	status := f.listStatus
	var all []map[string]any
	for _, id := range slices.Sorted(maps.Keys(f.webhooks)) {
		if row := f.webhooks[id]; row["contract"] == 8 {
			all = append(all, maps.Clone(row))
		}
	}
	gate, started := f.gate, f.listStarted
	f.mu.Unlock()
	if status != 0 {
		writeError(w, status, "0x80040220", "Principal user is missing prvReadServiceEndpoint privilege.")
		return
	}
	if gate != nil {
		select {
		case started <- struct{}{}:
		default: // a test that does not wait for this list must not block it
		}
		<-gate
	}
	pageSize := 5000
	if p := r.Header.Get("Prefer"); strings.HasPrefix(p, "odata.maxpagesize=") {
		pageSize, _ = strconv.Atoi(strings.TrimPrefix(p, "odata.maxpagesize="))
	}
	skip, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	end := min(skip+pageSize, len(all))
	page := map[string]any{"value": all[skip:end]}
	if end < len(all) {
		page["@odata.nextLink"] = "https://" + r.Host + r.URL.Path + "?$select=" + webhookSelect + "&$skiptoken=" + strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, page)
}

func (f *fakeAPI) listSteps(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("$expand") != stepExpandWant || q.Get("$select") != stepSelect {
		f.t.Errorf("step list asks $select=%q $expand=%q; want the columns and expansions GetStep uses", q.Get("$select"), q.Get("$expand"))
	}
	handlers := map[string]bool{}
	for name, values := range q {
		if strings.HasPrefix(name, "@h") {
			handlers[strings.ToLower(values[0])] = true
		}
	}
	if terms := strings.Count(q.Get("$filter"), "_eventhandler_value eq @h"); terms != len(handlers) {
		f.t.Errorf("step filter has %d terms for %d aliases", terms, len(handlers))
	}
	f.mu.Lock()
	f.stepChunks = append(f.stepChunks, len(handlers))
	var out []map[string]any
	for _, id := range slices.Sorted(maps.Keys(f.steps)) {
		if row := f.steps[id]; handlers[strings.ToLower(fmt.Sprint(row["_eventhandler_value"]))] {
			out = append(out, maps.Clone(row))
		}
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"value": out})
}
