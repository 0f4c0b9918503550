package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a local webhook endpoint that records what it is sent.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	// statuses are answered in order; after them, 200.
	statuses []int
	calls    []delivered
	// block, when set, holds requests until the client gives up.
	block bool
}

type delivered struct {
	path   string
	query  url.Values
	header http.Header
	raw    []byte
	body   map[string]any
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	rc := &receiver{statuses: statuses}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		d := delivered{path: r.URL.Path, query: r.URL.Query(), header: r.Header.Clone(), raw: raw}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		_ = dec.Decode(&d.body)
		rc.mu.Lock()
		rc.calls = append(rc.calls, d)
		status := http.StatusOK
		if len(rc.statuses) > 0 {
			status, rc.statuses = rc.statuses[0], rc.statuses[1:]
		}
		block := rc.block
		rc.mu.Unlock()
		if block {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("ignored body"))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// stepNameOf names the step a body came from: the body's OwningExtension
// carries only its id (Name is null in real bodies).
func stepNameOf(c *apiClient, body map[string]any) string {
	id, _ := path(body, "OwningExtension", "Id").(string)
	row, _ := c.e.Row("sdkmessageprocessingsteps", id)
	name, _ := row["name"].(string)
	return name
}

func (rc *receiver) received() []delivered {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivered(nil), rc.calls...)
}

// deliveryEnv is an emulator of its own (steps fire for every write of their
// table), a client and a receiver.
func deliveryEnv(t *testing.T, o Options, statuses ...int) (*Emulator, *apiClient, *receiver) {
	t.Helper()
	e := startEmulator(t, o)
	return e, newClient(t, e), newReceiver(t, statuses...)
}

func waitIdle(t *testing.T, e *Emulator) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.WaitIdle(ctx); err != nil {
		t.Fatalf("WaitIdle: %v", err)
	}
}

