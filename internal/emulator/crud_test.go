package emulator

import (
	"net/http"
	"strings"
	"testing"
)

// insertRow stores a row directly, for tables clients cannot write (system jobs).
func insertRow(t *testing.T, e *Emulator, set string, cols map[string]any) {
	t.Helper()
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	tbl := e.schema[set]
	cols["versionnumber"] = e.store.nextVersion()
	e.store.put(set, cols[tbl.key].(string), &record{cols: cols})
}

func TestCreateResponses(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	base := e.URL() + "/api/data/v9.2"

	// §5 "Create: POST to the set → 204 with header OData-EntityId: <base>/<set>(<guid>)".
	t.Run("204 with OData-EntityId", func(t *testing.T) {
		t.Parallel()
		r := c.do("POST", "serviceendpoints", map[string]any{
			"name": "hook-204", "url": "https://receiver.example/hook", "contract": 8, "authtype": 4, "authvalue": "k",
		}).mustStatus(t, http.StatusNoContent)
		loc := r.header.Get("OData-EntityId")
		if !strings.HasPrefix(loc, base+"/serviceendpoints(") || len(loc) != len(base+"/serviceendpoints()")+36 {
			t.Fatalf("OData-EntityId = %q", loc)
		}
		if len(r.raw) != 0 {
			t.Fatalf("204 carried a body: %s", r.raw)
		}
		// §5 "Responses carry OData-Version: 4.0."
		if got := r.header.Get("OData-Version"); got != "4.0" {
			t.Fatalf("OData-Version = %q", got)
		}
	})

	// §5 "with Prefer: return=representation → 201 with the row (honoring $select) and no OData-EntityId".
	t.Run("201 with representation", func(t *testing.T) {
		t.Parallel()
		r := c.do("POST", "serviceendpoints?$select=name,url", map[string]any{
			"name": "hook-201", "url": "https://receiver.example/201", "contract": 8, "authtype": 4, "authvalue": "k",
		}, "Prefer", "return=representation").mustStatus(t, http.StatusCreated)
		if r.header.Get("OData-EntityId") != "" {
			t.Fatalf("201 carried OData-EntityId %q", r.header.Get("OData-EntityId"))
		}
		if got := r.header.Get("Preference-Applied"); got != "return=representation" {
			t.Fatalf("Preference-Applied = %q", got)
		}
		want := base + "/$metadata#serviceendpoints(name,url)/$entity"
		if r.body["@odata.context"] != want {
			t.Fatalf("@odata.context = %v, want %s", r.body["@odata.context"], want)
		}
		// The primary key is always returned, whatever $select says, and so is
		// _organizationid_value (real/serviceendpoint-read-live.jsonc); nothing else unselected is.
		if r.body["name"] != "hook-201" || r.body["url"] != "https://receiver.example/201" || r.body["serviceendpointid"] == nil {
			t.Fatalf("body = %v", r.body)
		}
		if len(r.body) != 5 {
			t.Fatalf("unexpected properties in %v", r.body)
		}
	})

	t.Run("representation with an unknown column writes nothing", func(t *testing.T) {
		t.Parallel()
		id := newGUID()
		r := c.do("POST", "serviceendpoints?$select=name,nosuch", map[string]any{
			"serviceendpointid": id, "name": "hook-badselect", "url": "https://r.example/", "contract": 8, "authtype": 4,
		}, "Prefer", "return=representation")
		if r.status != http.StatusBadRequest {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		if _, ok := e.Row("serviceendpoints", id); ok {
			t.Fatal("the row was written")
		}
	})

	// §5 "A client-chosen primary key in the body is kept; a second create with the same key fails (0x80040237 DuplicateRecord)."
	t.Run("client key kept, duplicate refused", func(t *testing.T) {
		t.Parallel()
		id := newGUID()
		body := map[string]any{"serviceendpointid": strings.ToUpper(id), "name": "hook-dup", "url": "https://r.example/", "contract": 8, "authtype": 4}
		r := c.do("POST", "serviceendpoints", body).mustStatus(t, http.StatusNoContent)
		if got := r.header.Get("OData-EntityId"); got != base+"/serviceendpoints("+id+")" {
			t.Fatalf("OData-EntityId = %q, want the chosen key", got)
		}
		r = c.do("POST", "serviceendpoints", body)
		r.mustFail(t, http.StatusPreconditionFailed, "0x80040237", "duplicate create")
	})
}

func TestUpdateAndDelete(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	base := e.URL() + "/api/data/v9.2"

	// §5 "Update: PATCH <set>(<id>) → 204 (200 with Prefer: return=representation)."
	t.Run("patch 204 and 200", func(t *testing.T) {
		t.Parallel()
		id := c.createWebhook("hook-patch", "https://r.example/a", 4, "k")
		r := c.do("PATCH", "serviceendpoints("+id+")", map[string]any{"url": "https://r.example/b"}).mustStatus(t, http.StatusNoContent)
		if got := r.header.Get("OData-EntityId"); got != base+"/serviceendpoints("+id+")" {
			t.Fatalf("OData-EntityId = %q", got)
		}
		r = c.do("PATCH", "serviceendpoints("+id+")?$select=url", map[string]any{"description": "d"},
			"Prefer", "return=representation").mustStatus(t, http.StatusOK)
		if r.body["url"] != "https://r.example/b" || r.body["@odata.context"] != base+"/$metadata#serviceendpoints(url)/$entity" {
			t.Fatalf("representation = %v", r.body)
		}
	})

	// §5 "Without If-Match: * a PATCH of a missing id creates the row (upsert); with it, a missing row gives 404."
	t.Run("upsert creates, If-Match refuses", func(t *testing.T) {
		t.Parallel()
		id := newGUID()
		body := map[string]any{"name": "hook-upsert", "url": "https://r.example/u", "contract": 8, "authtype": 4}
		r := c.do("PATCH", "serviceendpoints("+id+")", body, "If-Match", "*")
		// Microsoft's documented answer to If-Match: * on a missing row: 404, empty code,
		// "<table> With Id = <id> Does Not Exist".
		if r.status != http.StatusNotFound || r.errorCode() != "" ||
			r.errorMessage() != "serviceendpoint With Id = "+id+" Does Not Exist" {
			t.Fatalf("PATCH with If-Match of a missing row: %d %s", r.status, r.raw)
		}
		c.do("PATCH", "serviceendpoints("+id+")", body).mustStatus(t, http.StatusNoContent)
		got := c.do("GET", "serviceendpoints("+id+")?$select=name", nil).mustStatus(t, http.StatusOK)
		if got.body["name"] != "hook-upsert" {
			t.Fatalf("upserted row = %v", got.body)
		}
		// If-None-Match: * prevents the update half of an upsert.
		r = c.do("PATCH", "serviceendpoints("+id+")", body, "If-None-Match", "*")
		if r.status != http.StatusPreconditionFailed {
			t.Fatalf("If-None-Match on an existing row: %d", r.status)
		}
	})

	// §5 "Version mismatch: 412."
	t.Run("stale etag", func(t *testing.T) {
		t.Parallel()
		hook := c.createWebhook("hook-etag", "https://r.example/e", 4, "k")
		step := c.createStep(stepSpec{name: "etag step", endpoint: hook, message: "Update", table: "account", mode: 1, stage: 40, rank: 1})
		r := c.do("GET", "sdkmessageprocessingsteps("+step+")?$select=name", nil).mustStatus(t, http.StatusOK)
		etag := r.body["@odata.etag"].(string)
		c.do("PATCH", "sdkmessageprocessingsteps("+step+")", map[string]any{"rank": 2}, "If-Match", etag).mustStatus(t, http.StatusNoContent)
		r = c.do("PATCH", "sdkmessageprocessingsteps("+step+")", map[string]any{"rank": 3}, "If-Match", etag)
		r.mustFail(t, http.StatusPreconditionFailed, "", "stale If-Match")
	})

	// §5 "Delete: DELETE <set>(<id>) → 204, or 404 when missing."
	t.Run("delete", func(t *testing.T) {
		t.Parallel()
		id := c.createWebhook("hook-delete", "https://r.example/d", 4, "k")
		r := c.do("DELETE", "serviceendpoints("+id+")", nil).mustStatus(t, http.StatusNoContent)
		if len(r.raw) != 0 {
			t.Fatalf("body on 204: %s", r.raw)
		}
		r = c.do("DELETE", "serviceendpoints("+id+")", nil)
		r.mustFail(t, http.StatusNotFound, "0x80040217", "second delete")
		r = c.do("GET", "serviceendpoints("+id+")", nil)
		if r.status != http.StatusNotFound || r.errorMessage() != "serviceendpoint With Id = "+id+" Does Not Exist" {
			t.Fatalf("read after delete: %d %s", r.status, r.raw)
		}
	})
}

// §1 "Deleting a serviceendpoint cascades to its steps." §2 images are bound to their step.
func TestDeleteCascades(t *testing.T) {
	t.Parallel()
	e, c, hook, step := hookedStep(t, "hook-cascade", "https://r.example/c", "cascade step", "contact")
	image := newGUID()
	c.do("POST", "sdkmessageprocessingstepimages", map[string]any{
		"sdkmessageprocessingstepimageid": image, "name": "pre", "entityalias": "pre", "imagetype": 0,
		"messagepropertyname": "Target", "attributes": "firstname",
		"sdkmessageprocessingstepid@odata.bind": "/sdkmessageprocessingsteps(" + step + ")",
	}).mustStatus(t, http.StatusNoContent)
	other := c.createStep(stepSpec{name: "other step", endpoint: c.createWebhook("hook-keep", "https://r.example/k", 4, "k"),
		message: "Update", table: "contact", mode: 1, stage: 40, rank: 1})

	c.do("DELETE", "serviceendpoints("+hook+")", nil).mustStatus(t, http.StatusNoContent)
	c.do("GET", "sdkmessageprocessingsteps("+step+")", nil).mustStatus(t, http.StatusNotFound)
	c.do("GET", "sdkmessageprocessingstepimages("+image+")", nil).mustStatus(t, http.StatusNotFound)
	c.do("GET", "sdkmessageprocessingsteps("+other+")", nil).mustStatus(t, http.StatusOK)

	// Deleting a step takes its images.
	img2 := newGUID()
	c.do("POST", "sdkmessageprocessingstepimages", map[string]any{
		"sdkmessageprocessingstepimageid": img2, "name": "post", "entityalias": "post", "imagetype": 1, "messagepropertyname": "Target",
		"sdkmessageprocessingstepid@odata.bind": "/sdkmessageprocessingsteps(" + other + ")",
	}).mustStatus(t, http.StatusNoContent)
	c.do("DELETE", "sdkmessageprocessingsteps("+other+")", nil).mustStatus(t, http.StatusNoContent)
	if _, ok := e.Row("sdkmessageprocessingstepimages", img2); ok {
		t.Fatal("image survived its step")
	}
}

// §1 "authvalue … write-only on the server: accepted on create/update, never
// returned by any read"; "isauthvalueset … the only signal that a secret is set".
func TestAuthValueNeverReturned(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	id := c.createWebhook("hook-secret", "https://r.example/s", 5,
		`<settings><setting name="X-Key" value="s3cret" /></settings>`)

	reads := []string{
		"serviceendpoints(" + id + ")",
		"serviceendpoints(" + id + ")?$select=authvalue,name,isauthvalueset",
		"serviceendpoints?$filter=serviceendpointid eq " + id,
	}
	for _, path := range reads {
		r := c.do("GET", path, nil).mustStatus(t, http.StatusOK)
		if strings.Contains(string(r.raw), "s3cret") || strings.Contains(string(r.raw), `"authvalue"`) {
			t.Fatalf("GET %s leaked the auth value: %s", path, r.raw)
		}
	}
	r := c.do("GET", "serviceendpoints("+id+")?$select=isauthvalueset", nil).mustStatus(t, http.StatusOK)
	if r.body["isauthvalueset"] != true {
		t.Fatalf("isauthvalueset = %v", r.body["isauthvalueset"])
	}
	// Not readable, so not queryable either.
	r = c.do("GET", "serviceendpoints?$filter=authvalue eq 'x'", nil)
	if r.status != http.StatusBadRequest {
		t.Fatalf("filter on authvalue: %d", r.status)
	}
	if v, ok := e.AuthValue(id); !ok || !strings.Contains(v, "s3cret") {
		t.Fatalf("AuthValue = %q, %v", v, ok)
	}
	// Clearing the secret clears the flag.
	c.do("PATCH", "serviceendpoints("+id+")", map[string]any{"authvalue": nil}).mustStatus(t, http.StatusNoContent)
	r = c.do("GET", "serviceendpoints("+id+")?$select=isauthvalueset", nil).mustStatus(t, http.StatusOK)
	if r.body["isauthvalueset"] != false {
		t.Fatalf("isauthvalueset after clearing = %v", r.body["isauthvalueset"])
	}
}

func TestServiceEndpointValidation(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	valid := func() map[string]any {
		return map[string]any{"name": "hook-valid", "url": "https://r.example/v", "contract": 8, "authtype": 4, "authvalue": "k"}
	}
	cases := []struct {
		name   string
		mutate func(map[string]any)
		status int
		code   string
	}{
		// §1 contract is a choice 1–10: other values are out of range.
		{"contract out of range", func(b map[string]any) { b["contract"] = 99 }, 400, codeValueOutOfRange},
		// §1 "name | string ≤ 256 | required".
		{"name too long", func(b map[string]any) { b["name"] = strings.Repeat("n", 257) }, 400, codeStringTooLong},
		{"name at the limit", func(b map[string]any) { b["name"] = strings.Repeat("n", 256) }, 204, ""},
		// String lengths count UTF-16 code units, as nvarchar does: an emoji takes two.
		{"name of 129 emoji", func(b map[string]any) { b["name"] = strings.Repeat("😀", 129) }, 400, codeStringTooLong},
		{"name of 128 emoji", func(b map[string]any) { b["name"] = strings.Repeat("😀", 128) }, 204, ""},
		{"name missing", func(b map[string]any) { delete(b, "name") }, 400, codeInvalidArgument},
		// §1 "url | string ≤ 2000".
		{"url too long", func(b map[string]any) { b["url"] = "https://r.example/" + strings.Repeat("u", 2000) }, 400, codeStringTooLong},
		// §1 "authvalue | string ≤ 2048".
		{"authvalue too long", func(b map[string]any) { b["authvalue"] = strings.Repeat("a", 2049) }, 400, codeStringTooLong},
		// §1 "A webhook uses only 4, 5 or 6".
		{"webhook with SAS key auth", func(b map[string]any) { b["authtype"] = 2 }, 400, codeInvalidArgument},
		{"webhook without url", func(b map[string]any) { delete(b, "url") }, 400, codeInvalidArgument},
		{"queue endpoint needs no webhook auth", func(b map[string]any) { b["contract"] = 2; b["authtype"] = 2 }, 204, ""},
		// §5 "Unknown column: 400." with the payload code.
		{"unknown column", func(b map[string]any) { b["hue"] = "red" }, 400, codeUnknownProperty},
		{"lookup value written directly", func(b map[string]any) { b["_organizationid_value"] = organizationID }, 400, codeUnknownProperty},
		{"wrong type", func(b map[string]any) { b["contract"] = "eight" }, 400, codePayload},
		// Read-only columns are dropped, as Dataverse drops attributes not valid for create.
		{"read-only column ignored", func(b map[string]any) { b["isauthvalueset"] = false; b["createdon"] = "2001-01-01T00:00:00Z" }, 204, ""},
		{"messageformat out of range", func(b map[string]any) { b["messageformat"] = 4 }, 400, codeValueOutOfRange},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := valid()
			tc.mutate(b)
			r := c.do("POST", "serviceendpoints", b)
			r.mustAnswer(t, tc.status, tc.code)
			if tc.status >= 400 && !strings.HasPrefix(string(r.raw), `{"error":{"code":"0x`) {
				t.Fatalf("error body is not Dataverse-shaped: %s", r.raw)
			}
		})
	}

	t.Run("read-only values", func(t *testing.T) {
		t.Parallel()
		b := valid()
		b["isauthvalueset"] = false
		b["createdon"] = "2001-01-01T00:00:00Z"
		r := c.do("POST", "serviceendpoints?$select=isauthvalueset,createdon", b, "Prefer", "return=representation").mustStatus(t, http.StatusCreated)
		if r.body["isauthvalueset"] != true || r.body["createdon"] == "2001-01-01T00:00:00Z" {
			t.Fatalf("read-only columns were written: %v", r.body)
		}
	})
}

