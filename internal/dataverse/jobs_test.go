package dataverse

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

const jobSelect = "asyncoperationid,name,_owningextensionid_value,friendlymessage,message,errorcode,createdon,startedon,completedon," +
	"correlationid,messagename,primaryentitytype,_regardingobjectid_value,retrycount,statecode,statuscode"

const annotationsPrefer = `odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"`

func jobRowJSON(i int) map[string]any {
	return map[string]any{
		"asyncoperationid":         fmt.Sprintf("77777777-1111-4222-8333-4444444444%02d", i),
		"name":                     "orders: Update of account",
		"_owningextensionid_value": stepID,
		"friendlymessage":          "The webhook call failed.",
		"message":                  "Non success http status code: 503 received from server for OrgId: 1, serviceEndpointId: 2, name: orders, retryCount: 1",
		"errorcode":                -2147155455,
		"statecode":                3,
		"statuscode":               31,
		"createdon":                "2025-01-02T03:04:00Z",
		"startedon":                "2025-01-02T03:04:01Z",
		"completedon":              fmt.Sprintf("2025-01-02T03:%02d:02Z", 59-i%60),
		"correlationid":            "071fab86-847c-4317-a19d-9ac4a0da3959",
		"messagename":              "Update",
		"primaryentitytype":        "account",
		"retrycount":               1,
		"_regardingobjectid_value": "a1b2c3d4-0000-4000-8000-000000000001",
		"_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account",
	}
}

func TestListFailedJobsRequest(t *testing.T) {
	t.Parallel()
	since := time.Date(2025, 1, 2, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name       string
		q          FailedJobsQuery
		wantQuery  map[string]string
		wantPrefer string
	}{
		{
			name: "steps, since and top",
			q:    FailedJobsQuery{StepIDs: []string{stepID, stepID2}, Since: since, Top: 2},
			wantQuery: map[string]string{
				"$select":  jobSelect,
				"$filter":  "statuscode eq 31 and (_owningextensionid_value eq @s0 or _owningextensionid_value eq @s1) and completedon ge 2025-01-01T23:00:00Z",
				"$orderby": "completedon desc",
				"$top":     "2",
				"@s0":      stepID, "@s1": stepID2,
			},
			wantPrefer: annotationsPrefer, // no page size: $top fits one page
		},
		{
			name: "everything",
			q:    FailedJobsQuery{},
			wantQuery: map[string]string{
				"$select": jobSelect, "$filter": "statuscode eq 31", "$orderby": "completedon desc",
			},
			wantPrefer: "odata.maxpagesize=5000," + annotationsPrefer,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				writeJSON(w, http.StatusOK, map[string]any{"value": []any{jobRowJSON(1), jobRowJSON(2)}})
			})
			got, err := h.client.ListFailedJobs(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			w := want{Method: http.MethodGet, Path: "asyncoperations", Query: tt.wantQuery}
			w.Header = map[string]string{"Prefer": tt.wantPrefer}
			checkRequest(t, h.onlyRequest(), w)
			first := SystemJob{
				ID: "77777777-1111-4222-8333-444444444401", Name: "orders: Update of account", StepID: stepID,
				FriendlyMessage: "The webhook call failed.", ErrorCode: -2147155455,
				Message:       "Non success http status code: 503 received from server for OrgId: 1, serviceEndpointId: 2, name: orders, retryCount: 1",
				CorrelationID: "071fab86-847c-4317-a19d-9ac4a0da3959", MessageName: "Update",
				RecordTable: "account", RecordID: "a1b2c3d4-0000-4000-8000-000000000001", RetryCount: 1,
				CreatedOn:   time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC),
				StartedOn:   time.Date(2025, 1, 2, 3, 4, 1, 0, time.UTC),
				CompletedOn: time.Date(2025, 1, 2, 3, 58, 2, 0, time.UTC),
			}
			if len(got) != 2 || !reflect.DeepEqual(got[0], first) {
				t.Errorf("jobs = %+v", got)
			}
		})
	}
}

