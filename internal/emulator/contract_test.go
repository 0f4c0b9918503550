package emulator

import (
	"bytes"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Contract tests: the emulator against what real Dataverse was seen to do. Each fixture
// below is written for this project from a capture or a documented answer, and names its
// source: a file of the reference captures (real/…) or the Microsoft page it cites. Where a
// fixture says "inferred", the source shows the behavior only indirectly.

// contractError is an answer the Web API gave: status, code and message (a pattern).
type contractError struct {
	status  int
	code    string
	message string // regular expression, anchored
}

func (want contractError) check(t *testing.T, r *response) {
	t.Helper()
	if r.status != want.status || r.errorCode() != want.code || !regexp.MustCompile("^"+want.message+"$").MatchString(r.errorMessage()) {
		t.Errorf("got %d %q %q\nwant %d %q matching %q", r.status, r.errorCode(), r.errorMessage(), want.status, want.code, want.message)
	}
}

func TestContractWebAPIErrors(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, Options{})
	c := newClient(t, e)
	hook := c.createWebhook("contract-errors", "https://r.example/c", 4, "k")
	missing := "00000000-0000-0000-0000-000000000001"

	t.Run("unknown entity set", func(t *testing.T) {
		// Source: web-api-error-bodies-real.md §A.1 (Microsoft's captured request): names are
		// case-sensitive; a wrong-case set is 404 0x8006088a.
		contractError{404, "0x8006088a", `Resource not found for the segment 'Serviceendpoints'\.`}.
			check(t, c.do("GET", "Serviceendpoints", nil))
	})
	t.Run("unknown property in $select", func(t *testing.T) {
		// Source: web-api-error-bodies-real.md §A.2: 400 with code 0x0.
		contractError{400, "0x0", `Could not find a property named 'Name' on type 'Microsoft\.Dynamics\.CRM\.account'\.`}.
			check(t, c.do("GET", "accounts?$select=Name", nil))
	})
	t.Run("function called with the wrong method", func(t *testing.T) {
		// Source: web-api-error-bodies-real.md §A.3: POST WhoAmI is 404 with an empty code.
		contractError{404, "", `No HTTP resource was found that matches the request URI '.*/api/data/v9\.2/WhoAmI'\.`}.
			check(t, c.do("POST", "WhoAmI", map[string]any{}))
	})
	t.Run("unknown property in a body", func(t *testing.T) {
		// Source: web-api-error-bodies-real.md §A.4: 400 0x0, "Invalid property … was found in entity".
		contractError{400, "0x0", `An error occurred while validating input parameters: Microsoft\.Crm\.CrmException: Invalid property 'Name' was found in entity 'Microsoft\.Dynamics\.CRM\.serviceendpoint'\..*`}.
			check(t, c.do("POST", "serviceendpoints", map[string]any{"Name": "x", "contract": 8, "authtype": 4, "url": "https://r.example/x"}))
	})
	t.Run("lookup bound by its column name", func(t *testing.T) {
		// Source: web-api-error-bodies-real.md §A.5: 400 0x80048d19, naming the entity SET.
		contractError{400, "0x80048d19", `Error identified in Payload provided by the user for Entity :'contacts'  ---->  InnerException : Microsoft\.OData\.ODataException: An undeclared property 'parentcustomerid' .*`}.
			check(t, c.do("POST", "contacts", map[string]any{"lastname": "x", "parentcustomerid@odata.bind": "accounts(" + missing + ")"}))
	})
	t.Run("polymorphic lookup bound by its own name", func(t *testing.T) {
		// Source: dataverse-web-api.md §2 (eventhandler@odata.bind is refused with 0x80048d19).
		r := c.do("POST", "sdkmessageprocessingsteps", map[string]any{
			"name": "x", "mode": 1, "stage": 40, "rank": 1,
			"eventhandler@odata.bind": "/serviceendpoints(" + hook + ")",
			"sdkmessageid@odata.bind": "/sdkmessages(" + SDKMessageID("Update") + ")",
		})
		contractError{400, "0x80048d19", `Error identified in Payload provided by the user for Entity :'sdkmessageprocessingsteps' .*'eventhandler'.*`}.check(t, r)
	})
	t.Run("step without a rank", func(t *testing.T) {
		// Source: entity-metadata-real.md [ST]: rank is SystemRequired and has no default value.
		r := c.do("POST", "sdkmessageprocessingsteps", map[string]any{
			"name": "x", "mode": 1, "stage": 40,
			"eventhandler_serviceendpoint@odata.bind": "/serviceendpoints(" + hook + ")",
			"sdkmessageid@odata.bind":                 "/sdkmessages(" + SDKMessageID("Update") + ")",
		})
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.raw), "'rank'") {
			t.Errorf("step without a rank: %d %s", r.status, r.raw)
		}
	})
	t.Run("PATCH with If-Match * of a missing row", func(t *testing.T) {
		// Source: web-api-error-bodies-real.md §B (perform-conditional-operations-using-web-api.md):
		// 404 with an EMPTY code.
		contractError{404, "", `serviceendpoint With Id = ` + missing + ` Does Not Exist`}.
			check(t, c.do("PATCH", "serviceendpoints("+missing+")", map[string]any{"description": "x"}, "If-Match", "*"))
	})
	t.Run("PATCH with If-None-Match * of an existing row", func(t *testing.T) {
		// Source: web-api-error-bodies-real.md §B: 412 with an empty code.
		contractError{412, "", `A record with matching key values already exists\.`}.
			check(t, c.do("PATCH", "serviceendpoints("+hook+")", map[string]any{"description": "x"}, "If-None-Match", "*"))
	})
	t.Run("stale If-Match", func(t *testing.T) {
		// Source: web-api-error-bodies-real.md §B: 412 with an empty code.
		step := c.createStep(stepSpec{name: "etag", endpoint: hook, message: "Update", table: "account", mode: 1, stage: 40, rank: 1})
		contractError{412, "", `The version of the existing record doesn't match the RowVersion property provided\.`}.
			check(t, c.do("PATCH", "sdkmessageprocessingsteps("+step+")", map[string]any{"rank": 2}, "If-Match", `W/"1"`))
	})
	t.Run("create with a key in use", func(t *testing.T) {
		// Source: duplicate-key-412.jsonc (Microsoft's Power Platform provider): 412 0x80040237.
		contractError{412, "0x80040237", `A record with matching key values already exists\.`}.
			check(t, c.do("POST", "serviceendpoints", map[string]any{"serviceendpointid": hook, "name": "again", "contract": 8, "authtype": 4, "url": "https://r.example/x"}))
	})
	t.Run("message and table closed to custom steps", func(t *testing.T) {
		// Source: web-api-error-bodies-real.md §G: 0x80044187 (-2147204729), the SDK fault's text.
		r := c.do("POST", "sdkmessageprocessingsteps", map[string]any{
			"name": "x", "mode": 1, "stage": 40, "rank": 1,
			"eventhandler_serviceendpoint@odata.bind": "/serviceendpoints(" + hook + ")",
			"sdkmessageid@odata.bind":                 "/sdkmessages(" + SDKMessageID("Create") + ")",
			"sdkmessagefilterid@odata.bind":           "/sdkmessagefilters(" + SDKMessageFilterID("Create", "businessunit") + ")",
		})
		contractError{400, "0x80044187", `Custom SdkMessageProcessingStep is not allowed on the specified message\.`}.check(t, r)
	})
	t.Run("unknown table in an EntityName filter", func(t *testing.T) {
		// Source: sdkmessagefilter-unknown-table-400.jsonc (several live tools): 400 0x80041102,
		// not an empty collection.
		contractError{400, "0x80041102", `The entity with a name = 'zz_no_such_table_zz' with namemapping = 'Logical' was not found in the MetadataCache\.`}.
			check(t, c.do("GET", "sdkmessagefilters?$filter=primaryobjecttypecode eq 'zz_no_such_table_zz' and sdkmessageid/name eq 'Update'", nil))
		// A known table with the same query is an answer, and selecting by message alone finds
		// the "none" filter of a table-less message (what tools that work live do).
		c.do("GET", "sdkmessagefilters?$filter=primaryobjecttypecode eq 'account' and sdkmessageid/name eq 'Update'&$select=sdkmessagefilterid", nil).mustStatus(t, http.StatusOK)
		r := c.do("GET", "sdkmessagefilters?$filter=sdkmessageid/name eq 'WhoAmI'&$select=primaryobjecttypecode", nil).mustStatus(t, http.StatusOK)
		if v := r.values(); len(v) != 1 || v[0]["primaryobjecttypecode"] != "none" {
			t.Errorf("filters of WhoAmI = %v", v)
		}
	})
	t.Run("service protection", func(t *testing.T) {
		// Source: web-api-error-bodies-real.md §D (api-limits.md): 429 with Retry-After in
		// seconds and code 0x80072322 for the request count; the limit is the environment's.
		limited := startEmulator(t, Options{MaxRequestsPerWindow: 2})
		lc := newClient(t, limited)
		var r *response
		for range 3 {
			r = lc.do("GET", "WhoAmI", nil)
		}
		if r.status != http.StatusTooManyRequests || r.errorCode() != "0x80072322" || r.header.Get("Retry-After") == "" {
			t.Errorf("third request: %d %q Retry-After %q", r.status, r.errorCode(), r.header.Get("Retry-After"))
		}
	})
}

