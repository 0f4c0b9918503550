package odata

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"
)

// fuzzResolvers answer every path with one kind of value, so a parsed filter
// meets each kind at every property.
var fuzzResolvers = []Resolver{
	func([]string) (any, bool) { return "Contoso", true },
	func([]string) (any, bool) { return stepID, true },
	func([]string) (any, bool) { return 31, true },
	func([]string) (any, bool) { return int64(math.MinInt64), true },
	func([]string) (any, bool) { return 2.5, true },
	func([]string) (any, bool) { return math.NaN(), true },
	func([]string) (any, bool) { return true, true },
	func([]string) (any, bool) { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), true },
	func([]string) (any, bool) { return "2024-01-02T03:04:05Z", true },
	func([]string) (any, bool) { return json.Number("1e5"), true },
	func([]string) (any, bool) { return nil, true },
	func([]string) (any, bool) { return nil, false },
	func([]string) (any, bool) { return struct{}{}, true },
	func(p []string) (any, bool) {
		if len(p) > 1 {
			return nil, false
		}
		return "x", true
	},
}

var fuzzAliases = map[string]string{
	"@s": "'x'", "@g": stepID, "@n": "5", "@p": "name", "@nav": "sdkmessageid/name", "@bad": "'open",
}

func isQueryError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status >= 400 && e.Code != "" && e.Message != ""
}

func FuzzParseFilter(f *testing.F) {
	seeds := []string{
		"contract eq 8",
		"statuscode eq 31 and _owningextensionid_value eq @stepid",
		"primaryobjecttypecode eq 'account' and sdkmessageid/name eq 'Update'",
		"name eq 'O''Brien' or not (rank gt 2.5e3)",
		"contains(name,'x') and startswith(@p,'a') or endswith(name,@s)",
		"createdon ge 2024-01-02T03:04:05.123+02:00 and modifiedon lt 2024-01-02",
		"_x_value eq " + stepID + " and _y_value ne null",
		"a eq -INF or b eq INF or c eq NaN",
		"((a eq 1) or (b eq 2)) and not not c",
		"@nav eq 'Update' and @g eq @missing",
		"name eq @bad",
		"tolower(name) eq 'x'",
		"steps/any(s:s/name eq 'x')",
		"name eq 'unterminated",
		"a eq 1 eq true eq false",
		"(((((",
		"not",
		"99999999999999999999 gt 1e999",
		"2024-13-01T00:00:00Z eq a",
		"\xff\x00'\xfe'",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		filter, err := ParseFilter(expr, fuzzAliases)
		if err != nil {
			if !isQueryError(err) {
				t.Fatalf("ParseFilter(%q) error %v is not a query *Error", expr, err)
			}
		} else {
			_ = filter.Paths()
			_ = filter.String()
			for _, r := range fuzzResolvers {
				if _, err := filter.Eval(r); err != nil && !isQueryError(err) {
					t.Fatalf("Eval(%q) error %v is not a *Error", expr, err)
				}
			}
		}
		// The other parsers see the same hostile input.
		if keys, err := ParseOrderBy(expr, fuzzAliases); err == nil {
			for _, a := range fuzzResolvers {
				for _, b := range fuzzResolvers[:3] {
					if Less(keys, a, b) && Less(keys, b, a) {
						t.Fatalf("Less(%q) is not antisymmetric", expr)
					}
				}
			}
		} else if !isQueryError(err) {
			t.Fatalf("ParseOrderBy(%q) error %v is not a *Error", expr, err)
		}
		if _, err := ParseSelect(expr); err != nil && !isQueryError(err) {
			t.Fatalf("ParseSelect(%q) error %v is not a *Error", expr, err)
		}
		if _, err := ParseExpand(expr); err != nil && !isQueryError(err) {
			t.Fatalf("ParseExpand(%q) error %v is not a *Error", expr, err)
		}
		if _, err := ParseLiteral(expr); err != nil && !isQueryError(err) {
			t.Fatalf("ParseLiteral(%q) error %v is not a *Error", expr, err)
		}
	})
}

// FuzzLiteralRoundTrip checks that FormatLiteral and the parser agree on
// every string: the literal reads back as exactly the same text, and a row
// holding that text matches.
func FuzzLiteralRoundTrip(f *testing.F) {
	for _, s := range []string{
		"", "Update", "O'Brien", "'", "''", "'''", "a'b'c", " spaced ", "tab\there", "new\nline",
		"ünïcödé", "\xff\xfe\x00", "%27", "@id", "null", "true", "1.5", stepID,
		"8D7A2B5C-0D4E-4F1A-9B2C-3D4E5F60718A", "2024-01-02T03:04:05Z", "eq 'x' or 'a' eq 'a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit := FormatLiteral(s)
		filter := mustParseFilter(t, "name eq "+lit, nil)
		lits := filter.literals()
		if len(lits) != 1 || lits[0] != s {
			t.Fatalf("literal %s read back as %#v, want %q", lit, lits, s)
		}
		if paths := filter.Paths(); len(paths) != 1 || len(paths[0]) != 1 || paths[0][0] != "name" {
			t.Fatalf("literal %s leaked into the expression: paths %v", lit, paths)
		}
		matched, err := filter.Eval(rowOf(map[string]any{"name": s}))
		if err != nil || !matched {
			t.Fatalf("name eq %s on name=%q: %v, %v", lit, s, matched, err)
		}
		if v, err := ParseLiteral(lit); err != nil || v != s {
			t.Fatalf("ParseLiteral(%s) = %#v, %v; want %q", lit, v, err, s)
		}
	})
}