// path walks a decoded body: keys for objects, indexes for arrays.
func path(v any, steps ...any) any {
	for _, s := range steps {
		switch k := s.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// attributes turns an entity's Attributes list into a map.
func attributes(ent any) map[string]any {
	out := map[string]any{}
	list, _ := path(ent, "Attributes").([]any)
	for _, kv := range list {
		out[path(kv, "key").(string)] = path(kv, "value")
	}
	return out
}

// §8 "POST to the url with JSON body: the RemoteExecutionContext" with the
// auth as registered: WebhookKey ?code=, HttpHeader headers, HttpQueryString parameters.
func TestDeliveryAuthAndShape(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		authType  int
		authValue string
		check     func(t *testing.T, d delivered)
	}{
		{"WebhookKey", 4, "k3y/with+chars", func(t *testing.T, d delivered) {
			if d.query.Get("code") != "k3y/with+chars" || d.query.Get("existing") != "1" {
				t.Fatalf("query = %v", d.query)
			}
		}},
		{"HttpHeader", 5, `<settings><setting name="X-Api-Key" value="v1" /><setting name=" X-Other " value=" a &amp; b " /></settings>`, func(t *testing.T, d delivered) {
			if d.header.Get("X-Api-Key") != "v1" || d.header.Get("X-Other") != "a & b" || d.query.Get("code") != "" {
				t.Fatalf("headers = %v", d.header)
			}
		}},
		{"HttpQueryString", 6, `<settings><setting name="Key1" value="Value1" /><setting name="Key2" value="Value 2" /></settings>`, func(t *testing.T, d delivered) {
			if d.query.Get("Key1") != "Value1" || d.query.Get("Key2") != "Value 2" || d.query.Get("existing") != "1" {
				t.Fatalf("query = %v", d.query)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, c, rc := deliveryEnv(t, Options{})
			hook := c.createWebhook("hook "+tc.name, rc.srv.URL+"/hook?existing=1", tc.authType, tc.authValue)
			step := c.createStep(stepSpec{name: "account create", endpoint: hook, message: "Create", table: "account", mode: 0, stage: 40, rank: 1})
			id := newGUID()
			c.do("POST", "accounts", map[string]any{"accountid": id, "name": "Fabrikam", "revenue": 12.5, "tier": "gold"}).mustStatus(t, http.StatusNoContent)
			calls := rc.received()
			if len(calls) != 1 {
				t.Fatalf("%d deliveries, want 1", len(calls))
			}
			d := calls[0]
			tc.check(t, d)

			// §8 headers.
			for name, want := range map[string]string{
				"Content-Type": "application/json",
				// the environment's host name in lower case, as in a real sample
				"X-Ms-Dynamics-Organization":      strings.ToLower(hostOf(t, e.URL())),
				"X-Ms-Dynamics-Entity-Name":       "account",
				"X-Ms-Dynamics-Request-Name":      "Create",
				"X-Ms-Dynamics-Msg-Size-Exceeded": "",
				// Only what the sender adds: no client name, no compression asked, kept alive.
				"User-Agent":      "",
				"Accept-Encoding": "",
				"Connection":      "",
			} {
				if got := d.header.Get(name); got != want {
					t.Errorf("header %s = %q, want %q", name, got, want)
				}
			}
			if d.header.Get("X-Ms-Correlation-Request-Id") != d.body["CorrelationId"] || d.body["CorrelationId"] == "" {
				t.Errorf("correlation header %q, body %v", d.header.Get("X-Ms-Correlation-Request-Id"), d.body["CorrelationId"])
			}
			// §8 body keys.
			app := ApplicationUserID(DefaultClientID)
			for key, want := range map[string]any{
				"MessageName": "Create", "PrimaryEntityName": "account", "PrimaryEntityId": id,
				"BusinessUnitId": businessUnitID, "OrganizationId": organizationID, "OrganizationName": organizationName,
				"UserId": app, "InitiatingUserId": app, "SecondaryEntityName": "none",
				"IsExecutingOffline": false, "IsOfflinePlayback": false, "IsInTransaction": true, "ParentContext": nil,
			} {
				if got := d.body[key]; got != want {
					t.Errorf("%s = %v, want %v", key, got, want)
				}
			}
			for key, want := range map[string]int64{"Stage": 40, "Mode": 0, "Depth": 1, "IsolationMode": 1} {
				if got := num(t, d.body[key]); got != want {
					t.Errorf("%s = %d, want %d", key, got, want)
				}
			}
			if path(d.body, "OwningExtension", "Id") != step || path(d.body, "OwningExtension", "LogicalName") != "sdkmessageprocessingstep" ||
				path(d.body, "OwningExtension", "Name") != nil {
				t.Errorf("OwningExtension = %v", d.body["OwningExtension"])
			}
			if path(d.body, "InputParameters", 0, "key") != "Target" {
				t.Fatalf("InputParameters = %v", d.body["InputParameters"])
			}
			target := path(d.body, "InputParameters", 0, "value")
			if path(target, "__type") != "Entity:http://schemas.microsoft.com/xrm/2011/Contracts" || path(target, "Id") != id ||
				path(target, "LogicalName") != "account" || path(target, "EntityState") != nil || path(target, "RowVersion") != nil {
				t.Errorf("Target = %v", target)
			}
			attrs := attributes(target)
			if attrs["name"] != "Fabrikam" || attrs["tier"] != "gold" || fmt.Sprint(attrs["revenue"]) != "12.5" || attrs["accountid"] != id {
				t.Errorf("Target attributes = %v", attrs)
			}
			if path(attrs["ownerid"], "__type") != "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts" ||
				path(attrs["ownerid"], "Id") != app || path(attrs["ownerid"], "LogicalName") != "systemuser" {
				t.Errorf("ownerid = %v", attrs["ownerid"])
			}
			if path(attrs["statecode"], "Value") == nil {
				t.Errorf("statecode = %v, want an OptionSetValue", attrs["statecode"])
			}
			if path(d.body, "OutputParameters", 0, "key") != "id" || path(d.body, "OutputParameters", 0, "value") != id {
				t.Errorf("OutputParameters = %v", d.body["OutputParameters"])
			}
			for _, key := range []string{"PreEntityImages", "PostEntityImages", "SharedVariables"} {
				if l, ok := d.body[key].([]any); !ok || len(l) != 0 {
					t.Errorf("%s = %v, want []", key, d.body[key])
				}
			}
			// Dates as "\/Date(1506409448000)\/", every '/' escaped as .NET writes it.
			if !bytes.Contains(d.raw, []byte(`"OperationCreatedOn":"\/Date(`)) || !bytes.Contains(d.raw, []byte(`http:\/\/schemas.microsoft.com`)) {
				t.Errorf("body not serialized as .NET does: %.300s", d.raw)
			}
			if created := attrs["createdon"]; !strings.HasPrefix(fmt.Sprint(created), "/Date(") {
				t.Errorf("createdon = %v", created)
			}
		})
	}
}

// §1 "A malformed value is accepted at registration and fails only when the webhook fires (error 0x80050203)".
func TestMalformedSettingsFailAtDelivery(t *testing.T) {
	t.Parallel()
	e, c, rc := deliveryEnv(t, Options{})
	for i, value := range []string{"not xml", `<settings></settings>`, `<settings><setting name="a" /></settings>`, `<settings><other name="a" value="b" /></settings>`} {
		hook := c.createWebhook(fmt.Sprint("bad headers ", i), rc.srv.URL, 5, value)
		step := c.createStep(stepSpec{name: "bad", endpoint: hook, message: "Create", table: "lead", mode: 0, stage: 20, rank: 1})
		r := c.do("POST", "leads", map[string]any{"subject": "x"})
		if r.status != http.StatusBadRequest || r.errorCode() != codeWebhookHeaders || strings.Contains(r.errorMessage(), value) ||
			!strings.HasPrefix(r.errorMessage(), "Received exception when adding custom http headers: for OrgId:"+organizationID+", serviceEndpointId: "+hook+", name: bad headers ") {
			t.Fatalf("%q: %d %s", value, r.status, r.raw)
		}
		c.do("DELETE", "sdkmessageprocessingsteps("+step+")", nil).mustStatus(t, http.StatusNoContent)
	}
	hook := c.createWebhook("bad query", rc.srv.URL, 6, "key=value")
	c.createStep(stepSpec{name: "bad query", endpoint: hook, message: "Create", table: "lead", mode: 0, stage: 20, rank: 1})
	if r := c.do("POST", "leads", map[string]any{"subject": "x"}); r.status != http.StatusBadRequest || r.errorCode() != codeWebhookQuery ||
		!strings.HasPrefix(r.errorMessage(), "Received exception when extracing keyValue pairs for custom query params  for OrgId:"+organizationID+", serviceEndpointId: "+hook+", name: bad query, exception:") {
		t.Fatalf("query settings: %d %s", r.status, r.raw)
	}
	if len(rc.received()) != 0 || len(e.Rows("leads")) != 0 {
		t.Fatalf("%d deliveries, %d leads; want none", len(rc.received()), len(e.Rows("leads")))
	}
}

// §8 "a synchronous failure fails the user's operation": nothing is stored.
func TestSynchronousFailureRollsBack(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		message string
		stage   int
		op      func(c *apiClient, id string) *response
		check   func(t *testing.T, e *Emulator, id string)
	}{
		{"create in PreOperation", "Create", 20, func(c *apiClient, id string) *response {
			return c.do("POST", "accounts", map[string]any{"accountid": id, "name": "new"})
		}, func(t *testing.T, e *Emulator, id string) {
			if _, ok := e.Row("accounts", id); ok {
				t.Fatal("row stored despite the failed step")
			}
		}},
		{"update in PostOperation", "Update", 40, func(c *apiClient, id string) *response {
			return c.do("PATCH", "accounts("+id+")", map[string]any{"name": "changed"})
		}, func(t *testing.T, e *Emulator, id string) {
			if row, _ := e.Row("accounts", id); row["name"] != "before" {
				t.Fatalf("row = %v, want the update rolled back", row)
			}
		}},
		{"delete in PreValidation", "Delete", 10, func(c *apiClient, id string) *response {
			return c.do("DELETE", "accounts("+id+")", nil)
		}, func(t *testing.T, e *Emulator, id string) {
			if _, ok := e.Row("accounts", id); !ok {
				t.Fatal("row deleted despite the failed step")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, c, rc := deliveryEnv(t, Options{}, http.StatusInternalServerError)
			id := newGUID()
			if tc.message != "Create" {
				c.do("POST", "accounts", map[string]any{"accountid": id, "name": "before"}).mustStatus(t, http.StatusNoContent)
			}
			hook := c.createWebhook("failing", rc.srv.URL, 4, "k")
			c.createStep(stepSpec{name: "failing step", endpoint: hook, message: tc.message, table: "account", mode: 0, stage: tc.stage, rank: 1})
			r := tc.op(c, id)
			if r.status != http.StatusBadRequest || r.errorCode() != codeWebhookStatus || !strings.Contains(r.errorMessage(), "500") {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			if len(rc.received()) != 1 {
				t.Fatalf("%d attempts, want 1 (500 is not retried)", len(rc.received()))
			}
			tc.check(t, e, id)
		})
	}
}

// §8 "An asynchronous failure becomes an asyncoperation with statuscode 31".
func TestAsynchronousFailureRecordsSystemJob(t *testing.T) {
	t.Parallel()
	e, c, rc := deliveryEnv(t, Options{}, http.StatusInternalServerError)
	hook := c.createWebhook("async failing", rc.srv.URL, 4, "k")
	step := c.createStep(stepSpec{name: "async failing step", endpoint: hook, message: "Create", table: "contact", mode: 1, stage: 40, rank: 1})
	id := newGUID()
	c.do("POST", "contacts", map[string]any{"contactid": id, "lastname": "Async"}).mustStatus(t, http.StatusNoContent)
	waitIdle(t, e)
	if len(rc.received()) != 1 {
		t.Fatalf("%d deliveries, want 1", len(rc.received()))
	}
	if row, ok := e.Row("contacts", id); !ok || row["lastname"] != "Async" {
		t.Fatal("an asynchronous failure undid the write")
	}
	if mode := num(t, rc.received()[0].body["Mode"]); mode != 1 || rc.received()[0].body["IsInTransaction"] != false {
		t.Fatalf("Mode %d, IsInTransaction %v", mode, rc.received()[0].body["IsInTransaction"])
	}
	// The documented query finds it.
	r := c.do("GET", "asyncoperations?$orderby=completedon desc&$filter=statuscode eq 31 and _owningextensionid_value eq @stepid&$select=name,friendlymessage,errorcode,message,completedon&@stepid="+step, nil).mustStatus(t, http.StatusOK)
	rows := r.values()
	if len(rows) != 1 {
		t.Fatalf("failed jobs: %s", r.raw)
	}
	if rows[0]["name"] != "async failing step" || num(t, rows[0]["errorcode"]) != -2147155455 ||
		!strings.Contains(rows[0]["message"].(string), "500") || rows[0]["friendlymessage"] == "" || rows[0]["completedon"] == nil {
		t.Fatalf("job = %v", rows[0])
	}
	jobID, _ := rows[0]["asyncoperationid"].(string)
	job, _ := e.Row("asyncoperations", jobID)
	for key, want := range map[string]any{
		"statecode": int64(3), "statuscode": int64(31), "operationtype": int64(1), "retrycount": int64(0),
		"_owningextensionid_value": step, "_regardingobjectid_value": id, "primaryentitytype": "contact",
		"correlationid": rc.received()[0].body["CorrelationId"],
	} {
		if job[key] != want {
			t.Errorf("job %s = %v, want %v", key, job[key], want)
		}
	}
	for _, key := range []string{"createdon", "startedon", "completedon"} {
		if job[key] == nil {
			t.Errorf("job %s is empty", key)
		}
	}
	// The context's OperationId is the job.
	if rc.received()[0].body["OperationId"] != job["asyncoperationid"] {
		t.Errorf("OperationId %v, job %v", rc.received()[0].body["OperationId"], job["asyncoperationid"])
	}

	// A read of the whole row has every column of the live row (asyncoperation-row-live.jsonc),
	// those the service fills filled, and no etag.
	whole := c.do("GET", "asyncoperations("+jobID+")", nil).mustStatus(t, http.StatusOK).body
	for _, key := range []string{"statecode", "asyncoperationid", "timezoneruleversionnumber", "createdon", "completedon", "depth",
		"messagename", "_ownerid_value", "name", "correlationid", "parentpluginexecutionid", "iswaitingforevent",
		"correlationupdatedtime", "hostid", "retainjobhistory", "_modifiedby_value", "statuscode", "operationtype", "modifiedon",
		"sequence", "_modifiedonbehalfby_value", "retrycount", "executiontimespan", "_createdonbehalfby_value", "_createdby_value",
		"startedon", "_owningbusinessunit_value", "dependencytoken", "_owninguser_value", "subtype", "expanderstarttime",
		"datablobid_name", "postponeuntil", "datablobid", "workload", "primaryentitytype", "data", "recurrencestarttime",
		"_regardingobjectid_value", "_workflowactivationid_value", "_owningextensionid_value", "requestid",
		"utcconversiontimezonecode", "callerorigin", "rootexecutioncontext", "recurrencepattern", "friendlymessage", "errorcode",
		"workflowstagename", "breadcrumbid", "message", "_owningteam_value"} {
		if _, ok := whole[key]; !ok {
			t.Errorf("the job's row has no %s", key)
		}
	}
	if _, ok := whole["@odata.etag"]; ok {
		t.Error("the job's row carries an etag")
	}
	for key, want := range map[string]any{"timezoneruleversionnumber": int64(0), "iswaitingforevent": false, "retainjobhistory": false,
		"parentpluginexecutionid": "00000000-0000-0000-0000-000000000000", "_owninguser_value": job["_ownerid_value"]} {
		if got := whole[key]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("job %s = %v, want %v", key, got, want)
		}
	}
	if span, err := strconv.ParseFloat(fmt.Sprint(whole["executiontimespan"]), 64); err != nil || span < 0 {
		t.Errorf("executiontimespan = %v, want the seconds the run took", whole["executiontimespan"])
	}
	if seq, err := strconv.Atoi(fmt.Sprint(whole["sequence"])); err != nil || seq < 1 || !strings.Contains(fmt.Sprint(whole["hostid"]), ".MSCRMAsyncService.") {
		t.Errorf("sequence %v, hostid %v; want a number and the service's name", whole["sequence"], whole["hostid"])
	}
}

// §2 "asyncautodelete | bool: delete the system job when it succeeds".
func TestAsyncAutoDelete(t *testing.T) {
	t.Parallel()
	e, c, rc := deliveryEnv(t, Options{})
	hook := c.createWebhook("async ok", rc.srv.URL, 4, "k")
	keep := c.createStep(stepSpec{name: "keeps its job", endpoint: hook, message: "Create", table: "account", mode: 1, stage: 40, rank: 1})
	drop := c.createStep(stepSpec{name: "deletes its job", endpoint: hook, message: "Create", table: "account", mode: 1, stage: 40, rank: 2, asyncAutoDelete: true})
	c.do("POST", "accounts", map[string]any{"name": "jobs"}).mustStatus(t, http.StatusNoContent)
	waitIdle(t, e)
	if len(rc.received()) != 2 {
		t.Fatalf("%d deliveries, want 2", len(rc.received()))
	}
	byStep := map[any][]map[string]any{}
	for _, job := range e.Rows("asyncoperations") {
		byStep[job["_owningextensionid_value"]] = append(byStep[job["_owningextensionid_value"]], job)
	}
	if len(byStep[drop]) != 0 {
		t.Fatalf("asyncautodelete left %v", byStep[drop])
	}
	if jobs := byStep[keep]; len(jobs) != 1 || jobs[0]["statuscode"] != int64(30) || jobs[0]["statecode"] != int64(3) {
		t.Fatalf("jobs of the step without asyncautodelete = %v", jobs)
	}
}

// An Update step with filtering attributes fires only when one of them is updated.
func TestFilteringAttributes(t *testing.T) {
	t.Parallel()
	_, c, rc := deliveryEnv(t, Options{})
	hook := c.createWebhook("filtered", rc.srv.URL, 4, "k")
	c.createStep(stepSpec{name: "filtered", endpoint: hook, message: "Update", table: "account", mode: 0, stage: 40, rank: 1,
		filteringAttributes: "name, Telephone1"})
	id := newGUID()
	c.do("POST", "accounts", map[string]any{"accountid": id, "name": "a"}).mustStatus(t, http.StatusNoContent)
	cases := []struct {
		body  map[string]any
		fires bool
	}{
		{map[string]any{"description": "not filtered"}, false},
		{map[string]any{"name": "b"}, true},
		{map[string]any{"telephone1": "555"}, true},
		{map[string]any{"description": "again", "custom": 1}, false},
	}
	for _, tc := range cases {
		before := len(rc.received())
		c.do("PATCH", "accounts("+id+")", tc.body).mustStatus(t, http.StatusNoContent)
		if fired := len(rc.received()) > before; fired != tc.fires {
			t.Fatalf("PATCH %v fired %v, want %v", tc.body, fired, tc.fires)
		}
	}
	// The Update target carries what was updated, the key and modifiedon/modifiedby/modifiedonbehalfby.
	last := rc.received()[len(rc.received())-1]
	attrs := attributes(path(last.body, "InputParameters", 0, "value"))
	if v, ok := attrs["modifiedonbehalfby"]; len(attrs) != 5 || !ok || v != nil || attrs["telephone1"] != "555" || attrs["accountid"] != id || attrs["modifiedon"] == nil || attrs["modifiedby"] == nil {
		t.Fatalf("Update target attributes = %v", attrs)
	}
}

// Disabled steps do not fire; nor do steps of other messages or tables.
func TestOnlyMatchingEnabledStepsFire(t *testing.T) {
	t.Parallel()
	_, c, rc := deliveryEnv(t, Options{})
	hook := c.createWebhook("matching", rc.srv.URL, 4, "k")
	disabled := c.createStep(stepSpec{name: "disabled", endpoint: hook, message: "Create", table: "account", mode: 0, stage: 40, rank: 1, disabled: true})
	c.createStep(stepSpec{name: "contact create", endpoint: hook, message: "Create", table: "contact", mode: 0, stage: 40, rank: 1})
	c.createStep(stepSpec{name: "account update", endpoint: hook, message: "Update", table: "account", mode: 0, stage: 40, rank: 1})
	c.do("POST", "accounts", map[string]any{"name": "quiet"}).mustStatus(t, http.StatusNoContent)
	if n := len(rc.received()); n != 0 {
		t.Fatalf("%d deliveries, want none", n)
	}
	c.do("PATCH", "sdkmessageprocessingsteps("+disabled+")", map[string]any{"statecode": 0, "statuscode": 1}).mustStatus(t, http.StatusNoContent)
	c.do("POST", "accounts", map[string]any{"name": "loud"}).mustStatus(t, http.StatusNoContent)
	if calls := rc.received(); len(calls) != 1 || stepNameOf(c, calls[0].body) != "disabled" {
		t.Fatalf("deliveries after enabling: %d", len(calls))
	}
	// A step without a filter fires for every table of its message.
	c.createStep(stepSpec{name: "every delete", endpoint: hook, message: "Delete", mode: 0, stage: 40, rank: 1})
	id := newGUID()
	c.do("POST", "leads", map[string]any{"leadid": id, "subject": "s"}).mustStatus(t, http.StatusNoContent)
	c.do("DELETE", "leads("+id+")", nil).mustStatus(t, http.StatusNoContent)
	calls := rc.received()
	last := calls[len(calls)-1]
	// For Delete the Target is an EntityReference.
	target := path(last.body, "InputParameters", 0, "value")
	if path(last.body, "MessageName") != "Delete" || path(target, "__type") != "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts" ||
		path(target, "Id") != id || path(target, "LogicalName") != "lead" || path(target, "Name") != nil {
		t.Fatalf("Delete delivery = %s", last.raw)
	}
	if l := last.body["OutputParameters"].([]any); len(l) != 0 {
		t.Fatalf("Delete OutputParameters = %v", l)
	}
}

// Steps fire in stage, then rank order.
func TestStageAndRankOrder(t *testing.T) {
	t.Parallel()
	_, c, rc := deliveryEnv(t, Options{})
	hook := c.createWebhook("ordered", rc.srv.URL, 4, "k")
	for _, s := range []struct {
		name        string
		stage, rank int
	}{{"post-1", 40, 1}, {"pre-2", 20, 2}, {"pre-1", 20, 1}, {"validation-9", 10, 9}, {"post-0", 40, 0}} {
		c.createStep(stepSpec{name: s.name, endpoint: hook, message: "Create", table: "account", mode: 0, stage: s.stage, rank: s.rank})
	}
	c.do("POST", "accounts", map[string]any{"name": "ordered"}).mustStatus(t, http.StatusNoContent)
	var order []string
	for _, d := range rc.received() {
		order = append(order, stepNameOf(c, d.body))
		if stage := num(t, d.body["Stage"]); stage != 40 && len(d.body["OutputParameters"].([]any)) != 0 {
			t.Errorf("stage %d carries output parameters", stage)
		}
	}
	if got := strings.Join(order, ","); got != "validation-9,pre-1,pre-2,post-0,post-1" {
		t.Fatalf("order %s", got)
	}
}

// Pre and post images carry exactly the registered columns: PreImage the row
// before, PostImage the row after; none before a Create, none after a Delete.
func TestEntityImages(t *testing.T) {
	t.Parallel()
	_, c, rc := deliveryEnv(t, Options{})
	hook := c.createWebhook("images", rc.srv.URL, 4, "k")
	image := func(step, alias string, imageType int, attrs, property string) {
		body := map[string]any{
			"name": alias, "entityalias": alias, "imagetype": imageType, "messagepropertyname": property,
			"sdkmessageprocessingstepid@odata.bind": "/sdkmessageprocessingsteps(" + step + ")",
		}
		if attrs != "" { // omitted for every column: an empty list is refused
			body["attributes"] = attrs
		}
		c.do("POST", "sdkmessageprocessingstepimages", body).mustStatus(t, http.StatusNoContent)
	}
	update := c.createStep(stepSpec{name: "update", endpoint: hook, message: "Update", table: "account", mode: 0, stage: 40, rank: 1})
	image(update, "pre", 0, "name,telephone1", "Target")
	image(update, "post", 1, "name", "Target")
	image(update, "both", 2, "", "Target")
	create := c.createStep(stepSpec{name: "create", endpoint: hook, message: "Create", table: "account", mode: 1, stage: 40, rank: 1})
	image(create, "both", 2, "name", "Id")
	del := c.createStep(stepSpec{name: "delete", endpoint: hook, message: "Delete", table: "account", mode: 0, stage: 40, rank: 1})
	image(del, "both", 2, "name", "Target")

	id := newGUID()
	c.do("POST", "accounts", map[string]any{"accountid": id, "name": "old", "telephone1": "111", "region": "west"}).mustStatus(t, http.StatusNoContent)
	c.do("PATCH", "accounts("+id+")", map[string]any{"name": "new"}).mustStatus(t, http.StatusNoContent)
	c.do("DELETE", "accounts("+id+")", nil).mustStatus(t, http.StatusNoContent)
	waitIdle(t, c.e)

	byStep := map[string]map[string]any{}
	for _, d := range rc.received() {
		byStep[stepNameOf(c, d.body)] = d.body
	}
	images := func(body map[string]any, key string) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, kv := range body[key].([]any) {
			out[path(kv, "key").(string)] = attributes(path(kv, "value"))
		}
		return out
	}
	upd := byStep["update"]
	pre, post := images(upd, "PreEntityImages"), images(upd, "PostEntityImages")
	if fmt.Sprint(pre["pre"]) != "map[name:old telephone1:111]" || fmt.Sprint(post["post"]) != "map[name:new]" {
		t.Fatalf("update images: pre %v post %v", pre, post)
	}
	if pre["both"]["name"] != "old" || pre["both"]["region"] != "west" || post["both"]["name"] != "new" || len(pre) != 2 || len(post) != 2 {
		t.Fatalf("update images of type Both: pre %v post %v", pre["both"], post["both"])
	}
	if pre := images(byStep["create"], "PreEntityImages"); len(pre) != 0 {
		t.Fatalf("Create pre images %v", pre)
	}
	if post := images(byStep["create"], "PostEntityImages"); fmt.Sprint(post["both"]) != "map[name:old]" {
		t.Fatalf("Create post images %v", post)
	}
	if post := images(byStep["delete"], "PostEntityImages"); len(post) != 0 {
		t.Fatalf("Delete post images %v", post)
	}
	if pre := images(byStep["delete"], "PreEntityImages"); fmt.Sprint(pre["both"]) != "map[name:new]" {
		t.Fatalf("Delete pre images %v", pre)
	}
}

// §8 "x-ms-dynamics-msg-size-exceeded when the body would exceed 256 KB (then
// ParentContext, InputParameters and the images are dropped)".
func TestSizeExceeded(t *testing.T) {
	t.Parallel()
	_, c, rc := deliveryEnv(t, Options{})
	hook := c.createWebhook("big", rc.srv.URL, 4, "k")
	step := c.createStep(stepSpec{name: "big", endpoint: hook, message: "Create", table: "contact", mode: 0, stage: 40, rank: 1})
	c.do("POST", "sdkmessageprocessingstepimages", map[string]any{
		"name": "post", "entityalias": "post", "imagetype": 1, "messagepropertyname": "Id",
		"sdkmessageprocessingstepid@odata.bind": "/sdkmessageprocessingsteps(" + step + ")",
	}).mustStatus(t, http.StatusNoContent)
	c.do("POST", "contacts", map[string]any{"lastname": "small"}).mustStatus(t, http.StatusNoContent)
	c.do("POST", "contacts", map[string]any{"lastname": "big", "notes_blob": strings.Repeat("x", 300*1024)}).mustStatus(t, http.StatusNoContent)
	calls := rc.received()
	if len(calls) != 2 {
		t.Fatalf("%d deliveries", len(calls))
	}
	if calls[0].header.Get("x-ms-dynamics-msg-size-exceeded") != "" || len(calls[0].body["InputParameters"].([]any)) != 1 {
		t.Fatal("a small payload was trimmed")
	}
	big := calls[1]
	if big.header.Get("x-ms-dynamics-msg-size-exceeded") != "true" || len(big.raw) > 262144 {
		t.Fatalf("header %q, %d bytes", big.header.Get("x-ms-dynamics-msg-size-exceeded"), len(big.raw))
	}
	for _, key := range []string{"InputParameters", "PreEntityImages", "PostEntityImages"} {
		if l, ok := big.body[key].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %v, want dropped", key, big.body[key])
		}
	}
	if big.body["ParentContext"] != nil || big.body["MessageName"] != "Create" || big.body["PrimaryEntityName"] != "contact" {
		t.Errorf("trimmed body = %.300s", big.raw)
	}
}

