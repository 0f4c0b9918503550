package emulator

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// The queries of register-a-webhook.md (its "?@id" typos written "&@id") and
// of facts sheet §3 and §4, answered as Dataverse would.
func TestDocumentedQueries(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	v90 := e.URL() + "/api/data/v9.0"
	hook := c.createWebhook("hook-documented", "https://r.example/doc", 6,
		`<settings><setting name="a" value="1" /></settings>`)
	otherHook := c.createWebhook("hook-documented-other", "https://r.example/doc2", 4, "k")
	step := c.createStep(stepSpec{name: "documented step", endpoint: hook, message: "Update", table: "account",
		mode: 1, stage: 40, rank: 1, filteringAttributes: "name,telephone1", asyncAutoDelete: true})
	c.createStep(stepSpec{name: "documented step 2", endpoint: hook, message: "Create", table: "contact", mode: 0, stage: 20, rank: 2})
	c.createStep(stepSpec{name: "someone else's step", endpoint: otherHook, message: "Create", table: "contact", mode: 1, stage: 40, rank: 1})

	t.Run("webhook registrations", func(t *testing.T) {
		t.Parallel()
		// GET [organization URI]/api/data/v9.0/serviceendpoints?$filter=contract eq 8&$select= serviceendpointid,name,authtype,url
		r := c.do("GET", "/api/data/v9.0/serviceendpoints?$filter=contract eq 8&$select= serviceendpointid,name,authtype,url", nil).mustStatus(t, http.StatusOK)
		if r.body["@odata.context"] != v90+"/$metadata#serviceendpoints(serviceendpointid,name,authtype,url)" {
			t.Fatalf("@odata.context = %v", r.body["@odata.context"])
		}
		found := false
		for _, row := range r.values() {
			// The selected columns, and _organizationid_value, which a live read returned unselected.
			if len(row) != 5 || row["_organizationid_value"] != organizationID {
				t.Fatalf("row has other properties than the selected ones: %v", row)
			}
			if row["serviceendpointid"] == hook {
				found = row["name"] == "hook-documented" && num(t, row["authtype"]) == 6 && row["url"] == "https://r.example/doc"
			}
		}
		if !found {
			t.Fatalf("webhook missing from %s", r.raw)
		}
	})

	t.Run("steps of a webhook", func(t *testing.T) {
		t.Parallel()
		// GET …/serviceendpoints(@id)/serviceendpoint_sdkmessageprocessingstep?$select=…&@id=<id>
		r := c.do("GET", "/api/data/v9.0/serviceendpoints(@id)/serviceendpoint_sdkmessageprocessingstep?$select=sdkmessageprocessingstepid,name,description,asyncautodelete,filteringattributes,mode,stage&@id="+hook, nil).mustStatus(t, http.StatusOK)
		rows := r.values()
		if len(rows) != 2 {
			t.Fatalf("got %d steps, want 2: %s", len(rows), r.raw)
		}
		for _, row := range rows {
			if row["sdkmessageprocessingstepid"] == step {
				if row["filteringattributes"] != "name,telephone1" || row["asyncautodelete"] != true || num(t, row["mode"]) != 1 || num(t, row["stage"]) != 40 {
					t.Fatalf("step row = %v", row)
				}
			}
		}
		// A missing endpoint is a 404, not an empty list.
		c.do("GET", "serviceendpoints("+newGUID()+")/serviceendpoint_sdkmessageprocessingstep", nil).mustStatus(t, http.StatusNotFound)
	})

	t.Run("step details", func(t *testing.T) {
		t.Parallel()
		// GET …/sdkmessageprocessingsteps(@id)?$select=…&$expand=plugintypeid($select=friendlyname),eventhandler_serviceendpoint($select=name),sdkmessagefilterid($select=primaryobjecttypecode),sdkmessageid($select=name)&@id=<stepid>
		r := c.do("GET", "/api/data/v9.0/sdkmessageprocessingsteps(@id)?$select=name,description,filteringattributes,asyncautodelete,mode,stage&$expand=plugintypeid($select=friendlyname),eventhandler_serviceendpoint($select=name),sdkmessagefilterid($select=primaryobjecttypecode),sdkmessageid($select=name)&@id="+step, nil).mustStatus(t, http.StatusOK)
		if r.body["plugintypeid"] != nil {
			t.Errorf("plugintypeid = %v, want null for a webhook step", r.body["plugintypeid"])
		}
		handler, _ := r.body["eventhandler_serviceendpoint"].(map[string]any)
		filter, _ := r.body["sdkmessagefilterid"].(map[string]any)
		message, _ := r.body["sdkmessageid"].(map[string]any)
		if handler["name"] != "hook-documented" || handler["serviceendpointid"] != hook || handler["@odata.etag"] != nil {
			t.Errorf("eventhandler_serviceendpoint = %v", handler)
		}
		if filter["primaryobjecttypecode"] != "account" || filter["sdkmessagefilterid"] != SDKMessageFilterID("Update", "account") {
			t.Errorf("sdkmessagefilterid = %v", filter)
		}
		if message["name"] != "Update" || message["@odata.etag"] == nil {
			t.Errorf("sdkmessageid = %v", message)
		}
		want := v90 + "/$metadata#sdkmessageprocessingsteps(name,description,filteringattributes,asyncautodelete,mode,stage," +
			"plugintypeid(friendlyname),eventhandler_serviceendpoint(name),sdkmessagefilterid(primaryobjecttypecode),sdkmessageid(name))/$entity"
		if r.body["@odata.context"] != want {
			t.Errorf("@odata.context = %v", r.body["@odata.context"])
		}
	})

	t.Run("expand of a handler of the other type", func(t *testing.T) {
		t.Parallel()
		plugin := newGUID()
		c.do("POST", "sdkmessageprocessingsteps", map[string]any{
			"sdkmessageprocessingstepid": plugin, "name": "plug-in step", "mode": 0, "stage": 20, "rank": 1,
			"eventhandler_plugintype@odata.bind": "/plugintypes(" + SamplePluginTypeID + ")",
			"sdkmessageid@odata.bind":            "/sdkmessages(" + SDKMessageID("Create") + ")",
		}).mustStatus(t, http.StatusNoContent)
		r := c.do("GET", "sdkmessageprocessingsteps("+plugin+")?$select=name&$expand=eventhandler_serviceendpoint($select=name),sdkmessagefilterid", nil).mustStatus(t, http.StatusOK)
		if v, ok := r.body["eventhandler_serviceendpoint"]; !ok || v != nil {
			t.Fatalf("eventhandler_serviceendpoint = %v (present %v), want null", v, ok)
		}
		if v, ok := r.body["sdkmessagefilterid"]; !ok || v != nil {
			t.Fatalf("sdkmessagefilterid = %v, want null", v)
		}
	})

	t.Run("message and filter ids", func(t *testing.T) {
		t.Parallel()
		// §3 sdkmessages?$filter=name eq 'Update'&$select=sdkmessageid,name
		r := c.do("GET", "sdkmessages?$filter=name eq 'Update'&$select=sdkmessageid,name", nil).mustStatus(t, http.StatusOK)
		if rows := r.values(); len(rows) != 1 || rows[0]["sdkmessageid"] != SDKMessageID("Update") {
			t.Fatalf("messages = %s", r.raw)
		}
		// §3 sdkmessagefilters?$filter=primaryobjecttypecode eq 'account' and sdkmessageid/name eq 'Update'&$select=…
		r = c.do("GET", "sdkmessagefilters?$filter=primaryobjecttypecode eq 'account' and sdkmessageid/name eq 'Update'&$select=sdkmessagefilterid,_sdkmessageid_value,iscustomprocessingstepallowed", nil).mustStatus(t, http.StatusOK)
		rows := r.values()
		if len(rows) != 1 || rows[0]["sdkmessagefilterid"] != SDKMessageFilterID("Update", "account") ||
			rows[0]["_sdkmessageid_value"] != SDKMessageID("Update") || rows[0]["iscustomprocessingstepallowed"] != true {
			t.Fatalf("filters = %s", r.raw)
		}
	})

	t.Run("failed jobs of a step", func(t *testing.T) {
		t.Parallel()
		job := func(status int64, completed string, owner string) string {
			id := newGUID()
			insertRow(t, e, "asyncoperations", map[string]any{
				"asyncoperationid": id, "name": "documented step", "statecode": int64(3), "statuscode": status,
				"operationtype": int64(1), "completedon": completed, "message": "m", "friendlymessage": "f",
				"errorcode": int64(-2147155455), lookupKey("owningextensionid"): owner,
			})
			return id
		}
		older := job(31, "2026-01-01T10:00:00Z", step)
		newer := job(31, "2026-01-02T10:00:00Z", step)
		job(30, "2026-01-03T10:00:00Z", step)
		job(31, "2026-01-04T10:00:00Z", newGUID())
		// GET …/asyncoperations?$orderby=completedon desc&$filter=statuscode eq 31 and _owningextensionid_value eq @stepid&$select=name,friendlymessage,errorcode,message,completedon&@stepid=<stepid>
		r := c.do("GET", "/api/data/v9.0/asyncoperations?$orderby=completedon desc&$filter=statuscode eq 31 and _owningextensionid_value eq @stepid&$select=name,friendlymessage,errorcode,message,completedon&@stepid="+step, nil).mustStatus(t, http.StatusOK)
		rows := r.values()
		if len(rows) != 2 || rows[0]["asyncoperationid"] != newer || rows[1]["asyncoperationid"] != older {
			t.Fatalf("failed jobs = %s", r.raw)
		}
		if num(t, rows[0]["errorcode"]) != -2147155455 || rows[0]["friendlymessage"] != "f" {
			t.Fatalf("job row = %v", rows[0])
		}
		if r.body["@odata.context"] != v90+"/$metadata#asyncoperations(name,friendlymessage,errorcode,message,completedon)" {
			t.Fatalf("@odata.context = %v", r.body["@odata.context"])
		}
	})
}

