package dataverse

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"sync"
	"testing"
)

const filterSelect = "sdkmessagefilterid,_sdkmessageid_value,iscustomprocessingstepallowed,primaryobjecttypecode"

func filterRowJSON(id string, allowed bool, table string) map[string]any {
	return map[string]any{
		"sdkmessagefilterid":            id,
		"_sdkmessageid_value":           messageID,
		"iscustomprocessingstepallowed": allowed,
		"primaryobjecttypecode":         table,
	}
}

func TestResolveMessageFilterRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, message, table, wantFilter string
	}{
		{"table", "Update", "account", "primaryobjecttypecode eq 'account' and sdkmessageid/name eq 'Update'"},
		// 'none' is compared here, not sent: Dataverse may resolve it as a table name.
		{"none", "WhoAmI", "", "sdkmessageid/name eq 'WhoAmI'"},
		{"quotes", "It's", "o'brien", "primaryobjecttypecode eq 'o''brien' and sdkmessageid/name eq 'It''s'"},
		// Names compare without case; the filter carries the message's name as the catalog spells it.
		{"catalog casing", "update", "account", "primaryobjecttypecode eq 'account' and sdkmessageid/name eq 'update'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code := tt.table
			rows := []any{filterRowJSON("83c9bb0b-7a1c-4e8b-a3d4-0f1e2d3c4bff", false, code)}
			if code == "" {
				// The message's filters on tables come back too and are passed over.
				code = "none"
				rows = []any{filterRowJSON("83c9bb0b-7a1c-4e8b-a3d4-0f1e2d3c4bff", false, code),
					filterRowJSON("0b7e3a55-2f4d-4c61-9a8e-5d3c2b1a0f9e", true, "account")}
			}
			best := filterRowJSON(filterID, true, code)
			wantMessage := tt.message
			if tt.name == "catalog casing" {
				wantMessage = "Update"
				best["sdkmessageid"] = map[string]any{"sdkmessageid": messageID, "name": wantMessage}
			}
			rows = append(rows, best)
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				writeJSON(w, http.StatusOK, map[string]any{"value": rows})
			})
			got, err := h.client.ResolveMessageFilter(context.Background(), tt.message, tt.table)
			if err != nil {
				t.Fatal(err)
			}
			checkRequest(t, h.onlyRequest(), want{
				Method: http.MethodGet, Path: "sdkmessagefilters",
				Query:  map[string]string{"$filter": tt.wantFilter, "$select": filterSelect, "$expand": "sdkmessageid($select=name)"},
				Header: map[string]string{"Prefer": "odata.maxpagesize=5000"},
			})
			w := MessageFilter{MessageID: messageID, FilterID: filterID, Message: wantMessage, Table: tt.table, CustomStepsAllowed: true}
			if *got != w {
				t.Errorf("filter = %+v, want %+v", *got, w)
			}
		})
	}
}

// newHeldFilterHarness answers every filter lookup with one filter on account, but only once
// release is closed, so that callers can meet a lookup in flight.
func newHeldFilterHarness(t *testing.T) (h *harness, release chan struct{}) {
	t.Helper()
	release = make(chan struct{})
	h = newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		<-release
		writeJSON(w, http.StatusOK, map[string]any{"value": []any{filterRowJSON(filterID, true, "account")}})
	})
	return h, release
}

