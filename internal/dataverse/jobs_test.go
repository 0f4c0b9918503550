package dataverse

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"
)

const jobSelect = "asyncoperationid,name,_owningextensionid_value,friendlymessage,message,errorcode,statuscode,createdon,startedon,completedon," +
	"correlationid,messagename,primaryentitytype,_regardingobjectid_value,retrycount"

const annotationsPrefer = `odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"`

func jobRowJSON(i int) map[string]any {
	return map[string]any{
		"asyncoperationid":         fmt.Sprintf("77777777-1111-4222-8333-4444444444%02d", i),
		"name":                     "orders: Update of account",
		"_owningextensionid_value": stepID,
		"friendlymessage":          "The webhook call failed.",
		"message":                  "Non success http status code: 503 received from server for OrgId: 1, serviceEndpointId: 2, name: orders, retryCount: 1",
		"errorcode":                -2147155455,
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
				FriendlyMessage: "The webhook call failed.", ErrorCode: -2147155455, StatusCode: 31,
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
			"@odata.nextLink": h.srv.URL + apiPath + fmt.Sprintf("asyncoperations?$skiptoken=%d", n),
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