func TestStepRegistrationRules(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	hook := c.createWebhook("hook-rules", "https://r.example/rules", 4, "k")
	step := func(message, table string) map[string]any {
		b := map[string]any{
			"name": "rule step", "mode": 0, "stage": 40, "rank": 1, "supporteddeployment": 0,
			"eventhandler_serviceendpoint@odata.bind": "/serviceendpoints(" + hook + ")",
			"sdkmessageid@odata.bind":                 "/sdkmessages(" + SDKMessageID(message) + ")",
		}
		if table != "" {
			b["sdkmessagefilterid@odata.bind"] = "/sdkmessagefilters(" + SDKMessageFilterID(message, table) + ")"
		}
		return b
	}
	cases := []struct {
		name   string
		body   map[string]any
		mutate func(map[string]any)
		status int
		code   string
	}{
		{"valid synchronous PostOperation", step("Update", "account"), nil, 204, ""},
		// §2 "asynchronous steps must be PostOperation (40)".
		{"asynchronous PreOperation", step("Update", "account"), func(b map[string]any) { b["mode"] = 1; b["stage"] = 20 }, 400, codeInvalidArgument},
		{"asynchronous PostOperation", step("Update", "account"), func(b map[string]any) { b["mode"] = 1 }, 204, ""},
		{"synchronous PreValidation", step("Update", "account"), func(b map[string]any) { b["stage"] = 10 }, 204, ""},
		// §2 "stage | 10 PreValidation, 20 PreOperation, 40 PostOperation (others are internal or deprecated)".
		{"internal stage 30", step("Update", "account"), func(b map[string]any) { b["stage"] = 30 }, 400, codeInvalidArgument},
		// entity-metadata-real.md [ST]: 25 is one of the option set's internal stages, 60 is none.
		{"stage not in the option set", step("Update", "account"), func(b map[string]any) { b["stage"] = 60 }, 400, codeValueOutOfRange},
		{"internal stage of the option set", step("Update", "account"), func(b map[string]any) { b["stage"] = 25 }, 400, codeInvalidArgument},
		{"mode out of range", step("Update", "account"), func(b map[string]any) { b["mode"] = 2 }, 400, codeValueOutOfRange},
		{"supporteddeployment out of range", step("Update", "account"), func(b map[string]any) { b["supporteddeployment"] = 3 }, 400, codeValueOutOfRange},
		// §2 "invocationsource | -1 Internal, 0 Parent, 1 Child (default 0)".
		{"invocationsource internal", step("Update", "account"), func(b map[string]any) { b["invocationsource"] = -1 }, 204, ""},
		// §2: the Plug-in Registration Tool offers filtering attributes for Update, Create,
		// CreateMultiple and UpdateMultiple.
		{"filtering attributes on Update", step("Update", "account"), func(b map[string]any) { b["filteringattributes"] = "name,telephone1" }, 204, ""},
		{"filtering attributes on Create", step("Create", "account"), func(b map[string]any) { b["filteringattributes"] = "name" }, 204, ""},
		{"filtering attributes on Delete", step("Delete", "account"), func(b map[string]any) { b["filteringattributes"] = "name" }, 400, codeInvalidArgument},
		// The message/filter pair must exist, match and allow custom steps.
		{"custom step forbidden", step("Create", "businessunit"), nil, 400, codeCustomStepNotAllowed},
		{"filter of another message", step("Update", "account"), func(b map[string]any) {
			b["sdkmessagefilterid@odata.bind"] = "/sdkmessagefilters(" + SDKMessageFilterID("Create", "account") + ")"
		}, 400, codeInvalidArgument},
		{"message without table", step("WhoAmI", "none"), nil, 204, ""},
		// §2 "eventhandler@odata.bind is wrong (the lookup is polymorphic): Dataverse answers 400 0x80048d19".
		{"eventhandler bound by the lookup name", step("Update", "account"), func(b map[string]any) {
			delete(b, "eventhandler_serviceendpoint@odata.bind")
			b["eventhandler@odata.bind"] = "/serviceendpoints(" + hook + ")"
		}, 400, codePayload},
		{"no event handler", step("Update", "account"), func(b map[string]any) { delete(b, "eventhandler_serviceendpoint@odata.bind") }, 400, codeInvalidArgument},
		{"no message", step("Update", "account"), func(b map[string]any) { delete(b, "sdkmessageid@odata.bind") }, 400, codeInvalidArgument},
		{"bind to a missing endpoint", step("Update", "account"), func(b map[string]any) {
			b["eventhandler_serviceendpoint@odata.bind"] = "/serviceendpoints(" + newGUID() + ")"
		}, 404, codeObjectDoesNotExist},
		{"bind into the wrong table", step("Update", "account"), func(b map[string]any) {
			b["sdkmessageid@odata.bind"] = "/accounts(" + newGUID() + ")"
		}, 400, codePayload},
		{"bind with the service root", step("Update", "account"), func(b map[string]any) {
			b["eventhandler_serviceendpoint@odata.bind"] = e.URL() + "/api/data/v9.2/serviceendpoints(" + hook + ")"
		}, 204, ""},
		// "you cannot specify any configuration information" for a webhook step.
		{"configuration on a webhook step", step("Update", "account"), func(b map[string]any) { b["configuration"] = "x" }, 400, codeInvalidArgument},
		{"asyncautodelete on a synchronous step is accepted", step("Update", "account"), func(b map[string]any) { b["asyncautodelete"] = true }, 204, ""},
		{"plug-in type handler", step("Update", "account"), func(b map[string]any) {
			delete(b, "eventhandler_serviceendpoint@odata.bind")
			b["eventhandler_plugintype@odata.bind"] = "/plugintypes(" + SamplePluginTypeID + ")"
			b["configuration"] = "plug-ins take configuration"
		}, 204, ""},
		{"impersonating user", step("Update", "account"), func(b map[string]any) {
			b["impersonatinguserid@odata.bind"] = "/systemusers(" + stableGUID("systemuser", "alex") + ")"
		}, 204, ""},
		{"name too long", step("Update", "account"), func(b map[string]any) { b["name"] = strings.Repeat("s", 257) }, 400, codeStringTooLong},
		// A create gets the default state whatever it sends: a disabled status is refused
		// (reported live for accounts, 0x80048408), a disabled state alone is not taken.
		{"disabled status on create", step("Update", "account"), func(b map[string]any) { b["statecode"] = 1; b["statuscode"] = 2 }, 400, codeInvalidStateOnCreate},
		{"disabled state on create is not taken", step("Update", "account"), func(b map[string]any) { b["statecode"] = 1 }, 204, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.mutate != nil {
				tc.mutate(tc.body)
			}
			r := c.do("POST", "sdkmessageprocessingsteps", tc.body)
			r.mustAnswer(t, tc.status, tc.code)
		})
	}
}

