package odata

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

const (
	stepID     = "8d7a2b5c-0d4e-4f1a-9b2c-3d4e5f60718a"
	endpointID = "0f8fad5b-d9cb-469f-a165-70867728950e"
)

// sampleRow holds one value of every kind the engine knows, plus a null and
// a single-valued navigation.
func sampleRow() map[string]any {
	return map[string]any{
		"name":                     "Contoso Hook",
		"quote":                    "O'Brien",
		"empty":                    "",
		"description":              nil,
		"contract":                 8,
		"statuscode":               int32(31),
		"rank":                     int64(2),
		"revenue":                  1500.5,
		"ratio":                    float32(0.1),
		"count":                    json.Number("42"),
		"asyncautodelete":          true,
		"isauthvalueset":           false,
		"createdon":                time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		"modifiedon":               "2024-03-01T10:00:00Z",
		"_owningextensionid_value": stepID,
		"serviceendpointid":        endpointID,
		"sdkmessageid/name":        "Update",
		"sdkmessagefilterid/name":  nil,
		"accented":                 "Ärger",
	}
}

func TestFilterEval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		expr    string
		aliases map[string]string
		want    bool
	}{
		// Strings: case-insensitive, quotes doubled.
		{"string eq", "name eq 'Contoso Hook'", nil, true},
		{"string eq ignores case", "name eq 'CONTOSO hook'", nil, true},
		{"string eq non-ASCII case", "accented eq 'äRGER'", nil, true},
		{"string eq differs", "name eq 'Contoso'", nil, false},
		{"string ne", "name ne 'Contoso'", nil, true},
		{"string ne same other case", "name ne 'contoso hook'", nil, false},
		{"string gt", "name gt 'contoso a'", nil, true},
		{"string ge equal", "name ge 'CONTOSO HOOK'", nil, true},
		{"string lt", "name lt 'd'", nil, true},
		{"string le", "name le 'b'", nil, false},
		{"escaped quote", "quote eq 'O''Brien'", nil, true},
		{"empty string", "empty eq ''", nil, true},
		{"empty string is not null", "empty eq null", nil, false},
		// Functions.
		{"contains", "contains(name,'toso h')", nil, true},
		{"contains ignores case", "contains(name,'HOOK')", nil, true},
		{"contains absent", "contains(name,'xyz')", nil, false},
		{"contains empty", "contains(name,'')", nil, true},
		{"startswith", "startswith(name,'contoso')", nil, true},
		{"startswith absent", "startswith(name,'hook')", nil, false},
		{"endswith", "endswith(name,'HOOK')", nil, true},
		{"endswith absent", "endswith(name,'contoso')", nil, false},
		{"function with spaces", "contains( name , 'hook' )", nil, true},
		{"function on null is unknown", "contains(description,'x')", nil, false},
		{"not function on null is unknown", "not contains(description,'x')", nil, false},
		{"function with null argument", "contains(name,null)", nil, false},
		{"function compared to true", "contains(name,'hook') eq true", nil, true},
		// Integers, including other Go kinds in the row.
		{"int eq", "contract eq 8", nil, true},
		{"int ne", "contract ne 8", nil, false},
		{"int32 eq", "statuscode eq 31", nil, true},
		{"int64 gt", "rank gt 1", nil, true},
		{"int ge", "rank ge 2", nil, true},
		{"int lt", "rank lt 2", nil, false},
		{"int le", "rank le 2", nil, true},
		{"negative", "rank gt -5", nil, true},
		{"json.Number", "count eq 42", nil, true},
		{"int against decimal", "contract lt 8.5", nil, true},
		{"int eq decimal", "contract eq 8.0", nil, true},
		// Decimals.
		{"decimal eq", "revenue eq 1500.5", nil, true},
		{"decimal gt int", "revenue gt 1500", nil, true},
		{"decimal exponent", "revenue lt 1.6e3", nil, true},
		{"float32 matches its decimal text", "ratio eq 0.1", nil, true},
		{"INF", "revenue lt INF", nil, true},
		{"-INF", "revenue gt -INF", nil, true},
		{"NaN eq never", "revenue eq NaN", nil, false},
		{"NaN ne always", "revenue ne NaN", nil, true},
		{"huge integer is a decimal", "rank lt 99999999999999999999", nil, true},
		// Booleans.
		{"bool eq true", "asyncautodelete eq true", nil, true},
		{"bool eq false", "isauthvalueset eq false", nil, true},
		{"bool ne", "asyncautodelete ne true", nil, false},
		{"bare boolean property", "asyncautodelete", nil, true},
		{"bare false property", "isauthvalueset", nil, false},
		{"literal true", "true", nil, true},
		{"literal false", "false", nil, false},
		{"bool order", "asyncautodelete gt isauthvalueset", nil, true},
		// Date-times.
		{"time eq", "createdon eq 2024-01-02T03:04:05Z", nil, true},
		{"time eq with offset", "createdon eq 2024-01-02T05:04:05+02:00", nil, true},
		{"time eq fractional", "createdon eq 2024-01-02T03:04:05.0000000Z", nil, true},
		{"time without seconds", "createdon gt 2024-01-02T03:04Z", nil, true},
		{"time gt", "createdon gt 2024-01-01T00:00:00Z", nil, true},
		{"time lt", "createdon lt 2024-01-01T00:00:00Z", nil, false},
		{"date only", "createdon ge 2024-01-02", nil, true},
		{"date only after", "createdon lt 2024-01-02", nil, false},
		{"time held as text", "modifiedon gt 2024-02-01T00:00:00Z", nil, true},
		{"time held as text equal", "modifiedon eq 2024-03-01T11:00:00+01:00", nil, true},
		// GUIDs.
		{"guid eq", "_owningextensionid_value eq " + stepID, nil, true},
		{"guid eq upper case", "_owningextensionid_value eq 8D7A2B5C-0D4E-4F1A-9B2C-3D4E5F60718A", nil, true},
		{"guid ne", "_owningextensionid_value ne " + endpointID, nil, true},
		{"guid starting with digits", "serviceendpointid eq 0f8fad5b-d9cb-469f-a165-70867728950e", nil, true},
		{"guid quoted as string", "_owningextensionid_value eq '" + stepID + "'", nil, true},
		// Null.
		{"eq null on null", "description eq null", nil, true},
		{"ne null on null", "description ne null", nil, false},
		{"eq null on value", "name eq null", nil, false},
		{"ne null on value", "name ne null", nil, true},
		{"null on the left", "null eq description", nil, true},
		{"null value ne literal is unknown", "description ne 'x'", nil, false},
		{"null value eq literal is unknown", "description eq 'x'", nil, false},
		{"not of unknown is unknown", "not (description eq 'x')", nil, false},
		{"unknown or true", "description eq 'x' or contract eq 8", nil, true},
		{"unknown and false", "not (description eq 'x' and contract eq 9)", nil, true},
		{"unknown and true", "description eq 'x' and contract eq 8", nil, false},
		{"ordering against null", "rank gt null", nil, false},
		// Navigation and lookups.
		{"navigation path", "sdkmessageid/name eq 'Update'", nil, true},
		{"navigation path case", "sdkmessageid/name eq 'update'", nil, true},
		{"navigation to null", "sdkmessagefilterid/name eq null", nil, true},
		// Logic and precedence.
		{"and", "contract eq 8 and statuscode eq 31", nil, true},
		{"and false", "contract eq 8 and statuscode eq 30", nil, false},
		{"or", "contract eq 9 or statuscode eq 31", nil, true},
		{"or false", "contract eq 9 or statuscode eq 30", nil, false},
		{"not", "not (contract eq 8)", nil, false},
		{"and binds tighter than or", "contract eq 9 and rank eq 2 or statuscode eq 31", nil, true},
		{"and binds tighter than or (right)", "statuscode eq 31 or contract eq 9 and rank eq 7", nil, true},
		{"parentheses override", "(statuscode eq 31 or contract eq 9) and rank eq 7", nil, false},
		{"nested parentheses", "((contract eq 8))", nil, true},
		{"not parenthesised", "not (contract eq 9)", nil, true},
		{"not not", "not not (contract eq 8)", nil, true},
		{"not without space", "not(contract eq 9)", nil, true},
		{"not of function", "not contains(name,'xyz')", nil, true},
		{"not binds tighter than and", "not (contract eq 9) and rank eq 2", nil, true},
		{"comparison of comparisons", "contract eq 8 eq true", nil, true},
		{"extra whitespace", "  contract   eq\t8   and  rank eq 2 ", nil, true},
		{"no space before quote", "name eq'Contoso Hook'", nil, true},
		// Aliases.
		{"alias guid", "_owningextensionid_value eq @stepid", map[string]string{"@stepid": stepID}, true},
		{"alias string", "name eq @n", map[string]string{"@n": "'contoso hook'"}, true},
		{"alias int", "contract eq @c", map[string]string{"@c": "8"}, true},
		{"alias property", "contains(@p,'hook')", map[string]string{"@p": "name"}, true},
		{"alias navigation property", "@p eq 'Update'", map[string]string{"@p": "sdkmessageid/name"}, true},
		{"alias with spaces", "contract eq @c", map[string]string{"@c": " 8 "}, true},
		{"missing alias is null", "description eq @missing", nil, true},
		{"missing alias is null on value", "name eq @missing", nil, false},
		// Columns compared with each other.
		{"column vs column", "rank lt contract", nil, true},
		{"literal on the left", "8 eq contract", nil, true},
	}
	row := rowOf(sampleRow())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := mustParseFilter(t, tt.expr, tt.aliases)
			got, err := f.Eval(row)
			if err != nil {
				t.Fatalf("Eval(%q): %v", tt.expr, err)
			}
			if got != tt.want {
				t.Errorf("Eval(%q) = %v, want %v", tt.expr, got, tt.want)
			}
		})
	}
}