func TestContractImages(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, Options{})
	c := newClient(t, e)
	hook := c.createWebhook("contract-images", "https://r.example/i", 4, "k")
	step := func(message string) string {
		return c.createStep(stepSpec{name: message, endpoint: hook, message: message, table: "account", mode: 1, stage: 40, rank: 1})
	}
	create, update, del := step("Create"), step("Update"), step("Delete")
	image := func(stepID, property string) map[string]any {
		return map[string]any{
			"name": "img", "entityalias": "img", "imagetype": 1, "messagepropertyname": property,
			"sdkmessageprocessingstepid@odata.bind": "/sdkmessageprocessingsteps(" + stepID + ")",
		}
	}
	// Source: image-messagepropertyname-live.md (two live-tested tools and the Plug-in
	// Registration Tool's table): Create takes Id and refuses Target with 0x8004416b.
	contractError{400, "0x8004416b", `Message property name 'Target' is not valid on message Create`}.
		check(t, c.do("POST", "sdkmessageprocessingstepimages", image(create, "Target")))
	c.do("POST", "sdkmessageprocessingstepimages", image(create, "Id")).mustStatus(t, http.StatusNoContent)
	// Same source: XrmTools' table registers Create images on "id"; that the name is taken
	// without regard to case is INFERRED from it.
	lower := image(create, "id")
	lower["entityalias"] = "img2"
	c.do("POST", "sdkmessageprocessingstepimages", lower).mustStatus(t, http.StatusNoContent)
	// Same source: Update and Delete take Target; Id on Delete is refused (inferred: "image
	// property == request property" for every message but Create).
	c.do("POST", "sdkmessageprocessingstepimages", image(update, "Target")).mustStatus(t, http.StatusNoContent)
	pre := image(del, "Target")
	pre["imagetype"] = 0
	c.do("POST", "sdkmessageprocessingstepimages", pre).mustStatus(t, http.StatusNoContent)
	pre["messagepropertyname"] = "Id"
	contractError{400, "0x8004416b", `Message property name 'Id' is not valid on message Delete`}.
		check(t, c.do("POST", "sdkmessageprocessingstepimages", pre))

	// Source: entity-metadata-real.md [SI]: name is SystemRequired; a live note: an empty
	// attributes string is refused, the column is omitted for every column.
	noName := image(update, "Target")
	delete(noName, "name")
	if r := c.do("POST", "sdkmessageprocessingstepimages", noName); r.status != http.StatusBadRequest {
		t.Errorf("image without a name: %d %s", r.status, r.raw)
	}
	empty := image(update, "Target")
	empty["attributes"] = ""
	if r := c.do("POST", "sdkmessageprocessingstepimages", empty); r.status != http.StatusBadRequest {
		t.Errorf("image with attributes \"\": %d %s", r.status, r.raw)
	}
}