func TestQueryOptions(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	marker := "q" + strings.ReplaceAll(newGUID(), "-", "")[:12]
	for i, name := range []string{"bravo", "alpha", "delta", "charlie"} {
		c.do("POST", "accounts", map[string]any{"name": name, "marker": marker, "ordinal": i}).mustStatus(t, http.StatusNoContent)
	}
	names := func(r *response) string {
		var out []string
		for _, row := range r.values() {
			out = append(out, fmt.Sprint(row["name"]))
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		name   string
		query  string
		status int
		code   string
		names  string
	}{
		{"filter and order", "$filter=marker eq '" + marker + "'&$orderby=name&$select=name", 200, "", "alpha,bravo,charlie,delta"},
		{"order descending", "$filter=marker eq '" + marker + "'&$orderby=name desc&$select=name", 200, "", "delta,charlie,bravo,alpha"},
		{"top", "$filter=marker eq '" + marker + "'&$orderby=ordinal&$top=2&$select=name", 200, "", "bravo,alpha"},
		{"alias in filter", "$filter=marker eq @m and ordinal ge @n&$orderby=ordinal&$select=name&@m='" + marker + "'&@n=2", 200, "", "delta,charlie"},
		{"string functions", "$filter=marker eq '" + marker + "' and startswith(name,'ch')&$select=name", 200, "", "charlie"},
		// §5 "$skip is not supported."
		{"skip", "$skip=1", 400, "0x80060888", ""},
		// §5 "Unknown column: 400."
		{"unknown select", "$select=nosuchcolumn_on_a_declared_table,name&$filter=marker eq 'x'", 200, "", ""},
		{"unknown option", "$search=x", 400, "0x80060888", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := c.do("GET", "accounts?"+tc.query, nil)
			r.mustAnswer(t, tc.status, tc.code)
			if tc.names != "" && names(r) != tc.names {
				t.Fatalf("names %q, want %q", names(r), tc.names)
			}
		})
	}

	// On declared tables every unknown name is refused with the Dataverse message.
	unknown := []struct{ name, query string }{
		{"select", "$select=name,hue"},
		{"filter", "$filter=hue eq 'red'"},
		{"orderby", "$orderby=hue"},
		{"navigation path", "$filter=organizationid/hue eq 'x'"},
		{"expand", "$expand=hue"},
		{"nested select", "$expand=organizationid($select=hue)"},
	}
	for _, tc := range unknown {
		t.Run("unknown column in "+tc.name, func(t *testing.T) {
			t.Parallel()
			r := c.do("GET", "serviceendpoints?"+tc.query, nil)
			if r.status != http.StatusBadRequest || !strings.HasPrefix(r.errorMessage(), "Could not find a property named '") {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
		})
	}

	t.Run("count", func(t *testing.T) {
		t.Parallel()
		r := c.do("GET", "accounts?$filter=marker eq '"+marker+"'&$count=true&$top=1", nil).mustStatus(t, http.StatusOK)
		if num(t, r.body["@odata.count"]) != 1 || len(r.values()) != 1 {
			t.Fatalf("count = %v, rows %d", r.body["@odata.count"], len(r.values()))
		}
	})
}

// §5 "Paging: Prefer: odata.maxpagesize=N (≤ 5000); follow @odata.nextLink unchanged until it is absent".
func TestPaging(t *testing.T) {
	t.Parallel()
	// Its own emulator: the shared one may hold steps of other tests that fire on contacts.
	e := startEmulator(t, Options{})
	c := newClient(t, e)
	marker := "p" + strings.ReplaceAll(newGUID(), "-", "")[:12]
	want := map[string]bool{}
	for i := 0; i < 7; i++ {
		r := c.do("POST", "contacts?$select=contactid", map[string]any{"lastname": fmt.Sprintf("page %d", i), "marker": marker},
			"Prefer", "return=representation").mustStatus(t, http.StatusCreated)
		want[r.body["contactid"].(string)] = true
	}
	r := c.do("GET", "contacts?$filter=marker eq '"+marker+"'&$select=lastname", nil, "Prefer", "odata.maxpagesize=3").mustStatus(t, http.StatusOK)
	if got := r.header.Get("Preference-Applied"); got != "odata.maxpagesize=3" {
		t.Fatalf("Preference-Applied = %q", got)
	}
	seen := map[string]bool{}
	var sizes []int
	for {
		for _, row := range r.values() {
			id := row["contactid"].(string)
			if seen[id] {
				t.Fatalf("row %s returned twice", id)
			}
			seen[id] = true
		}
		sizes = append(sizes, len(r.values()))
		next, ok := r.body["@odata.nextLink"].(string)
		if !ok {
			break
		}
		if !strings.HasPrefix(next, e.URL()+"/api/data/v9.2/contacts?") || !strings.Contains(next, "$skiptoken=") {
			t.Fatalf("nextLink = %s", next)
		}
		// Followed unchanged, without the Prefer header.
		r = c.do("GET", next, nil).mustStatus(t, http.StatusOK)
	}
	if fmt.Sprint(sizes) != "[3 3 1]" || len(seen) != len(want) {
		t.Fatalf("page sizes %v, %d rows, want [3 3 1] and %d", sizes, len(seen), len(want))
	}
	for id := range want {
		if !seen[id] {
			t.Fatalf("row %s never returned", id)
		}
	}
	r = c.do("GET", "contacts?$skiptoken=garbage", nil)
	if r.status != http.StatusBadRequest {
		t.Fatalf("bad skiptoken: %d", r.status)
	}
	// A page size above the maximum is capped at 5000.
	r = c.do("GET", "contacts?$filter=marker eq '"+marker+"'&$select=lastname", nil, "Prefer", "odata.maxpagesize=9000").mustStatus(t, http.StatusOK)
	if got := r.header.Get("Preference-Applied"); got != "odata.maxpagesize=5000" || len(r.values()) != 7 {
		t.Fatalf("Preference-Applied = %q, %d rows", got, len(r.values()))
	}
}

// §5 "Rows of most tables carry @odata.etag; a real serviceendpoint read … carried none
// (and did carry _organizationid_value)". "The primary key is always returned".
func TestETagAndPrimaryKey(t *testing.T) {
	t.Parallel()
	e, c, hook, step := hookedStep(t, "hook-etag-rule", "https://r.example/etag", "etag rule", "account")

	r := c.do("GET", "serviceendpoints("+hook+")", nil).mustStatus(t, http.StatusOK)
	if _, ok := r.body["@odata.etag"]; ok {
		t.Fatalf("serviceendpoint row carries @odata.etag: %v", r.body)
	}
	if r.body["_organizationid_value"] != organizationID {
		t.Fatalf("_organizationid_value = %v", r.body["_organizationid_value"])
	}
	if r.body["@odata.context"] != e.URL()+"/api/data/v9.2/$metadata#serviceendpoints/$entity" {
		t.Fatalf("@odata.context = %v", r.body["@odata.context"])
	}
	r = c.do("GET", "serviceendpoints("+hook+")?$select=name", nil).mustStatus(t, http.StatusOK)
	if r.body["serviceendpointid"] != hook || r.body["_organizationid_value"] != organizationID || len(r.body) != 4 {
		t.Fatalf("$select=name read = %v", r.body)
	}

	etag := func() string {
		r := c.do("GET", "sdkmessageprocessingsteps("+step+")?$select=name", nil).mustStatus(t, http.StatusOK)
		s, _ := r.body["@odata.etag"].(string)
		if !strings.HasPrefix(s, `W/"`) || r.body["sdkmessageprocessingstepid"] != step {
			t.Fatalf("step read = %v", r.body)
		}
		return s
	}
	before := etag()
	c.do("PATCH", "sdkmessageprocessingsteps("+step+")", map[string]any{"rank": 5}).mustStatus(t, http.StatusNoContent)
	if after := etag(); after == before {
		t.Fatalf("etag did not change on update: %s", after)
	}
	r = c.do("GET", "sdkmessageprocessingsteps?$filter=sdkmessageprocessingstepid eq "+step+"&$select=name", nil).mustStatus(t, http.StatusOK)
	if r.body["@odata.context"] != e.URL()+"/api/data/v9.2/$metadata#sdkmessageprocessingsteps(name)" {
		t.Fatalf("collection @odata.context = %v", r.body["@odata.context"])
	}
}

// Seeded message and filter ids derive from names, so every run sees the same catalog.
func TestCatalogueIsStable(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	r := c.do("GET", "sdkmessages?$select=name&$orderby=name", nil).mustStatus(t, http.StatusOK)
	var names []string
	for _, row := range r.values() {
		name, _ := row["name"].(string)
		names = append(names, name)
		if row["sdkmessageid"] != SDKMessageID(name) {
			t.Fatalf("message %v has id %v", row["name"], row["sdkmessageid"])
		}
	}
	if !sort.StringsAreSorted(names) || len(names) != 21 {
		t.Fatalf("messages = %v", names)
	}
	r = c.do("GET", "sdkmessagefilters?$filter=sdkmessageid/name eq 'WhoAmI'&$select=primaryobjecttypecode", nil).mustStatus(t, http.StatusOK)
	if rows := r.values(); len(rows) != 1 || rows[0]["primaryobjecttypecode"] != "none" {
		t.Fatalf("WhoAmI filters = %s", r.raw)
	}
	r = c.do("GET", "sdkmessagefilters?$filter=iscustomprocessingstepallowed eq false&$select=primaryobjecttypecode", nil).mustStatus(t, http.StatusOK)
	if len(r.values()) != len(customStepForbidden) {
		t.Fatalf("%d forbidden filters, want %d", len(r.values()), len(customStepForbidden))
	}
}