func TestResolveMessageFilterSharesAndCaches(t *testing.T) {
	t.Parallel()
	h, release := newHeldFilterHarness(t)
	const callers = 10
	var started, done sync.WaitGroup
	results := make([]*MessageFilter, callers)
	errs := make([]error, callers)
	for i := range callers {
		started.Add(1)
		done.Go(func() {
			started.Done()
			results[i], errs[i] = h.client.ResolveMessageFilter(context.Background(), "Update", "account")
		})
	}
	started.Wait()
	close(release)
	done.Wait()
	for i := range callers {
		if errs[i] != nil || results[i] == nil || results[i].FilterID != filterID {
			t.Errorf("caller %d: %+v, %v", i, results[i], errs[i])
		}
	}
	h.wantRequests(t, 1, "10 concurrent callers share one lookup")
	if _, err := h.client.ResolveMessageFilter(context.Background(), "Update", "account"); err != nil {
		t.Fatal(err)
	}
	h.wantRequests(t, 1, "a cached pair makes no request")
	// A different pair is a different lookup.
	if _, err := h.client.ResolveMessageFilter(context.Background(), "Update", "contact"); err != nil {
		t.Fatal(err)
	}
	h.wantRequests(t, 2, "")
}

func TestResolveMessageFilterNotFoundIsNotCached(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeJSON(w, http.StatusOK, map[string]any{"value": []any{}})
	})
	for range 2 {
		if _, err := h.client.ResolveMessageFilter(context.Background(), "Updat", "account"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	}
	h.wantRequests(t, 2, "a miss must not be cached")
}

// Dataverse answers an unknown table in the filter with 400 0x80041102 (seen live), which
// the client reports as a missing table, not as a failed request.
func TestResolveMessageFilterUnknownTable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
			"code":    "0x80041102",
			"message": "The entity with a name = 'acount' with namemapping = 'Logical' was not found in the MetadataCache.",
		}})
	})
	_, err := h.client.ResolveMessageFilter(context.Background(), "Update", "acount")
	if !errors.Is(err, ErrUnknownTable) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrUnknownTable and ErrNotFound", err)
	}
	h.wantRequests(t, 1, "a 400 is not retried")
}

func TestResolveMessageFilterCallerContext(t *testing.T) {
	t.Parallel()
	h, release := newHeldFilterHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.client.ResolveMessageFilter(ctx, "Update", "account"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	close(release)
	// The shared lookup was not tied to the canceled caller and still fills the cache.
	got, err := h.client.ResolveMessageFilter(context.Background(), "Update", "account")
	if err != nil || got.FilterID != filterID {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestListMessageNamesAndTables(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		switch r.URL.Path {
		case APIPath + "sdkmessages":
			writeJSON(w, http.StatusOK, map[string]any{"value": []any{
				map[string]any{"sdkmessageid": fakeID(7, 1), "name": "Update"},
				map[string]any{"sdkmessageid": fakeID(7, 2), "name": "Create"},
				map[string]any{"sdkmessageid": fakeID(7, 3), "name": "Update"},
			}})
		default:
			writeJSON(w, http.StatusOK, map[string]any{"value": []any{
				map[string]any{"sdkmessagefilterid": fakeID(8, 1), "primaryobjecttypecode": "contact"},
				map[string]any{"sdkmessagefilterid": fakeID(8, 2), "primaryobjecttypecode": "none"},
				map[string]any{"sdkmessagefilterid": fakeID(8, 3), "primaryobjecttypecode": "account"},
			}})
		}
	})
	names, err := h.client.ListMessageNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"Create", "Update"}) {
		t.Errorf("names = %v", names)
	}
	tables, err := h.client.ListMessageTables(context.Background(), "Up'date")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tables, []string{"", "account", "contact"}) {
		t.Errorf("tables = %q", tables)
	}
	reqs := h.requests()
	checkRequest(t, reqs[0], want{
		Method: http.MethodGet, Path: "sdkmessages",
		Query:  map[string]string{"$select": "name"},
		Header: map[string]string{"Prefer": "odata.maxpagesize=5000"},
	})
	checkRequest(t, reqs[1], want{
		Method: http.MethodGet, Path: "sdkmessagefilters",
		Query: map[string]string{
			"$filter": "sdkmessageid/name eq 'Up''date' and iscustomprocessingstepallowed eq true",
			"$select": "primaryobjecttypecode",
		},
		Header: map[string]string{"Prefer": "odata.maxpagesize=5000"},
	})
}