// §8 "non-2xx is a failure; one more attempt only on 502, 503, 504".
func TestRetryOnlyOnGatewayErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		statuses []int
		attempts int
		ok       bool
	}{
		{[]int{502}, 2, true},
		{[]int{503}, 2, true},
		{[]int{504}, 2, true},
		{[]int{503, 503}, 2, false},
		{[]int{504, 500}, 2, false},
		{[]int{500}, 1, false},
		{[]int{404}, 1, false},
		{[]int{429}, 1, false},
		{[]int{301}, 1, false},
		{[]int{202}, 1, true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.statuses), func(t *testing.T) {
			t.Parallel()
			_, c, rc := deliveryEnv(t, Options{}, tc.statuses...)
			hook := c.createWebhook("retry", rc.srv.URL, 4, "k")
			c.createStep(stepSpec{name: "retry", endpoint: hook, message: "Create", table: "account", mode: 0, stage: 20, rank: 1})
			r := c.do("POST", "accounts", map[string]any{"name": "retry"})
			if ok := r.status == http.StatusNoContent; ok != tc.ok {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			if n := len(rc.received()); n != tc.attempts {
				t.Fatalf("%d attempts, want %d", n, tc.attempts)
			}
			if !tc.ok && (r.errorCode() != codeWebhookStatus || !strings.Contains(r.errorMessage(), fmt.Sprintf("retryCount: %d", tc.attempts-1))) {
				t.Fatalf("error %s", r.raw)
			}
		})
	}
}

