package odata

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseOptions(t *testing.T) {
	t.Parallel()
	q := url.Values{
		"$select":    {"name,url"},
		"$filter":    {"contract eq @c"},
		"$orderby":   {"name desc"},
		"$top":       {"5"},
		"$expand":    {"sdkmessageid($select=name)"},
		"$count":     {"true"},
		"$skiptoken": {"<cookie page=\"2\" />"},
		"@c":         {"8"},
		"custom":     {"ignored"},
	}
	o, err := ParseOptions(q)
	if err != nil {
		t.Fatalf("ParseOptions: %v", err)
	}
	if !slices.Equal(o.Select, []string{"name", "url"}) {
		t.Errorf("Select = %q", o.Select)
	}
	if o.Filter == nil || o.Filter.String() != "contract eq @c" {
		t.Errorf("Filter = %v", o.Filter)
	}
	if ok, err := o.Filter.Eval(rowOf(map[string]any{"contract": 8})); !ok || err != nil {
		t.Errorf("Filter with alias did not match contract 8: %v, %v", ok, err)
	}
	if len(o.OrderBy) != 1 || !o.OrderBy[0].Desc || o.OrderBy[0].Path[0] != "name" {
		t.Errorf("OrderBy = %+v", o.OrderBy)
	}
	if o.Top != 5 {
		t.Errorf("Top = %d, want 5", o.Top)
	}
	if len(o.Expand) != 1 || o.Expand[0].Property != "sdkmessageid" || !slices.Equal(o.Expand[0].Select, []string{"name"}) {
		t.Errorf("Expand = %+v", o.Expand)
	}
	if !o.Count {
		t.Error("Count = false, want true")
	}
	if o.SkipToken != `<cookie page="2" />` {
		t.Errorf("SkipToken = %q", o.SkipToken)
	}
	if len(o.Aliases) != 1 || o.Aliases["@c"] != "8" {
		t.Errorf("Aliases = %v", o.Aliases)
	}
}

func TestParseOptionsEmpty(t *testing.T) {
	t.Parallel()
	o, err := ParseOptions(url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Select != nil || o.Filter != nil || o.OrderBy != nil || o.Top != 0 || o.Expand != nil || o.Count || o.SkipToken != "" {
		t.Errorf("ParseOptions(empty) = %+v, want zero options", o)
	}
	if ok, err := o.Filter.Eval(rowOf(nil)); !ok || err != nil {
		t.Errorf("absent filter matches every row; got %v, %v", ok, err)
	}
	if o.Aliases == nil {
		t.Error("Aliases is nil; want an empty map callers can read")
	}
}

func TestParseOptionsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		query    url.Values
		fragment string
	}{
		{"skip", url.Values{"$skip": {"10"}}, "The query parameter $skip is not supported"},
		{"skip with top", url.Values{"$top": {"5"}, "$skip": {"5"}}, "$skip is not supported"},
		{"unknown option", url.Values{"$foo": {"1"}}, "The query parameter $foo is not supported"},
		{"search", url.Values{"$search": {"x"}}, "$search is not supported"},
		{"apply", url.Values{"$apply": {"groupby((name))"}}, "$apply is not supported"},
		{"format", url.Values{"$format": {"json"}}, "$format is not supported"},
		{"option names are case-sensitive", url.Values{"$Filter": {"a eq 1"}}, "$Filter is not supported"},
		{"top zero", url.Values{"$top": {"0"}}, "requires a positive integer"},
		{"top negative", url.Values{"$top": {"-1"}}, "requires a positive integer"},
		{"top plus", url.Values{"$top": {"+3"}}, "requires a positive integer"},
		{"top text", url.Values{"$top": {"ten"}}, "requires a positive integer"},
		{"top decimal", url.Values{"$top": {"1.5"}}, "requires a positive integer"},
		{"top empty", url.Values{"$top": {""}}, "requires a positive integer"},
		{"top huge", url.Values{"$top": {"99999999999999999999999"}}, "requires a positive integer"},
		{"top twice", url.Values{"$top": {"1", "2"}}, "specified more than once"},
		{"filter twice", url.Values{"$filter": {"a eq 1", "b eq 2"}}, "'$filter' was specified more than once"},
		{"alias twice", url.Values{"@id": {"1", "2"}}, "'@id' was specified more than once"},
		{"bad alias name", url.Values{"@1x": {"1"}}, "alias name '@1x' is not valid"},
		{"bare at sign", url.Values{"@": {"1"}}, "alias name '@' is not valid"},
		{"bad count", url.Values{"$count": {"yes"}}, "not a valid count option"},
		{"bad filter", url.Values{"$filter": {"name eq"}}, "Expression expected"},
		{"empty filter", url.Values{"$filter": {""}}, "Expression expected"},
		{"bad select", url.Values{"$select": {"name,"}}, "not valid in a $select"},
		{"empty select", url.Values{"$select": {""}}, "not valid in a $select"},
		{"bad orderby", url.Values{"$orderby": {"name sideways"}}, "Syntax error"},
		{"bad expand", url.Values{"$expand": {"a("}}, "not valid"},
		{"alias used in filter has bad value", url.Values{"$filter": {"a eq @x"}, "@x": {"'open"}}, "parameter alias '@x'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := ParseOptions(tt.query)
			if err == nil {
				t.Fatalf("ParseOptions(%v) = %+v, want an error", tt.query, o)
			}
			wantError(t, err, tt.fragment)
		})
	}
}