func TestContractMetadata(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, Options{})
	c := newClient(t, e)
	hook := c.createWebhook("contract-metadata", "https://r.example/m", 4, "k")

	t.Run("serviceendpoint read", func(t *testing.T) {
		// Source: serviceendpoint-read-live.jsonc: a $select=path read has no @odata.etag,
		// carries the key and _organizationid_value unselected, and a context naming the selection.
		r := c.do("GET", "/api/data/v9.1/serviceendpoints("+hook+")?$select=path", nil).mustStatus(t, http.StatusOK)
		if _, etag := r.body["@odata.etag"]; etag || r.body["serviceendpointid"] != hook || r.body["_organizationid_value"] != organizationID ||
			r.body["@odata.context"] != e.URL()+"/api/data/v9.1/$metadata#serviceendpoints(path)/$entity" {
			t.Errorf("read = %v", r.body)
		}
		// Source: entity-metadata-real.md: serviceendpoint has no versionnumber column.
		if r := c.do("GET", "serviceendpoints?$select=versionnumber", nil); r.status != http.StatusBadRequest || r.errorCode() != "0x0" {
			t.Errorf("$select=versionnumber: %d %s", r.status, r.raw)
		}
	})
	t.Run("system job read", func(t *testing.T) {
		// Source: asyncoperation-row-live.jsonc: a single-row read of a system job, every column
		// in it, carries no @odata.etag and no versionnumber.
		job := newGUID()
		insertRow(t, e, "asyncoperations", map[string]any{
			"asyncoperationid": job, "name": "done job", "statecode": int64(3), "statuscode": int64(30), "operationtype": int64(1),
		})
		r := c.do("GET", "asyncoperations("+job+")", nil).mustStatus(t, http.StatusOK)
		if _, etag := r.body["@odata.etag"]; etag || r.body["asyncoperationid"] != job {
			t.Errorf("read = %v", r.body)
		}
		if _, version := r.body["versionnumber"]; version {
			t.Errorf("read has a versionnumber: %v", r.body)
		}
		if r := c.do("GET", "asyncoperations("+job+")?$select=versionnumber", nil); r.status != http.StatusBadRequest {
			t.Errorf("$select=versionnumber: %d %s", r.status, r.raw)
		}
	})
	t.Run("plugintypeid of a step", func(t *testing.T) {
		// Source: entity-metadata-real.md [ST]/[K]: plugintypeid is writable and a real sample
		// binds it on a webhook step; the CSDL has no _plugintypeid_value, only the navigation.
		id := newGUID()
		c.do("POST", "sdkmessageprocessingsteps", updateOfAccountStepBody(id, "bound", hook, map[string]any{
			"plugintypeid@odata.bind": "/plugintypes(" + WebhookPluginTypeID + ")",
		})).mustStatus(t, http.StatusNoContent)
		if r := c.do("GET", "sdkmessageprocessingsteps("+id+")?$select=_plugintypeid_value", nil); r.status != http.StatusBadRequest || r.errorCode() != "0x0" {
			t.Errorf("$select=_plugintypeid_value: %d %s", r.status, r.raw)
		}
		r := c.do("GET", "sdkmessageprocessingsteps("+id+")?$select=name&$expand=plugintypeid($select=typename)", nil).mustStatus(t, http.StatusOK)
		if path(r.body, "plugintypeid", "typename") != "Microsoft.Crm.ServiceBus.ServiceBusPlugin" {
			t.Errorf("expanded plugintypeid = %v", r.body["plugintypeid"])
		}
		if _, ok := c.do("GET", "sdkmessageprocessingsteps("+id+")", nil).mustStatus(t, http.StatusOK).body["_plugintypeid_value"]; ok {
			t.Error("a full read returns _plugintypeid_value")
		}
	})
	t.Run("navigation names", func(t *testing.T) {
		// Source: entity-metadata-real.md [ST]: the step's many-to-one navigation properties and
		// the two one-to-many ones the registration uses.
		step := c.createStep(stepSpec{name: "nav", endpoint: hook, message: "Update", table: "account", mode: 1, stage: 40, rank: 1})
		c.do("GET", "sdkmessageprocessingsteps("+step+")?$select=name&$expand=eventhandler_serviceendpoint($select=name),sdkmessageid($select=name),sdkmessagefilterid($select=primaryobjecttypecode),impersonatinguserid($select=fullname)", nil).
			mustStatus(t, http.StatusOK)
		c.do("GET", "serviceendpoints("+hook+")/serviceendpoint_sdkmessageprocessingstep?$select=name", nil).mustStatus(t, http.StatusOK)
		c.do("GET", "sdkmessageprocessingsteps("+step+")/sdkmessageprocessingstepid_sdkmessageprocessingstepimage?$select=name", nil).mustStatus(t, http.StatusOK)
	})
	t.Run("the other writable columns", func(t *testing.T) {
		// Source: entity-metadata-real.md: the writable columns of each table (the Plug-in
		// Registration Tool passes path and solutionnamespace as null); a write naming them is
		// taken, not refused as naming a property the table lacks.
		id := newGUID()
		c.do("POST", "serviceendpoints", map[string]any{
			"serviceendpointid": id, "name": "prt-shaped", "url": "https://r.example/prt", "contract": 8, "authtype": 4, "authvalue": "k",
			"connectionmode": 1, "path": nil, "solutionnamespace": nil, "namespaceformat": nil, "messagecharset": 0, "schematype": nil,
			"saskeyname": nil, "saskey": nil, "sastoken": nil, "usekeyvaultconfiguration": false, "introducedversion": "1.0",
			"runtimeintegrationproperties": nil,
		}).mustStatus(t, http.StatusNoContent)
		step := newGUID()
		c.do("POST", "sdkmessageprocessingsteps", updateOfAccountStepBody(step, "prt-shaped", id, map[string]any{
			"category": nil, "canbebypassed": false, "canusereadonlyconnection": false, "enablepluginprofiler": false,
			"eventexpander": nil, "introducedversion": "1.0", "runtimeintegrationproperties": nil,
		})).mustStatus(t, http.StatusNoContent)
		c.do("POST", "sdkmessageprocessingstepimages", map[string]any{
			"name": "pre", "entityalias": "pre", "imagetype": 0, "messagepropertyname": "Target", "relatedattributename": nil,
			"introducedversion": "1.0", "sdkmessageprocessingstepid@odata.bind": "/sdkmessageprocessingsteps(" + step + ")",
		}).mustStatus(t, http.StatusNoContent)
		// The SAS secrets are write-only, as authvalue is.
		r := c.do("GET", "serviceendpoints("+id+")", nil).mustStatus(t, http.StatusOK)
		for _, key := range []string{"saskey", "sastoken", "authvalue"} {
			if _, ok := r.body[key]; ok {
				t.Errorf("a read returns %s", key)
			}
		}
	})
	t.Run("filtering attributes", func(t *testing.T) {
		// Source: dataverse-web-api.md §2 (the Plug-in Registration Tool 9.2+ offers them for
		// Update, Create, CreateMultiple and UpdateMultiple).
		c.createStep(stepSpec{name: "filtered create", endpoint: hook, message: "Create", table: "account", mode: 1, stage: 40, rank: 1, filteringAttributes: "name"})
	})
}