// The sender's second attempt after a 502, 503 or 504 happens inside one run of the system
// job (webhookclient-decompiled-facts.md): the message counts it, the job's retrycount (the
// asynchronous service's retries of the job, 0 in the live row) does not.
func TestAsynchronousRetryIsNotAJobRetry(t *testing.T) {
	t.Parallel()
	e, c, rc := deliveryEnv(t, Options{}, http.StatusServiceUnavailable, http.StatusServiceUnavailable)
	hook := c.createWebhook("async retry", rc.srv.URL, 4, "k")
	step := c.createStep(stepSpec{name: "async retry", endpoint: hook, message: "Create", table: "contact", mode: 1, stage: 40, rank: 1})
	c.do("POST", "contacts", map[string]any{"lastname": "Retry"}).mustStatus(t, http.StatusNoContent)
	waitIdle(t, e)
	if n := len(rc.received()); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	r := c.do("GET", "asyncoperations?$filter=_owningextensionid_value eq "+step+"&$select=statuscode,retrycount,message", nil).mustStatus(t, http.StatusOK)
	rows := r.values()
	if len(rows) != 1 {
		t.Fatalf("jobs: %s", r.raw)
	}
	if num(t, rows[0]["statuscode"]) != 31 || num(t, rows[0]["retrycount"]) != 0 || !strings.Contains(fmt.Sprint(rows[0]["message"]), "retryCount: 1") {
		t.Fatalf("job = %v", rows[0])
	}
}