// §2 "statecode / statuscode | 0/1 Enabled, 1/2 Disabled; set with PATCH of both columns".
func TestStepStateChanges(t *testing.T) {
	t.Parallel()
	_, c, _, id := hookedStep(t, "hook-state", "https://r.example/state", "state step", "account")
	state := func() (int64, int64) {
		r := c.do("GET", "sdkmessageprocessingsteps("+id+")?$select=statecode,statuscode", nil).mustStatus(t, http.StatusOK)
		return num(t, r.body["statecode"]), num(t, r.body["statuscode"])
	}
	if s, st := state(); s != 0 || st != 1 {
		t.Fatalf("new step state %d/%d, want 0/1", s, st)
	}
	c.do("PATCH", "sdkmessageprocessingsteps("+id+")", map[string]any{"statecode": 1, "statuscode": 2}).mustStatus(t, http.StatusNoContent)
	if s, st := state(); s != 1 || st != 2 {
		t.Fatalf("disabled step state %d/%d, want 1/2", s, st)
	}
	// One column alone moves the other to its default partner.
	c.do("PATCH", "sdkmessageprocessingsteps("+id+")", map[string]any{"statecode": 0}).mustStatus(t, http.StatusNoContent)
	if s, st := state(); s != 0 || st != 1 {
		t.Fatalf("re-enabled step state %d/%d, want 0/1", s, st)
	}
	r := c.do("PATCH", "sdkmessageprocessingsteps("+id+")", map[string]any{"statecode": 0, "statuscode": 2})
	if r.status != http.StatusBadRequest {
		t.Fatalf("mismatched pair: %d %s", r.status, r.raw)
	}
	// A PATCH that moves a step to an invalid stage/mode combination is refused too.
	r = c.do("PATCH", "sdkmessageprocessingsteps("+id+")", map[string]any{"stage": 20})
	r.mustFail(t, http.StatusBadRequest, codeInvalidArgument, "async step moved to stage 20")
}