// updateOfAccountStepBody is the body of an asynchronous Update of account step of webhook
// hook, with the columns of extra.
func updateOfAccountStepBody(id, name, hook string, extra map[string]any) map[string]any {
	body := map[string]any{
		"sdkmessageprocessingstepid": id, "name": name, "mode": 1, "stage": 40, "rank": 1,
		"eventhandler_serviceendpoint@odata.bind": "/serviceendpoints(" + hook + ")",
		"sdkmessageid@odata.bind":                 "/sdkmessages(" + SDKMessageID("Update") + ")",
		"sdkmessagefilterid@odata.bind":           "/sdkmessagefilters(" + SDKMessageFilterID("Update", "account") + ")",
	}
	maps.Copy(body, extra)
	return body
}

// A delivery as the platform's webhook sender makes it.
func TestContractDelivery(t *testing.T) {
	t.Parallel()
	e, c, rc := deliveryEnv(t, Options{})
	fire := func(table string, body map[string]any) {
		t.Helper()
		c.do("POST", table, body).mustStatus(t, http.StatusNoContent)
		waitIdle(t, e)
	}
	last := func(t *testing.T, before int) delivered {
		t.Helper()
		calls := rc.received()
		if len(calls) != before+1 {
			t.Fatalf("%d deliveries, want %d", len(calls), before+1)
		}
		return calls[before]
	}

	t.Run("url and key", func(t *testing.T) {
		// Source: webhookclient-decompiled-facts.md (PrepareFullHttpRequest): the url loses
		// its trailing '/'; the WebhookKey is trimmed and sent as code.
		hook := c.createWebhook("trailing", rc.srv.URL+"/api/hook//", 4, " key-1 ")
		step := c.createStep(stepSpec{name: "trailing", endpoint: hook, message: "Create", table: "lead", mode: 1, stage: 40, rank: 1})
		n := len(rc.received())
		fire("leads", map[string]any{"subject": "s"})
		d := last(t, n)
		if d.path != "/api/hook" || d.query.Get("code") != "key-1" {
			t.Errorf("posted to %s?%s", d.path, d.query.Encode())
		}
		// Source: same file (AddMandatoryHttpHeaders, PostAsync): Content-Type without a
		// charset and exactly these x-ms-* headers; the organization in lower case.
		want := map[string]string{
			"Content-Type":                "application/json",
			"X-Ms-Dynamics-Organization":  strings.ToLower(hostOf(t, e.URL())),
			"X-Ms-Dynamics-Entity-Name":   "lead",
			"X-Ms-Dynamics-Request-Name":  "Create",
			"X-Ms-Correlation-Request-Id": path(d.body, "CorrelationId").(string),
		}
		for k, v := range want {
			if got := d.header.Get(k); got != v {
				t.Errorf("header %s = %q, want %q", k, got, v)
			}
		}
		for k := range d.header {
			if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-") && want[http.CanonicalHeaderKey(k)] == "" {
				t.Errorf("unexpected header %s", k)
			}
		}
		c.do("DELETE", "sdkmessageprocessingsteps("+step+")", nil).mustStatus(t, http.StatusNoContent)
	})

	// Source: webhookclient-decompiled-facts.md (ExtractKeyValuePairs, AddCustomHttpHeaders):
	// settings the sender cannot use fail every delivery, with nothing sent.
	settingsCases := []struct {
		name     string
		authType int
		value    string
		code     int64 // asyncoperation.errorcode; 0 means delivered
	}{
		{"header pairs trimmed", 5, `<settings><setting name=" X-Key " value=" v1 " /></settings>`, 0},
		{"comment among the settings", 5, `<settings><!-- note --><setting name="X-Key" value="v" /></settings>`, -2147155453},
		{"repeated header in another case", 5, `<settings><setting name="X-Key" value="a" /><setting name="x-key" value="b" /></settings>`, -2147155453},
		{"restricted header (inferred)", 5, `<settings><setting name="User-Agent" value="probe" /></settings>`, -2147155453},
		// .NET's header collection refuses a name that is not an HTTP token, and a value with a
		// control character, when the pair is added (inferred, as above).
		{"header name with a space (inferred)", 5, `<settings><setting name="X Key" value="v" /></settings>`, -2147155453},
		{"header name with a colon (inferred)", 5, `<settings><setting name="X-Key:" value="v" /></settings>`, -2147155453},
		{"header value with a line feed (inferred)", 5, `<settings><setting name="X-Key" value="a&#10;b" /></settings>`, -2147155453},
		{"blank value", 5, `<settings><setting name="X-Key" value=" " /></settings>`, -2147155453},
		{"third attribute", 5, `<settings><setting name="X-Key" value="v" extra="1" /></settings>`, -2147155453},
		{"repeated query parameter", 6, `<settings><setting name="k" value="a" /><setting name="k" value="b" /></settings>`, -2147155452},
		{"query comment", 6, `<settings><setting name="k" value="a" /><!-- x --></settings>`, -2147155452},
		{"query pairs", 6, `<settings><setting name="k" value="a" /><setting name="K2" value="b" /></settings>`, 0},
		// GetElementsByTagName("settings") finds the element anywhere, by its exact name, and the
		// sender reads only the attributes of its children.
		{"settings inside another element", 5, `<config><settings><setting name="X-Key" value="v1" /></settings></config>`, 0},
		{"text inside a setting", 5, `<settings><setting name="X-Key" value="v1">note</setting></settings>`, 0},
		{"two settings elements", 5, `<r><settings><setting name="X-Key" value="v1" /></settings><settings><setting name="X-Key" value="v1" /></settings></r>`, -2147155453},
		{"Settings in another case", 5, `<Settings><setting name="X-Key" value="v1" /></Settings>`, -2147155453},
		{"text among the settings", 5, `<settings>note<setting name="X-Key" value="v1" /></settings>`, -2147155453},
		// What XmlDocument.LoadXml refuses, or reads by qualified name.
		{"a second root element", 5, `<settings><setting name="X-Key" value="v1" /></settings><other/>`, -2147155453},
		{"default namespace", 5, `<settings xmlns="urn:x"><setting name="X-Key" value="v1" /></settings>`, 0},
		{"prefixed setting", 5, `<settings xmlns:p="urn:p"><p:setting name="X-Key" value="v1" /></settings>`, -2147155453},
		{"undeclared prefix", 5, `<settings><setting q:name="X-Key" value="v1" /></settings>`, -2147155453},
		{"utf-16 declaration", 5, `<?xml version="1.0" encoding="utf-16"?><settings><setting name="X-Key" value="v1" /></settings>`, 0},
		{"declaration not first", 5, ` <?xml version="1.0"?><settings><setting name="X-Key" value="v1" /></settings>`, -2147155453},
		{"no-break space among the settings", 5, "<settings>\u00a0<setting name=\"X-Key\" value=\"v1\" /></settings>", -2147155453},
	}
	for _, tc := range settingsCases {
		t.Run(tc.name, func(t *testing.T) {
			hook := c.createWebhook("settings "+tc.name, rc.srv.URL, tc.authType, tc.value)
			step := c.createStep(stepSpec{name: tc.name, endpoint: hook, message: "Create", table: "lead", mode: 1, stage: 40, rank: 1})
			defer c.do("DELETE", "sdkmessageprocessingsteps("+step+")", nil)
			n := len(rc.received())
			fire("leads", map[string]any{"subject": tc.name})
			jobs := c.do("GET", "asyncoperations?$filter=_owningextensionid_value eq "+step+"&$select=statuscode,errorcode", nil).mustStatus(t, http.StatusOK).values()
			if len(jobs) != 1 {
				t.Fatalf("%d jobs", len(jobs))
			}
			if tc.code == 0 {
				d := last(t, n)
				if num(t, jobs[0]["statuscode"]) != 30 {
					t.Fatalf("job = %v", jobs[0])
				}
				if tc.authType == 5 && d.header.Get("X-Key") != "v1" {
					t.Errorf("X-Key = %q, want the trimmed value", d.header.Get("X-Key"))
				}
				if tc.authType == 6 && (d.query.Get("k") != "a" || d.query.Get("K2") != "b") {
					t.Errorf("query = %v", d.query)
				}
				return
			}
			if got := len(rc.received()); got != n {
				t.Errorf("%d deliveries sent for unusable settings", got-n)
			}
			if num(t, jobs[0]["statuscode"]) != 31 || num(t, jobs[0]["errorcode"]) != tc.code {
				t.Errorf("job = %v, want failed with %d", jobs[0], tc.code)
			}
		})
	}

	t.Run("too large even after trimming", func(t *testing.T) {
		// Source: webhookclient-decompiled-facts.md (TryHandleMaxMessageSize): over 262,144
		// bytes the context loses ParentContext, InputParameters and the images; still over,
		// the delivery fails with 0x80050207 and nothing is sent. No write makes the emulator's
		// context that large outside those members, so the context is built here.
		big := &executionContext{
			InputParameters:  []keyValue{{"Target", strings.Repeat("x", 300*1024)}},
			SharedVariables:  []keyValue{{"blob", strings.Repeat("y", 300*1024)}},
			PreEntityImages:  []keyValue{},
			PostEntityImages: []keyValue{},
			OutputParameters: []keyValue{},
		}
		body, exceeded, err := encodeContext(big)
		if err != nil || !exceeded || len(body) <= maxPayloadBytes || bytes.Contains(body, []byte("xxxx")) {
			t.Fatalf("trimmed context: %d bytes, exceeded %v, err %v", len(body), exceeded, err)
		}
		n := len(rc.received())
		res := e.deliver(t.Context(), &stepRun{
			step:     stepInfo{id: newGUID(), name: "huge", mode: modeSynchronous, stage: stagePostOperation},
			endpoint: endpointInfo{id: newGUID(), name: "huge", url: rc.srv.URL, authType: authTypeWebhookKey, secret: "k"},
			ctx:      big,
		})
		if res.err == nil || res.code != "0x80050207" || res.attempts != 0 {
			t.Errorf("delivery = %+v, want 0x80050207 and no attempt", res)
		}
		if want := "RemoteExecutionContext exceeded max allowed message size event after reducing size. Message will not be sent. Actual Size: "; !strings.HasPrefix(res.message, want) ||
			!strings.Contains(res.message, " bytes, Max Size: 262144 bytes for OrganizationId:") || !strings.HasSuffix(res.message, ", name: huge") {
			t.Errorf("message = %q, want the sender's own words", res.message)
		}
		if got := len(rc.received()); got != n {
			t.Errorf("%d deliveries sent", got-n)
		}
	})
}