// A synchronous context: in the transaction except in PreValidation, and a RequestId of the
// request apart from the CorrelationId (the real Create capture's differ).
func TestSynchronousContextTransactionAndRequest(t *testing.T) {
	t.Parallel()
	_, c, rc := deliveryEnv(t, Options{})
	hook := c.createWebhook("sync context", rc.srv.URL, 4, "k")
	for _, stage := range []int{10, 20, 40} {
		c.createStep(stepSpec{name: fmt.Sprint("stage ", stage), endpoint: hook, message: "Create", table: "account", mode: 0, stage: stage, rank: 1})
	}
	c.do("POST", "accounts", map[string]any{"name": "first"}).mustStatus(t, http.StatusNoContent)
	c.do("POST", "accounts", map[string]any{"name": "second"}).mustStatus(t, http.StatusNoContent)
	calls := rc.received()
	if len(calls) != 6 {
		t.Fatalf("%d deliveries, want 6", len(calls))
	}
	for i, d := range calls {
		stage := num(t, d.body["Stage"])
		if want := stage != 10; d.body["IsInTransaction"] != want {
			t.Errorf("stage %d: IsInTransaction = %v, want %v", stage, d.body["IsInTransaction"], want)
		}
		request, _ := d.body["RequestId"].(string)
		if !isGUID(request) || request == d.body["CorrelationId"] {
			t.Errorf("stage %d: RequestId %v, CorrelationId %v", stage, d.body["RequestId"], d.body["CorrelationId"])
		}
		sameRequest := i/3 == 0
		if first := calls[0].body["RequestId"]; (d.body["RequestId"] == first) != sameRequest {
			t.Errorf("delivery %d: RequestId %v, first request's %v", i, d.body["RequestId"], first)
		}
	}
}