func TestListFailedJobsTopStopsPaging(t *testing.T) {
	t.Parallel()
	var h *harness
	h = newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeJSON(w, http.StatusOK, map[string]any{
			"value":           []any{jobRowJSON(2*n - 1), jobRowJSON(2 * n)},
			"@odata.nextLink": h.srv.URL + APIPath + fmt.Sprintf("asyncoperations?$skiptoken=%d", n),
		})
	})
	h.client.pageSize = 2
	got, err := h.client.ListFailedJobs(context.Background(), FailedJobsQuery{Top: 5})
	if err != nil {
		t.Fatal(err)
	}
	// 5 rows do not fit one page of 2, so the client pages without $top and stops at the
	// limit; the fake server never runs out, so stopping proves the limit is applied.
	if len(got) != 5 {
		t.Errorf("jobs = %d, want 5", len(got))
	}
	reqs := h.requests()
	if len(reqs) != 3 {
		t.Errorf("requests = %d, want 3", len(reqs))
	}
	if q := reqs[0].Query; q.Has("$top") || reqs[0].Header.Get("Prefer") != "odata.maxpagesize=2,"+annotationsPrefer {
		t.Errorf("first page query %v, Prefer %q", q, reqs[0].Header.Get("Prefer"))
	}
}

// ListFailedJobsUpTo asks for one job more than top while that fits a page, to tell whether more
// match; at a page's size it asks for top, and a full list says more may match.
func TestListFailedJobsUpToTellsWhetherMoreMatch(t *testing.T) {
	t.Parallel()
	const pageSize = 5
	for _, tc := range []struct {
		top, matching, asked, kept int
		beyond                     JobsBeyond
	}{
		{top: 2, matching: 1, asked: 3, kept: 1, beyond: NoJobsBeyond},
		{top: 2, matching: 2, asked: 3, kept: 2, beyond: NoJobsBeyond},
		{top: 2, matching: 3, asked: 3, kept: 2, beyond: JobsBeyondTop},
		{top: 4, matching: 9, asked: 5, kept: 4, beyond: JobsBeyondTop},
		{top: 5, matching: 4, asked: 5, kept: 4, beyond: NoJobsBeyond},
		{top: 5, matching: 9, asked: 5, kept: 5, beyond: MaybeJobsBeyond},
	} {
		h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
			top, _ := strconv.Atoi(r.URL.Query().Get("$top"))
			rows := []any{}
			for i := 1; i <= min(top, tc.matching); i++ {
				rows = append(rows, jobRowJSON(i))
			}
			writeJSON(w, http.StatusOK, map[string]any{"value": rows})
		}, withPageSize(pageSize))
		jobs, beyond, err := h.client.ListFailedJobsUpTo(context.Background(), FailedJobsQuery{Top: tc.top})
		if err != nil {
			t.Fatal(err)
		}
		asked := h.requests()[0].Query.Get("$top")
		if len(jobs) != tc.kept || beyond != tc.beyond || asked != strconv.Itoa(tc.asked) {
			t.Errorf("top %d of %d matching: asked $top=%s, kept %d, beyond %v; want $top=%d, %d, %v",
				tc.top, tc.matching, asked, len(jobs), beyond, tc.asked, tc.kept, tc.beyond)
		}
	}
}