// The body of an asynchronous delivery, as real captures show it.
func TestContractBody(t *testing.T) {
	t.Parallel()
	e, c, rc := deliveryEnv(t, Options{})
	hook := c.createWebhook("body", rc.srv.URL, 4, "k")
	createStep := c.createStep(stepSpec{name: "create", endpoint: hook, message: "Create", table: "contact", mode: 1, stage: 40, rank: 1})
	updateStep := c.createStep(stepSpec{name: "update", endpoint: hook, message: "Update", table: "contact", mode: 1, stage: 40, rank: 1})
	id := newGUID()
	c.do("POST", "contacts", map[string]any{"contactid": id, "firstname": "James", "lastname": "Glynn"}).mustStatus(t, http.StatusNoContent)
	waitIdle(t, e)
	c.do("PATCH", "contacts("+id+")", map[string]any{"firstname": "Jim"}).mustStatus(t, http.StatusNoContent)
	waitIdle(t, e)
	byStep := map[string]delivered{}
	for _, d := range rc.received() {
		byStep[path(d.body, "OwningExtension", "Id").(string)] = d
	}
	created, updated := byStep[createStep], byStep[updateStep]
	if created.body == nil || updated.body == nil {
		t.Fatalf("deliveries: %d", len(rc.received()))
	}
	offsetDate := regexp.MustCompile(`^/Date\(\d+[+-]\d{4}\)/$`)
	for name, d := range map[string]delivered{"create": created, "update": updated} {
		// Sources: webhook-body-captured-create-async.jsonc and webhook-body-msdocs-update-async.json.md.
		if num(t, d.body["IsolationMode"]) != 1 || path(d.body, "OwningExtension", "Name") != nil ||
			path(d.body, "OwningExtension", "LogicalName") != "sdkmessageprocessingstep" || d.body["SecondaryEntityName"] != "none" ||
			num(t, d.body["Mode"]) != 1 || num(t, d.body["Stage"]) != 40 {
			t.Errorf("%s: context = %.400s", name, d.raw)
		}
		if s, _ := d.body["OperationCreatedOn"].(string); !offsetDate.MatchString(s) {
			t.Errorf("%s: OperationCreatedOn = %q, want a date with an offset", name, s)
		}
		// The platform's own post-image of the primary name and id, without __type.
		img := path(d.body, "PostEntityImages", 0, "value")
		if path(d.body, "PostEntityImages", 0, "key") != "AsynchronousStepPrimaryName" || path(img, "__type") != nil ||
			path(img, "LogicalName") != "contact" || path(img, "Id") != id {
			t.Errorf("%s: PostEntityImages = %v", name, d.body["PostEntityImages"])
		}
		if got := attributes(img); len(got) != 2 || got["contactid"] != id || got["fullname"] == nil {
			t.Errorf("%s: primary name image attributes = %v", name, got)
		}
	}
	// Create: RequestId set, OutputParameters the created id, FormattedValues filled.
	if s, _ := created.body["RequestId"].(string); !isGUID(s) {
		t.Errorf("create RequestId = %v", created.body["RequestId"])
	}
	if path(created.body, "OutputParameters", 0, "key") != "id" || path(created.body, "OutputParameters", 0, "value") != id {
		t.Errorf("create OutputParameters = %v", created.body["OutputParameters"])
	}
	formatted := map[string]any{}
	for _, kv := range path(created.body, "InputParameters", 0, "value", "FormattedValues").([]any) {
		formatted[path(kv, "key").(string)] = path(kv, "value")
	}
	if formatted["statecode"] != "Active" {
		t.Errorf("FormattedValues = %v", formatted)
	}
	if s, _ := formatted["createdon"].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`).MatchString(s) {
		t.Errorf("formatted createdon = %v", formatted["createdon"])
	}
	// Update: RequestId null (Microsoft's sample).
	if updated.body["RequestId"] != nil {
		t.Errorf("update RequestId = %v", updated.body["RequestId"])
	}
	if got := attributes(path(updated.body, "PostEntityImages", 0, "value"))["fullname"]; got != "Jim Glynn" {
		t.Errorf("fullname after the update = %v", got)
	}
	// Update's Target in Microsoft's sample: the request's column and the key, the full name
	// composed from it, the modified columns (modifiedonbehalfby null), no formatted values; its
	// main operation's Target only the request's column and the key.
	keysIn := func(ent any) []string {
		var out []string
		for _, kv := range path(ent, "Attributes").([]any) {
			out = append(out, path(kv, "key").(string))
		}
		return out
	}
	target := path(updated.body, "InputParameters", 0, "value")
	if got, want := keysIn(target), []string{"firstname", "contactid", "fullname", "yomifullname", "modifiedon", "modifiedby", "modifiedonbehalfby"}; !slices.Equal(got, want) {
		t.Errorf("update Target attributes %v, want %v", got, want)
	}
	if got := attributes(target); got["fullname"] != "Jim Glynn" || got["yomifullname"] != "Jim Glynn" || got["modifiedonbehalfby"] != nil || got["modifiedby"] == nil {
		t.Errorf("update Target values %v", got)
	}
	if got := path(target, "FormattedValues").([]any); len(got) != 0 {
		t.Errorf("update Target FormattedValues %v, want none", got)
	}
	parentTarget := path(updated.body, "ParentContext", "InputParameters", 0, "value")
	if got, want := keysIn(parentTarget), []string{"firstname", "contactid"}; !slices.Equal(got, want) {
		t.Errorf("update ParentContext Target attributes %v, want %v", got, want)
	}
	if got := path(parentTarget, "FormattedValues").([]any); len(got) != 0 {
		t.Errorf("update ParentContext Target FormattedValues %v, want none", got)
	}
}

func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname()
}

func isGUID(s string) bool {
	_, ok := parseGUID(s)
	return ok
}