// §5 "Lookups read as _<name>_value".
func TestLookupsReadAsValue(t *testing.T) {
	t.Parallel()
	_, c, hook, id := hookedStep(t, "hook-lookups", "https://r.example/l", "lookup step", "account")
	r := c.do("GET", "sdkmessageprocessingsteps("+id+")", nil).mustStatus(t, http.StatusOK)
	want := map[string]any{
		"_eventhandler_value":        hook,
		"_sdkmessageid_value":        SDKMessageID("Update"),
		"_sdkmessagefilterid_value":  SDKMessageFilterID("Update", "account"),
		"_impersonatinguserid_value": nil,
		"_createdby_value":           ApplicationUserID(DefaultClientID),
		"_organizationid_value":      organizationID,
	}
	for k, v := range want {
		if got, ok := r.body[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	for _, k := range []string{"eventhandler", "sdkmessageid", "sdkmessagefilterid"} {
		if _, ok := r.body[k]; ok {
			t.Errorf("lookup %s read under its own name", k)
		}
	}
	r = c.do("GET", "sdkmessageprocessingsteps("+id+")?$select=_eventhandler_value", nil,
		"Prefer", `odata.include-annotations="*"`).mustStatus(t, http.StatusOK)
	if r.body["_eventhandler_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != "serviceendpoint" ||
		r.body["_eventhandler_value@Microsoft.Dynamics.CRM.associatednavigationproperty"] != "eventhandler_serviceendpoint" {
		t.Fatalf("annotations = %v", r.body)
	}
	// Only the annotations asked for come back, and the preference is echoed as asked.
	const lookupTable = "_eventhandler_value@Microsoft.Dynamics.CRM.lookuplogicalname"
	const navigation = "_eventhandler_value@Microsoft.Dynamics.CRM.associatednavigationproperty"
	for _, tc := range []struct {
		prefer          string
		table, property bool
	}{
		{`odata.include-annotations="OData.Community.Display.V1.FormattedValue"`, false, false},
		{`odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"`, true, false},
		{`odata.include-annotations="Microsoft.Dynamics.CRM.*"`, true, true},
		{`odata.include-annotations="*,-Microsoft.Dynamics.CRM.associatednavigationproperty"`, true, false},
		{`return=representation,odata.include-annotations="OData.Community.Display.V1.FormattedValue,Microsoft.Dynamics.CRM.associatednavigationproperty"`, false, true},
	} {
		r := c.do("GET", "sdkmessageprocessingsteps("+id+")?$select=_eventhandler_value", nil, "Prefer", tc.prefer).mustStatus(t, http.StatusOK)
		_, table := r.body[lookupTable]
		_, property := r.body[navigation]
		if table != tc.table || property != tc.property {
			t.Errorf("Prefer %s: lookup table annotation %v, navigation property annotation %v; want %v, %v", tc.prefer, table, property, tc.table, tc.property)
		}
		_, asked, _ := strings.Cut(tc.prefer, "odata.include-annotations=")
		if got := r.header.Get("Preference-Applied"); got != "odata.include-annotations="+asked {
			t.Errorf("Prefer %s: Preference-Applied %q", tc.prefer, got)
		}
	}
}

func TestStepImages(t *testing.T) {
	t.Parallel()
	_, c, hook, update := hookedStep(t, "hook-images", "https://r.example/i", "image step", "account")
	del := c.createStep(stepSpec{name: "delete image step", endpoint: hook, message: "Delete", table: "account", mode: 1, stage: 40, rank: 1})
	create := c.createStep(stepSpec{name: "create image step", endpoint: hook, message: "Create", table: "account", mode: 1, stage: 40, rank: 1})
	image := func(step string) map[string]any {
		return map[string]any{
			"name": "img", "entityalias": "pre", "imagetype": 0, "messagepropertyname": "Target", "attributes": "name",
			"sdkmessageprocessingstepid@odata.bind": "/sdkmessageprocessingsteps(" + step + ")",
		}
	}
	cases := []struct {
		name   string
		step   string
		mutate func(map[string]any)
		status int
		code   string
	}{
		// §2 "imagetype 0 PreImage, 1 PostImage, 2 Both".
		{"pre image", update, nil, 204, ""},
		{"both", update, func(b map[string]any) { b["imagetype"] = 2 }, 204, ""},
		{"image type out of range", update, func(b map[string]any) { b["imagetype"] = 3 }, 400, codeValueOutOfRange},
		{"alias missing", update, func(b map[string]any) { delete(b, "entityalias") }, 400, codeInvalidArgument},
		{"no step", update, func(b map[string]any) { delete(b, "sdkmessageprocessingstepid@odata.bind") }, 400, codeInvalidArgument},
		{"name missing", update, func(b map[string]any) { delete(b, "name") }, 400, codeInvalidArgument},
		// real/image-messagepropertyname-live.md: Create takes Id and refuses Target
		// (0x8004416b); Update and Delete take Target.
		{"Id on an Update step", update, func(b map[string]any) { b["messagepropertyname"] = "Id" }, 400, codeInvalidMessageProperty},
		{"Id on a Delete step", del, func(b map[string]any) { b["messagepropertyname"] = "Id" }, 400, codeInvalidMessageProperty},
		{"Target on a Delete step", del, nil, 204, ""},
		{"Target on a Create step", create, nil, 400, codeInvalidMessageProperty},
		{"Id on a Create step", create, func(b map[string]any) { b["messagepropertyname"] = "Id"; b["imagetype"] = 1 }, 204, ""},
		// An empty attribute list is refused; clients omit the column for every column.
		{"empty attributes", update, func(b map[string]any) { b["attributes"] = "" }, 400, codeInvalidArgument},
		{"all columns", update, func(b map[string]any) { delete(b, "attributes") }, 204, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := image(tc.step)
			if tc.mutate != nil {
				tc.mutate(b)
			}
			r := c.do("POST", "sdkmessageprocessingstepimages", b)
			r.mustAnswer(t, tc.status, tc.code)
		})
	}
}

// §3 messages and filters are "read-only catalogs"; §4 "Clients cannot create system jobs".
func TestReadOnlyTables(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	cases := []struct{ method, path string }{
		{"POST", "sdkmessages"},
		{"PATCH", "sdkmessages(" + SDKMessageID("Update") + ")"},
		{"DELETE", "sdkmessages(" + SDKMessageID("Update") + ")"},
		{"POST", "sdkmessagefilters"},
		{"PATCH", "sdkmessagefilters(" + SDKMessageFilterID("Update", "account") + ")"},
		{"DELETE", "systemusers(" + ApplicationUserID(DefaultClientID) + ")"},
		{"POST", "asyncoperations"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			t.Parallel()
			c.do(tc.method, tc.path, map[string]any{"name": "x"}).mustFail(t, http.StatusBadRequest, codeInvalidArgument, "writing a read-only table")
		})
	}
	if _, ok := e.Row("sdkmessages", SDKMessageID("Update")); !ok {
		t.Fatal("the Update message is gone")
	}
}

// §4 "… read-only for clients", except the state a client may change to cancel a job.
func TestAsyncOperationUpdates(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	job := newGUID()
	insertRow(t, e, "asyncoperations", map[string]any{
		"asyncoperationid": job, "name": "waiting job", "statecode": int64(0), "statuscode": int64(0), "operationtype": int64(1),
	})
	r := c.do("PATCH", "asyncoperations("+job+")", map[string]any{"name": "renamed"})
	if r.status != http.StatusBadRequest {
		t.Fatalf("PATCH name: %d %s", r.status, r.raw)
	}
	r = c.do("PATCH", "asyncoperations("+job+")", map[string]any{"statecode": 0, "statuscode": 31})
	if r.status != http.StatusBadRequest {
		t.Fatalf("PATCH invalid pair: %d %s", r.status, r.raw)
	}
	c.do("PATCH", "asyncoperations("+job+")", map[string]any{"statecode": 3, "statuscode": 32}).mustStatus(t, http.StatusNoContent)
	if row, _ := e.Row("asyncoperations", job); row["statuscode"] != int64(32) || row["name"] != "waiting job" {
		t.Fatalf("job after cancel = %v", row)
	}
	// A PATCH of a missing job does not create one.
	c.do("PATCH", "asyncoperations("+newGUID()+")", map[string]any{"statecode": 3, "statuscode": 32}).mustStatus(t, http.StatusNotFound)
	c.do("DELETE", "asyncoperations("+job+")", nil).mustStatus(t, http.StatusNoContent)
}

// §5 "MSCRM.SolutionUniqueName: <solution> on create adds the component to that solution".
func TestSolutionHeader(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	id := newGUID()
	c.do("POST", "serviceendpoints", map[string]any{
		"serviceendpointid": id, "name": "hook-solution", "url": "https://r.example/sol", "contract": 8, "authtype": 4,
	}, "MSCRM.SolutionUniqueName", SampleSolution).mustStatus(t, http.StatusNoContent)
	r := c.do("GET", "solutioncomponents?$filter=objectid eq "+id+"&$select=componenttype,_solutionid_value", nil).mustStatus(t, http.StatusOK)
	solutions := map[any]int64{}
	for _, row := range r.values() {
		solutions[row["_solutionid_value"]] = num(t, row["componenttype"])
	}
	if solutions[stableGUID("solution", SampleSolution)] != componentServiceEndpoint || solutions[stableGUID("solution", defaultSolution)] != componentServiceEndpoint || len(solutions) != 2 {
		t.Fatalf("components = %v", solutions)
	}

	missing := newGUID()
	r = c.do("POST", "serviceendpoints", map[string]any{
		"serviceendpointid": missing, "name": "hook-nosolution", "url": "https://r.example/sol", "contract": 8, "authtype": 4,
	}, "MSCRM.SolutionUniqueName", "no_such_solution")
	r.mustFail(t, http.StatusNotFound, codeObjectDoesNotExist, "unknown solution")
	if _, ok := e.Row("serviceendpoints", missing); ok {
		t.Fatal("row created despite the unknown solution")
	}
	c.do("DELETE", "serviceendpoints("+id+")", nil).mustStatus(t, http.StatusNoContent)
	r = c.do("GET", "solutioncomponents?$filter=objectid eq "+id, nil).mustStatus(t, http.StatusOK)
	if len(r.values()) != 0 {
		t.Fatalf("components outlived the row: %v", r.values())
	}
}

// Business tables take any scalar column, so tests can trigger events with them.
func TestBusinessTablesAcceptAnyScalar(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	r := c.do("POST", "accounts?$select=name,custom_flag,score,rating,note", map[string]any{
		"name": "Contoso", "custom_flag": true, "score": 3.5, "rating": 4, "note": nil,
	}, "Prefer", "return=representation").mustStatus(t, http.StatusCreated)
	if r.body["name"] != "Contoso" || r.body["custom_flag"] != true || r.body["score"].(interface{ String() string }).String() != "3.5" ||
		num(t, r.body["rating"]) != 4 || r.body["note"] != nil {
		t.Fatalf("row = %v", r.body)
	}
	id := r.body["accountid"].(string)
	row, _ := e.Row("accounts", id)
	if row[lookupKey("ownerid")] != ApplicationUserID(DefaultClientID) {
		t.Fatalf("owner = %v", row[lookupKey("ownerid")])
	}
	for _, bad := range []map[string]any{
		{"nested": map[string]any{"a": 1}},
		{"list": []int{1}},
		{"Name": "wrong case"},
		{"name": strings.Repeat("n", 161)},
	} {
		if r := c.do("POST", "accounts", bad); r.status != http.StatusBadRequest {
			t.Errorf("POST %v: %d %s", bad, r.status, r.raw)
		}
	}
}

// §5 "Names of entity sets, columns and navigation properties are case-sensitive".
func TestNamesAreCaseSensitive(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	r := c.do("GET", "ServiceEndpoints", nil)
	r.mustFail(t, http.StatusNotFound, codeResourceNotFound, "wrong-case entity set")
	r = c.do("GET", "serviceendpoints?$select=Name", nil)
	if r.status != http.StatusBadRequest || r.errorMessage() != "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.serviceendpoint'." {
		t.Fatalf("wrong-case column: %d %s", r.status, r.raw)
	}
	r = c.do("POST", "serviceendpoints", map[string]any{"Name": "x", "url": "https://r.example", "contract": 8, "authtype": 4})
	r.mustFail(t, http.StatusBadRequest, codeUnknownProperty, "wrong-case body column")
}

// The caller's identity (client id → systemuser) is the createdby of what it creates;
// §5 "CallerObjectId impersonates".
func TestCallerIdentity(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	c := newClient(t, e)
	r := c.do("GET", "WhoAmI", nil).mustStatus(t, http.StatusOK)
	if r.body["UserId"] != ApplicationUserID(DefaultClientID) || r.body["OrganizationId"] != organizationID {
		t.Fatalf("WhoAmI = %v", r.body)
	}
	alex := stableGUID("systemuser", "alex")
	r = c.do("POST", "accounts?$select=_createdby_value,_ownerid_value", map[string]any{"name": "as alex"},
		"Prefer", "return=representation", "CallerObjectId", stableGUID("aadobject", "alex")).mustStatus(t, http.StatusCreated)
	if r.body["_createdby_value"] != alex || r.body["_ownerid_value"] != alex {
		t.Fatalf("impersonated create = %v", r.body)
	}
	r = c.do("GET", "WhoAmI", nil, "CallerObjectId", newGUID())
	if r.status != http.StatusForbidden {
		t.Fatalf("unknown CallerObjectId: %d", r.status)
	}

	// An application without an application user is not a member of the environment.
	outsider := newGUID()
	e.Entra().RegisterSecretClient(outsider, "outsider-secret")
	token := fetchToken(t, e, outsider, "outsider-secret")
	r = doRequest(t, e, token, "GET", "WhoAmI", nil)
	r.mustFail(t, http.StatusForbidden, codeNotAMember, "client without user")
	userID := e.RegisterApplication(outsider, "outsider-secret")
	r = doRequest(t, e, token, "GET", "WhoAmI", nil).mustStatus(t, http.StatusOK)
	if r.body["UserId"] != userID {
		t.Fatalf("WhoAmI of the registered application = %v", r.body)
	}
}