func TestErrorCodeHex(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]string{
		-2147155455: "0x80050201", // as asyncoperation.errorcode holds it
		-2147155449: "0x80050207",
		0x80050205:  "0x80050205", // already unsigned
		0:           "",
	} {
		if got := ErrorCodeHex(code); got != want {
			t.Errorf("ErrorCodeHex(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestSystemJobHTTPStatus(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]int{
		// Dataverse's webhook client, from its message template
		"Non success http status code: 500 received from server for OrgId: 1, serviceEndpointId: 2, name: n, retryCount: 0": 500,
		"Webhook endpoint answered a non-success HTTP status code: 404 (serviceEndpointId: 2)":                              404,
		"The request timed out.":                            0,
		"dial tcp 127.0.0.1:9: connect: connection refused": 0,
		"": 0,
	} {
		if got := (SystemJob{Message: msg}).HTTPStatus(); got != want {
			t.Errorf("HTTPStatus(%q) = %d, want %d", msg, got, want)
		}
	}
}

func TestRecordTable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		row  systemJobRow
		want string
	}{
		{systemJobRow{RegardingID: "x", RegardingTable: "contact", PrimaryEntity: "account"}, "contact"},
		{systemJobRow{RegardingID: "x", PrimaryEntity: "account"}, "account"},
		{systemJobRow{PrimaryEntity: "account"}, ""}, // no record: the row was deleted
	}
	for _, c := range cases {
		if got := recordTable(c.row); got != c.want {
			t.Errorf("recordTable(%+v) = %q, want %q", c.row, got, c.want)
		}
	}
}

// A webhook's steps can be many: the job queries name at most 40 steps each, and their rows are
// put back in one order and cut to what was asked for.
func TestJobQueriesOfManyStepsAreChunked(t *testing.T) {
	t.Parallel()
	steps := make([]string, 90)
	for i := range steps {
		steps[i] = fmt.Sprintf("5a5a5a5a-0000-4000-8000-%012d", i)
	}
	// Each query answers with two jobs; the later a query, the later its jobs completed.
	answer := func(w http.ResponseWriter, n int) {
		rows := []any{}
		for k := range 2 {
			row := jobRowJSON(10*n + k)
			row["completedon"] = fmt.Sprintf("2025-01-02T03:%02d:%02dZ", n, 10*k)
			row["_owningextensionid_value"] = steps[(n-1)*40]
			rows = append(rows, row)
		}
		writeJSON(w, http.StatusOK, map[string]any{"value": rows})
	}
	chunked := func(t *testing.T, h *harness) {
		t.Helper()
		reqs := h.requests()
		if len(reqs) != 3 {
			t.Fatalf("%d queries for 90 steps, want 3", len(reqs))
		}
		for _, r := range reqs {
			named := 0
			for k := range r.Query {
				if len(k) > 2 && k[:2] == "@s" {
					named++
				}
			}
			if named > 40 || named == 0 {
				t.Errorf("a query names %d steps, want 1 to 40: %s", named, r.RawQuery)
			}
		}
	}

	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, n int, _ string) { answer(w, n) })
	got, err := h.client.ListFailedJobs(context.Background(), FailedJobsQuery{StepIDs: steps, Top: 3})
	if err != nil {
		t.Fatal(err)
	}
	chunked(t, h)
	var completed []string
	for _, j := range got {
		completed = append(completed, j.CompletedOn.Format("04:05"))
	}
	if want := []string{"03:10", "03:00", "02:10"}; !reflect.DeepEqual(completed, want) {
		t.Errorf("jobs completed at %v, want %v: the newest of all queries, newest first", completed, want)
	}

	var (
		mu      sync.Mutex
		deleted []string
	)
	h = newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		if r.Method == http.MethodDelete {
			mu.Lock()
			deleted = append(deleted, path.Base(r.URL.Path))
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		answer(w, n)
	})
	res, err := h.client.DeleteCompletedJobs(context.Background(), JobCleanup{StepIDs: steps, Failed: true, Max: 2, Parallel: 1,
		CompletedBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 2 || !res.More {
		t.Errorf("result %+v, want 2 deleted and more left", res)
	}
	var queries []seen
	for _, r := range h.requests() {
		if r.Method == http.MethodGet {
			queries = append(queries, r)
		}
	}
	if len(queries) != 3 {
		t.Fatalf("%d queries for 90 steps, want 3", len(queries))
	}
	// The two oldest of all: those of the first query to answer (jobs 10 and 11).
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(deleted)
	if want := []string{"asyncoperations(77777777-1111-4222-8333-444444444410)", "asyncoperations(77777777-1111-4222-8333-444444444411)"}; !reflect.DeepEqual(deleted, want) {
		t.Errorf("deleted %v, want %v", deleted, want)
	}
}