// TestParseOptionsReportsFaultsInAFixedOrder guards against map iteration
// order choosing which of several faults is reported.
func TestParseOptionsReportsFaultsInAFixedOrder(t *testing.T) {
	t.Parallel()
	q := url.Values{"$zzz": {"1"}, "$skip": {"1"}, "$aaa": {"1"}}
	for range 20 {
		_, err := ParseOptions(q)
		wantError(t, err, "$aaa")
	}
}

// table is a stand-in for an emulator table: rows plus the columns that
// exist, with navigation columns written "nav/column".
type table struct {
	entity  string
	columns []string
	rows    []map[string]any
}

func (tb table) has(path []string) bool {
	joined := strings.Join(path, "/")
	for _, c := range tb.columns {
		if c == joined || strings.HasPrefix(c, joined+"/") {
			return true
		}
	}
	return false
}

func (tb table) resolver(row map[string]any) Resolver {
	return func(path []string) (any, bool) {
		if !tb.has(path) {
			return nil, false
		}
		return row[strings.Join(path, "/")], true
	}
}

// query answers a read the way the emulator does: validate, filter, order,
// cut to $top, and return the primary keys.
func (tb table) query(t *testing.T, raw string) []string {
	t.Helper()
	q, err := ParseRawQuery(raw)
	if err != nil {
		t.Fatalf("ParseRawQuery(%q): %v", raw, err)
	}
	o, err := ParseOptions(q)
	if err != nil {
		t.Fatalf("ParseOptions(%q): %v", raw, err)
	}
	if err := o.Validate(tb.entity, tb.has); err != nil {
		t.Fatalf("Validate(%q): %v", raw, err)
	}
	var matched []map[string]any
	for _, row := range tb.rows {
		ok, err := o.Filter.Eval(tb.resolver(row))
		if err != nil {
			t.Fatalf("Eval(%q): %v", raw, err)
		}
		if ok {
			matched = append(matched, row)
		}
	}
	slices.SortStableFunc(matched, func(a, b map[string]any) int {
		switch {
		case Less(o.OrderBy, tb.resolver(a), tb.resolver(b)):
			return -1
		case Less(o.OrderBy, tb.resolver(b), tb.resolver(a)):
			return 1
		}
		return 0
	})
	if o.Top > 0 && len(matched) > o.Top {
		matched = matched[:o.Top]
	}
	ids := []string{}
	for _, row := range matched {
		id, _ := row["id"].(string)
		ids = append(ids, id)
	}
	return ids
}