// §8 "Timeout 60 s" (DeliveryTimeout here), and deliveries go only to this machine.
func TestDeliveryTimeoutAndTargets(t *testing.T) {
	t.Parallel()
	_, c, rc := deliveryEnv(t, Options{DeliveryTimeout: 300 * time.Millisecond})
	rc.block = true
	hook := c.createWebhook("slow", rc.srv.URL, 4, "k")
	step := c.createStep(stepSpec{name: "slow", endpoint: hook, message: "Create", table: "account", mode: 0, stage: 20, rank: 1})
	r := c.do("POST", "accounts", map[string]any{"name": "slow"})
	r.mustFail(t, http.StatusBadRequest, codeWebhookTimeout, "timeout")
	c.do("DELETE", "sdkmessageprocessingsteps("+step+")", nil).mustStatus(t, http.StatusNoContent)

	remote := c.createWebhook("remote", "https://receiver.example.com/hook", 4, "k")
	c.createStep(stepSpec{name: "remote", endpoint: remote, message: "Create", table: "account", mode: 0, stage: 20, rank: 1})
	r = c.do("POST", "accounts", map[string]any{"name": "remote"})
	r.mustFail(t, http.StatusBadRequest, codeWebhookSend, "remote target")
}

// The step's impersonating user is the context's UserId; the caller stays InitiatingUserId.
func TestImpersonatingUser(t *testing.T) {
	t.Parallel()
	_, c, rc := deliveryEnv(t, Options{})
	hook := c.createWebhook("as riley", rc.srv.URL, 4, "k")
	step := c.createStep(stepSpec{name: "as riley", endpoint: hook, message: "Create", table: "account", mode: 0, stage: 40, rank: 1})
	riley := stableGUID("systemuser", "riley")
	c.do("PATCH", "sdkmessageprocessingsteps("+step+")", map[string]any{
		"impersonatinguserid@odata.bind": "/systemusers(" + riley + ")",
	}).mustStatus(t, http.StatusNoContent)
	c.do("POST", "accounts", map[string]any{"name": "x"}).mustStatus(t, http.StatusNoContent)
	d := rc.received()[0]
	if d.body["UserId"] != riley || d.body["InitiatingUserId"] != ApplicationUserID(DefaultClientID) {
		t.Fatalf("UserId %v InitiatingUserId %v", d.body["UserId"], d.body["InitiatingUserId"])
	}
}