// TestFilterPrecedence checks the shape of the tree by evaluating the same
// expression on rows chosen so that each grouping gives a different answer.
func TestFilterPrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		expr string
		// rows: a, b, c booleans → expected result
		want func(a, b, c bool) bool
	}{
		{"or of and", "a or b and c", func(a, b, c bool) bool { return a || (b && c) }},
		{"and of or", "a and b or c", func(a, b, c bool) bool { return (a && b) || c }},
		{"parenthesised or", "(a or b) and c", func(a, b, c bool) bool { return (a || b) && c }},
		{"not over and", "not a and b", func(a, b, c bool) bool { return !a && b }},
		{"not over or", "not a or b", func(a, b, c bool) bool { return !a || b }},
		{"not parenthesised", "not (a or b)", func(a, b, c bool) bool { return !a && !b }},
		{"left associative and/or", "a or b or c and a", func(a, b, c bool) bool { return a || b || (c && a) }},
		{"comparison over and", "a eq true and b eq false", func(a, b, c bool) bool { return a && !b }},
		{"not over comparison", "not a eq b", func(a, b, c bool) bool { return !a == b }},
		{"comparison chain is left associative", "a eq b eq c", func(a, b, c bool) bool { return (a == b) == c }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := mustParseFilter(t, tt.expr, nil)
			for _, a := range []bool{false, true} {
				for _, b := range []bool{false, true} {
					for _, c := range []bool{false, true} {
						got, err := f.Eval(rowOf(map[string]any{"a": a, "b": b, "c": c}))
						if err != nil {
							t.Fatalf("Eval: %v", err)
						}
						if want := tt.want(a, b, c); got != want {
							t.Errorf("%q with a=%v b=%v c=%v = %v, want %v", tt.expr, a, b, c, got, want)
						}
					}
				}
			}
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		expr     string
		fragment string
		aliases  map[string]string
	}{
		{"empty", "", "Expression expected", nil},
		{"blank", "   ", "Expression expected", nil},
		{"missing right operand", "name eq", "Expression expected at position 7", nil},
		{"missing left operand", "eq 'x'", "Expression expected at position 0", nil},
		{"trailing garbage", "name eq 'x' foo", "Syntax error at position 12", nil},
		{"trailing close", "name eq 'x')", "Syntax error", nil},
		{"two literals", "name eq 'x' 'y'", "Syntax error", nil},
		{"unterminated string", "name eq 'abc", "unterminated string literal", nil},
		{"unbalanced open", "(name eq 'x'", "')' or operator expected", nil},
		{"empty parentheses", "()", "Expression expected", nil},
		{"dangling and", "name eq 'x' and", "Expression expected", nil},
		{"dangling or", "or name eq 'x'", "Expression expected", nil},
		{"dangling not", "not", "Expression expected", nil},
		{"unknown function", "tolower(name) eq 'x'", "unknown or unsupported function with name 'tolower'", nil},
		{"unknown function no args", "foo()", "function with name 'foo'", nil},
		{"qualified function", "Microsoft.Dynamics.CRM.Today(PropertyName='createdon')", "'Microsoft.Dynamics.CRM.Today'", nil},
		{"function with one argument", "contains(name)", "No function signature", nil},
		{"function with three arguments", "contains(name,'a','b')", "No function signature", nil},
		{"function literal first", "contains('a',name)", "No function signature", nil},
		{"function number argument", "contains(name,5)", "No function signature", nil},
		{"function missing close", "contains(name,'a'", "')' or ',' expected", nil},
		{"arithmetic", "rank add 1 eq 2", "Syntax error", nil},
		{"has operator", "name has 'x'", "Syntax error", nil},
		{"in operator", "name in ('a','b')", "Syntax error", nil},
		{"upper case operator", "name EQ 'x'", "Syntax error", nil},
		{"upper case literal", "asyncautodelete eq TRUE", "", nil},
		{"double equals", "name == 'x'", "Syntax error at position 5", nil},
		{"bang", "!name", "Syntax error at position 0", nil},
		{"dollar it", "$it/name eq 'x'", "Syntax error at position 0", nil},
		{"cast segment", "Microsoft.Dynamics.CRM.account/name eq 'x'", "type cast or qualified name", nil},
		{"lambda", "steps/any(s:s/name eq 'x')", "lambda operator 'any'", nil},
		{"trailing slash", "sdkmessageid/ eq 'x'", "Expression expected", nil},
		{"number glued to word", "rank eq 1abc", "Syntax error", nil},
		{"decimal without digits", "rank eq 1.", "Syntax error", nil},
		{"exponent without digits", "rank eq 1e", "Syntax error", nil},
		{"bad date", "createdon eq 2024-13-45T00:00:00Z", "Edm.DateTimeOffset", nil},
		{"bad calendar date", "createdon eq 2024-02-30", "Edm.Date", nil},
		{"date-time without zone", "createdon eq 2024-01-02T03:04:05", "time zone", nil},
		{"date-time with plus decoded as space", "createdon eq 2024-01-02T03:04:05 02:00", "%2B", nil},
		{"guid glued to word", "id eq " + stepID + "x", "Syntax error", nil},
		{"short guid", "id eq 8d7a2b5c-0d4e-4f1a-9b2c-3d4e5f6071", "Syntax error", nil},
		{"bare at sign", "name eq @", "Syntax error", nil},
		{"literal filter", "'abc'", "must evaluate to a single boolean value", nil},
		{"number filter", "42", "must evaluate to a single boolean value", nil},
		{"and with string operand", "name eq 'x' and 'y'", "incompatible types", nil},
		{"or with number operand", "1 or name eq 'x'", "incompatible types", nil},
		{"not of string", "not 'x'", "Found operand type 'Edm.String' for operator kind 'Not'", nil},
		{"keyword as path", "and eq 1", "Expression expected", nil},
		{"keyword after slash", "sdkmessageid/not eq 1", "Expression expected", nil},
		{"nested too deeply", repeat("(", 200) + "a" + repeat(")", 200), "nested too deeply", nil},
		{"not nested too deeply", repeat("not ", 200) + "a", "nested too deeply", nil},
		{"alias with bad value", "name eq @n", "parameter alias '@n'", map[string]string{"@n": "'unterminated"}},
		{"alias referring to alias", "name eq @n", "refers to another alias", map[string]string{"@n": "@m", "@m": "'x'"}},
		{"alias with expression", "name eq @n", "parameter alias '@n'", map[string]string{"@n": "name eq 'x'"}},
		{"alias with function", "@n", "must be a literal or a property path", map[string]string{"@n": "contains(name,'x')"}},
		{"alias with empty value", "name eq @n", "parameter alias '@n'", map[string]string{"@n": ""}},
		{"out of range decimal", "revenue eq 1e999", "out of range", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := ParseFilter(tt.expr, tt.aliases)
			if err == nil {
				// Upper-case TRUE is a property name, which is only an
				// error once a row says it does not exist.
				_, err = f.Eval(rowOf(sampleRow()))
			}
			if err == nil {
				t.Fatalf("ParseFilter(%q) succeeded, want an error", tt.expr)
			}
			wantError(t, err, tt.fragment)
		})
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestFilterEvalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		expr      string
		fragments []string
	}{
		{"unknown property", "foo eq 1", []string{"Could not find a property named 'foo'."}},
		{"unknown property on the right of and", "contract eq 9 and foo eq 1", []string{"'foo'"}},
		{"unknown property on the right of or", "contract eq 8 or foo eq 1", []string{"'foo'"}},
		{"unknown navigation column", "sdkmessageid/foo eq 'x'", []string{"'sdkmessageid/foo'"}},
		{"unknown property in function", "contains(foo,'x')", []string{"'foo'"}},
		{"unknown property compared with null", "foo eq null", []string{"'foo'"}},
		{"string vs int", "name eq 8", []string{"'Edm.String' and 'Edm.Int32'", "'Equal'"}},
		{"int vs string", "contract gt 'x'", []string{"'Edm.Int32' and 'Edm.String'", "'GreaterThan'"}},
		{"bool vs int", "asyncautodelete eq 1", []string{"'Edm.Boolean' and 'Edm.Int32'"}},
		{"time vs int", "createdon lt 5", []string{"'Edm.DateTimeOffset' and 'Edm.Int32'", "'LessThan'"}},
		{"guid vs int", "contract ne " + stepID, []string{"'Edm.Int32' and 'Edm.Guid'", "'NotEqual'"}},
		{"int64 type name", "name le 9999999999", []string{"'Edm.Int64'", "'LessThanOrEqual'"}},
		{"decimal type name", "name ge 1.5", []string{"'Edm.Double'", "'GreaterThanOrEqual'"}},
		{"guid vs time", "createdon eq " + stepID, []string{"'Edm.DateTimeOffset' and 'Edm.Guid'"}},
		{"text that is not a time", "name lt 2024-01-01T00:00:00Z", []string{"'Edm.String' and 'Edm.DateTimeOffset'"}},
		{"string property as filter", "name", []string{"single boolean value", "Edm.String"}},
		{"not of string property", "not name", []string{"operator kind 'Not'"}},
		{"and with int property", "contract and asyncautodelete", []string{"operator kind 'And'"}},
		{"or with string property", "asyncautodelete or name", []string{"operator kind 'Or'"}},
		{"function on int", "contains(contract,'8')", []string{"contract", "Edm.Int32"}},
	}
	row := rowOf(sampleRow())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := mustParseFilter(t, tt.expr, nil)
			matched, err := f.Eval(row)
			if err == nil {
				t.Fatalf("Eval(%q) = %v, want an error", tt.expr, matched)
			}
			if matched {
				t.Errorf("Eval(%q) matched while failing", tt.expr)
			}
			wantError(t, err, tt.fragments...)
		})
	}
}