// TestDocumentedQueries runs the queries of the Dataverse webhook
// registration page and the Web API facts sheet, verbatim except for the
// '?' that should have been '&' before the alias.
func TestDocumentedQueries(t *testing.T) {
	t.Parallel()
	const (
		stepA    = "11111111-aaaa-4bbb-8ccc-000000000001"
		stepB    = "22222222-aaaa-4bbb-8ccc-000000000002"
		endpoint = "33333333-aaaa-4bbb-8ccc-000000000003"
	)
	at := func(h int) time.Time { return time.Date(2024, 5, 1, h, 0, 0, 0, time.UTC) }

	endpoints := table{
		entity:  "serviceendpoint",
		columns: []string{"id", "serviceendpointid", "name", "authtype", "url", "contract"},
		rows: []map[string]any{
			{"id": "hook", "contract": 8, "name": "Hook", "authtype": 4, "url": "https://a.example/"},
			{"id": "queue", "contract": 2, "name": "Queue", "authtype": 2, "url": "sb://q"},
			{"id": "hook2", "contract": int32(8), "name": "Hook 2", "authtype": 5, "url": "https://b.example/"},
		},
	}
	jobs := table{
		entity: "asyncoperation",
		columns: []string{"id", "name", "friendlymessage", "errorcode", "message", "completedon",
			"statuscode", "_owningextensionid_value"},
		rows: []map[string]any{
			{"id": "old-fail", "statuscode": 31, "_owningextensionid_value": stepA, "completedon": at(1)},
			{"id": "ok", "statuscode": 30, "_owningextensionid_value": stepA, "completedon": at(5)},
			{"id": "new-fail", "statuscode": 31, "_owningextensionid_value": strings.ToUpper(stepA), "completedon": at(9)},
			{"id": "other-step", "statuscode": 31, "_owningextensionid_value": stepB, "completedon": at(7)},
			{"id": "running-fail", "statuscode": 31, "_owningextensionid_value": stepA, "completedon": nil},
			{"id": "mid-fail", "statuscode": int64(31), "_owningextensionid_value": stepA, "completedon": at(3)},
		},
	}
	steps := table{
		entity: "sdkmessageprocessingstep",
		columns: []string{"id", "sdkmessageprocessingstepid", "name", "description", "asyncautodelete",
			"filteringattributes", "mode", "stage", "_eventhandler_value",
			"plugintypeid/friendlyname", "eventhandler_serviceendpoint/name",
			"sdkmessagefilterid/primaryobjecttypecode", "sdkmessageid/name"},
		rows: []map[string]any{{"id": "step", "sdkmessageprocessingstepid": stepA}},
	}
	messages := table{
		entity:  "sdkmessage",
		columns: []string{"id", "sdkmessageid", "name"},
		rows: []map[string]any{
			{"id": "create", "name": "Create"}, {"id": "update", "name": "Update"}, {"id": "delete", "name": "Delete"},
		},
	}
	filters := table{
		entity: "sdkmessagefilter",
		columns: []string{"id", "sdkmessagefilterid", "_sdkmessageid_value", "iscustomprocessingstepallowed",
			"primaryobjecttypecode", "sdkmessageid/name"},
		rows: []map[string]any{
			{"id": "account-create", "primaryobjecttypecode": "account", "sdkmessageid/name": "Create"},
			{"id": "account-update", "primaryobjecttypecode": "account", "sdkmessageid/name": "Update"},
			{"id": "contact-update", "primaryobjecttypecode": "contact", "sdkmessageid/name": "Update"},
		},
	}

	tests := []struct {
		name string
		tb   table
		raw  string
		want []string
	}{
		{
			"webhook registrations", endpoints,
			"$filter=contract eq 8&$select= serviceendpointid,name,authtype,url",
			[]string{"hook", "hook2"},
		},
		{
			"failed jobs of a step", jobs,
			"$orderby=completedon desc&$filter=statuscode eq 31 and _owningextensionid_value eq @stepid&$select=name,friendlymessage,errorcode,message,completedon&@stepid=" + stepA,
			[]string{"new-fail", "mid-fail", "old-fail", "running-fail"},
		},
		{
			"steps of a webhook", steps,
			"$select=sdkmessageprocessingstepid,name,description,asyncautodelete,filteringattributes,mode,stage&@id=" + endpoint,
			[]string{"step"},
		},
		{
			"one step with its related rows", steps,
			"$select=name,description,filteringattributes,asyncautodelete,mode,stage&$expand=plugintypeid($select=friendlyname),eventhandler_serviceendpoint($select=name),sdkmessagefilterid($select=primaryobjecttypecode),sdkmessageid($select=name)&@id=" + stepA,
			[]string{"step"},
		},
		{
			"message by name", messages,
			"$filter=name eq 'Update'&$select=sdkmessageid,name",
			[]string{"update"},
		},
		{
			"message filter by table and message", filters,
			"$filter=primaryobjecttypecode eq 'account' and sdkmessageid/name eq 'Update'&$select=sdkmessagefilterid,_sdkmessageid_value,iscustomprocessingstepallowed",
			[]string{"account-update"},
		},
		{
			"same, URL-encoded", filters,
			"%24filter=primaryobjecttypecode%20eq%20%27account%27%20and%20sdkmessageid%2Fname%20eq%20%27Update%27&%24select=sdkmessagefilterid",
			[]string{"account-update"},
		},
		{
			"failed jobs, newest only", jobs,
			"$orderby=completedon desc&$top=1&$filter=statuscode eq 31 and _owningextensionid_value eq @stepid&@stepid=" + stepA,
			[]string{"new-fail"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.tb.query(t, tt.raw); !slices.Equal(got, tt.want) {
				t.Errorf("query %q = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}

	// The key alias of serviceendpoints(@id)/… and sdkmessageprocessingsteps(@id)
	// is read with ParseLiteral.
	q, err := ParseRawQuery("$select=name&@id=" + stepA)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseOptions(q)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := ParseLiteral(o.Aliases["@id"]); err != nil || id != stepA {
		t.Errorf("ParseLiteral(@id) = %v, %v; want %s", id, err, stepA)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tb := table{entity: "asyncoperation", columns: []string{"name", "statuscode", "regardingobjectid/name"}}
	tests := []struct {
		name  string
		query url.Values
		want  string // "" for valid
	}{
		{"all known", url.Values{"$select": {"name"}, "$filter": {"statuscode eq 31"}, "$orderby": {"name"}, "$expand": {"regardingobjectid($select=name)"}}, ""},
		{"unknown select", url.Values{"$select": {"name,foo"}}, "Could not find a property named 'foo' on type 'Microsoft.Dynamics.CRM.asyncoperation'."},
		{"unknown filter column", url.Values{"$filter": {"foo eq 1"}}, "named 'foo' on type"},
		{"unknown filter navigation column", url.Values{"$filter": {"regardingobjectid/foo eq 1"}}, "'regardingobjectid/foo'"},
		{"unknown orderby", url.Values{"$orderby": {"name,bar desc"}}, "named 'bar'"},
		{"unknown expand", url.Values{"$expand": {"ownerid"}}, "named 'ownerid'"},
		{"unknown expand select", url.Values{"$expand": {"regardingobjectid($select=foo)"}}, "'regardingobjectid/foo'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := ParseOptions(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			err = o.Validate(tb.entity, tb.has)
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			wantError(t, err, tt.want)
		})
	}
	var none *Options
	if err := none.Validate("x", nil); err != nil {
		t.Errorf("nil options Validate = %v", err)
	}
}

func TestOptionsValuesRoundTrip(t *testing.T) {
	t.Parallel()
	in := url.Values{
		"$select":    {"name,url"},
		"$filter":    {"contains(name,'a''b') and _x_value eq @id"},
		"$orderby":   {"name desc,sdkmessageid/name"},
		"$top":       {"7"},
		"$expand":    {"sdkmessageid($select=name),ownerid"},
		"$count":     {"true"},
		"$skiptoken": {"2"},
		"@id":        {stepID},
	}
	// Every option is already in the form Values renders, so it gives back the
	// input; encoded before the parse so that a parse that changed in is seen.
	want := in.Encode()
	o, err := ParseOptions(in)
	if err != nil {
		t.Fatal(err)
	}
	out := o.Values()
	if out.Encode() != want {
		t.Errorf("Values() = %s\nwant      %s", out.Encode(), want)
	}
	again, err := ParseOptions(out)
	if err != nil {
		t.Fatalf("ParseOptions(Values()): %v", err)
	}
	if again.Values().Encode() != out.Encode() {
		t.Error("Values() is not stable across a second parse")
	}
	var none *Options
	if len(none.Values()) != 0 {
		t.Error("nil options render as no parameters")
	}
}

func TestParseRawQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want url.Values
	}{
		{"", url.Values{}},
		{"a=1&b=2&a=3", url.Values{"a": {"1", "3"}, "b": {"2"}}},
		{"$expand=x($select=a;$top=1)", url.Values{"$expand": {"x($select=a;$top=1)"}}},
		{"%24filter=name%20eq%20%27a%27", url.Values{"$filter": {"name eq 'a'"}}},
		{"q=a+b&flag&&=v", url.Values{"q": {"a b"}, "flag": {""}, "": {"v"}}},
		{"@id=" + stepID, url.Values{"@id": {stepID}}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRawQuery(tt.raw)
			if err != nil {
				t.Fatalf("ParseRawQuery(%q): %v", tt.raw, err)
			}
			if got.Encode() != tt.want.Encode() || len(got) != len(tt.want) {
				t.Errorf("ParseRawQuery(%q) = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}
	for _, raw := range []string{"a=%zz", "%g1=1"} {
		_, err := ParseRawQuery(raw)
		wantError(t, err, "not correctly encoded")
	}
}