// Close cancels deliveries still running and waits for them.
func TestCloseStopsDeliveries(t *testing.T) {
	t.Parallel()
	e, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, e)
	rc := newReceiver(t)
	rc.block = true
	hook := c.createWebhook("blocked", rc.srv.URL, 4, "k")
	c.createStep(stepSpec{name: "blocked", endpoint: hook, message: "Create", table: "account", mode: 1, stage: 40, rank: 1})
	c.do("POST", "accounts", map[string]any{"name": "x"}).mustStatus(t, http.StatusNoContent)
	deadline := time.Now().Add(30 * time.Second)
	for len(rc.received()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the delivery never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitIdle(context.Background()); err != nil {
		t.Fatalf("WaitIdle after Close: %v", err)
	}
}

// The sender merges its pairs into the URL's query as a .NET query collection, whose names
// ignore case: a pair replaces a parameter of the URL spelled in another case.
func TestDeliveryQueryPairsReplaceParametersOfAnyCase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		authType  int
		authValue string
		want      url.Values
	}{
		{"WebhookKey", 4, "k3y", url.Values{"code": {"k3y"}, "key1": {"x"}}},
		{"HttpQueryString", 6, `<settings><setting name="KEY1" value="y" /></settings>`, url.Values{"Code": {"old"}, "KEY1": {"y"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, c, rc := deliveryEnv(t, Options{})
			hook := c.createWebhook("hook "+tc.name, rc.srv.URL+"/hook?Code=old&key1=x", tc.authType, tc.authValue)
			c.createStep(stepSpec{name: "account create", endpoint: hook, message: "Create", table: "account", mode: 0, stage: 40, rank: 1})
			c.do("POST", "accounts", map[string]any{"accountid": newGUID(), "name": "Fabrikam"}).mustStatus(t, http.StatusNoContent)
			calls := rc.received()
			if len(calls) != 1 {
				t.Fatalf("%d deliveries, want 1", len(calls))
			}
			if got := calls[0].query; !maps.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("query %v, want %v", got, tc.want)
			}
		})
	}
}