func TestFilterEvalUnsupportedRowValue(t *testing.T) {
	t.Parallel()
	f := mustParseFilter(t, "name eq 'x'", nil)
	_, err := f.Eval(rowOf(map[string]any{"name": []string{"x"}}))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Eval error = %v, want *Error", err)
	}
	if e.Status != 500 || e.Code != CodeUnexpected {
		t.Errorf("status/code = %d/%s, want 500/%s", e.Status, e.Code, CodeUnexpected)
	}
}

func TestFilterEvalNilResolverAndNilFilter(t *testing.T) {
	t.Parallel()
	var none *Filter
	if ok, err := none.Eval(nil); !ok || err != nil {
		t.Errorf("nil filter Eval = %v, %v; want true, nil", ok, err)
	}
	if none.Paths() != nil {
		t.Errorf("nil filter Paths = %v, want nil", none.Paths())
	}
	f := mustParseFilter(t, "name eq 'x'", nil)
	_, err := f.Eval(nil)
	wantError(t, err, "'name'")
}

func TestFilterPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr    string
		aliases map[string]string
		want    [][]string
	}{
		{"true", nil, nil},
		{"contract eq 8", nil, [][]string{{"contract"}}},
		{
			"primaryobjecttypecode eq 'account' and sdkmessageid/name eq 'Update'", nil,
			[][]string{{"primaryobjecttypecode"}, {"sdkmessageid", "name"}},
		},
		{
			"not (a eq 1 or contains(b,'x')) and a ne c and startswith(@p,'y')",
			map[string]string{"@p": "d/e"},
			[][]string{{"a"}, {"b"}, {"c"}, {"d", "e"}},
		},
		{"rank lt contract", nil, [][]string{{"rank"}, {"contract"}}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			f := mustParseFilter(t, tt.expr, tt.aliases)
			got := f.Paths()
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("Paths() = %v, want %v", got, tt.want)
			}
			// The caller owns what Paths returns.
			if len(got) > 0 {
				got[0][0] = "changed"
				if again := f.Paths(); again[0][0] == "changed" {
					t.Error("Paths() shares memory with the filter")
				}
			}
		})
	}
}