// An asynchronous step's context carries the main operation's (stage 30) as its ParentContext,
// as both real asynchronous bodies do: same operation and request, SuppressDuplicateDetection
// beside the Target, no images or output, no parent of its own. A Create's contexts carry the
// DefaultsAddedFlag shared variable.
func TestDeliveryAsynchronousContextHasTheMainOperationAsParent(t *testing.T) {
	t.Parallel()
	_, c, rc := deliveryEnv(t, Options{})
	hook := c.createWebhook("hook async", rc.srv.URL+"/hook", 4, "k")
	c.createStep(stepSpec{name: "create", endpoint: hook, message: "Create", table: "account", mode: 1, stage: 40, rank: 1})
	c.createStep(stepSpec{name: "update", endpoint: hook, message: "Update", table: "account", mode: 1, stage: 40, rank: 1})
	id := newGUID()
	c.do("POST", "accounts", map[string]any{"accountid": id, "name": "old"}).mustStatus(t, http.StatusNoContent)
	c.do("PATCH", "accounts("+id+")", map[string]any{"name": "new"}).mustStatus(t, http.StatusNoContent)
	waitIdle(t, c.e)
	byStep := map[string]map[string]any{}
	for _, d := range rc.received() {
		byStep[stepNameOf(c, d.body)] = d.body
	}
	keys := func(v any) []string {
		var out []string
		for _, kv := range v.([]any) {
			out = append(out, path(kv, "key").(string))
		}
		return out
	}
	for name, shared := range map[string][]string{"create": {"DefaultsAddedFlag"}, "update": nil} {
		body := byStep[name]
		parent, ok := body["ParentContext"].(map[string]any)
		if !ok {
			t.Fatalf("%s: ParentContext %v, want the main operation's context", name, body["ParentContext"])
		}
		if num(t, parent["Stage"]) != 30 || num(t, parent["Mode"]) != 1 || parent["ParentContext"] != nil || parent["IsInTransaction"] != false {
			t.Errorf("%s: parent Stage %v Mode %v ParentContext %v IsInTransaction %v", name, parent["Stage"], parent["Mode"], parent["ParentContext"], parent["IsInTransaction"])
		}
		for _, same := range []string{"MessageName", "OperationId", "RequestId", "CorrelationId", "PrimaryEntityId", "UserId"} {
			if parent[same] != body[same] {
				t.Errorf("%s: parent %s %v, the step's %v", name, same, parent[same], body[same])
			}
		}
		if got := keys(parent["InputParameters"]); !slices.Equal(got, []string{"Target", "SuppressDuplicateDetection"}) {
			t.Errorf("%s: parent InputParameters %v", name, got)
		}
		for _, empty := range []string{"OutputParameters", "PreEntityImages", "PostEntityImages"} {
			if n := len(parent[empty].([]any)); n != 0 {
				t.Errorf("%s: parent %s has %d entries, want none", name, empty, n)
			}
		}
		if got := keys(body["SharedVariables"]); !slices.Equal(got, shared) {
			t.Errorf("%s: SharedVariables %v, want %v", name, got, shared)
		}
		// webhook-body-msdocs-update-async.json.md: an Update's main operation shares the tables
		// it changed, its own among them, as KeyValuePairOfstringstring; a Create's shares what
		// the step's context does.
		wantParent := shared
		if name == "update" {
			wantParent = []string{"ChangedEntityTypes"}
			var pair map[string]any
			if vars, _ := parent["SharedVariables"].([]any); len(vars) == 1 {
				first, _ := vars[0].(map[string]any)
				if changed, _ := first["value"].([]any); len(changed) > 0 {
					pair, _ = changed[len(changed)-1].(map[string]any)
				}
			}
			if pair["__type"] != "KeyValuePairOfstringstring:#System.Collections.Generic" || pair["key"] != body["PrimaryEntityName"] || pair["value"] != "Update" {
				t.Errorf("update: parent SharedVariables %v, want ChangedEntityTypes ending in the step's table changed by Update", parent["SharedVariables"])
			}
		}
		if got := keys(parent["SharedVariables"]); !slices.Equal(got, wantParent) {
			t.Errorf("%s: parent SharedVariables %v, want %v", name, got, wantParent)
		}
	}
}