func TestFilterLiterals(t *testing.T) {
	t.Parallel()
	f := mustParseFilter(t, "a eq 'it''s' and b eq 7 and c eq 1.25 and d eq true and e eq null and g eq "+
		"8D7A2B5C-0D4E-4F1A-9B2C-3D4E5F60718A and h eq 2024-01-02T03:04:05+01:00 and i eq -INF", nil)
	want := []any{"it's", int64(7), 1.25, true, nil, "8D7A2B5C-0D4E-4F1A-9B2C-3D4E5F60718A",
		time.Date(2024, 1, 2, 2, 4, 5, 0, time.UTC), math.Inf(-1)}
	got := f.literals()
	if len(got) != len(want) {
		t.Fatalf("literals() = %v, want %v", got, want)
	}
	for i := range want {
		if gt, ok := got[i].(time.Time); ok {
			if !gt.Equal(want[i].(time.Time)) {
				t.Errorf("literal %d = %v, want %v", i, got[i], want[i])
			}
			continue
		}
		if got[i] != want[i] {
			t.Errorf("literal %d = %#v, want %#v", i, got[i], want[i])
		}
	}
}

func TestComparedStrings(t *testing.T) {
	t.Parallel()
	f := mustParseFilter(t, "(primaryobjecttypecode eq 'account' or 'lead' eq primaryobjecttypecode) and sdkmessageid/name eq 'Update' and not (primaryobjecttypecode ne @t)", map[string]string{"@t": "'contact'"})
	if got := f.ComparedStrings([]string{"primaryobjecttypecode"}); !slices.Equal(got, []string{"account", "lead", "contact"}) {
		t.Errorf("ComparedStrings = %q", got)
	}
	if got := f.ComparedStrings([]string{"sdkmessageid", "name"}); !slices.Equal(got, []string{"Update"}) {
		t.Errorf("ComparedStrings(sdkmessageid/name) = %q", got)
	}
	var none *Filter
	if none.ComparedStrings([]string{"x"}) != nil {
		t.Error("nil filter compares something")
	}
}
