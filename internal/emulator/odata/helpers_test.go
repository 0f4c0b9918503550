package odata

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rowOf resolves paths against a flat map whose keys join path segments with
// '/', so {"sdkmessageid/name": "Update"} answers ["sdkmessageid","name"].
func rowOf(m map[string]any) Resolver {
	return func(path []string) (any, bool) {
		v, ok := m[strings.Join(path, "/")]
		return v, ok
	}
}

// mustParseFilter parses a filter the test takes to be valid.
func mustParseFilter(t *testing.T, expr string, aliases map[string]string) *Filter {
	t.Helper()
	f, err := ParseFilter(expr, aliases)
	if err != nil {
		t.Fatalf("ParseFilter(%q): %v", expr, err)
	}
	return f
}

// wantError checks that err is a 400 *Error with the Dataverse query code
// whose message contains every fragment.
func wantError(t *testing.T, err error, fragments ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error", err, err)
	}
	// An unknown property has its own code (0x0); every other query error the generic one.
	want := CodeInvalidQuery
	if strings.HasPrefix(e.Message, "Could not find a property named") {
		want = CodePropertyNotFound
	}
	if e.Status != 400 || e.Code != want {
		t.Errorf("error status/code = %d/%s, want 400/%s", e.Status, e.Code, want)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Message, f) {
			t.Errorf("error message %q does not contain %q", e.Message, f)
		}
	}
}

// Rendering and parsing single literals is what the tests check the filter parser against.

// FormatLiteral renders a Go value as an OData literal: strings quoted with
// embedded quotes doubled, strings holding a GUID bare, booleans, integers,
// floats (always with a '.' or an exponent, INF, -INF, NaN), times as RFC 3339
// in UTC, nil as null. Any other value is rendered as its quoted fmt text.
func FormatLiteral(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if IsGUID(x) {
			return x
		}
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case bool:
		return strconv.FormatBool(x)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x) // decimal digits, as strconv writes them
	case float32:
		return formatFloat(float64(x), 32)
	case float64:
		return formatFloat(x, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case fmt.Stringer:
		return FormatLiteral(x.String())
	}
	return FormatLiteral(fmt.Sprint(v))
}

func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	}
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// ParseLiteral reads one OData literal: null, true, false, a quoted string,
// a bare GUID (returned as its text), an integer (int64), a decimal or
// INF/-INF/NaN (float64), or a date or date-time (time.Time).
func ParseLiteral(text string) (any, error) {
	toks, err := tokenize(text)
	if err != nil {
		return nil, err
	}
	t := toks[0]
	var v any
	switch t.kind {
	case tokString, tokGUID, tokDateTime, tokNumber:
		v = t.val
	case tokIdent:
		lit, ok := keywordLiteral(t.text)
		if !ok {
			return nil, badQuery("'%s' is not a literal.", text)
		}
		v = lit.val
	default:
		return nil, badQuery("'%s' is not a literal.", text)
	}
	if toks[1].kind != tokEOF {
		return nil, syntaxError(text, toks[1].pos)
	}
	return v, nil
}

// literals returns the values of the filter's literals in source order
// (GUIDs as their text), for tests that check how literals were read.
func (f *Filter) literals() []any {
	var out []any
	if f == nil {
		return out
	}
	visit(f.root, func(n node) {
		if x, ok := n.(*literalNode); ok {
			if g, isGUID := x.val.(guidValue); isGUID {
				out = append(out, string(g))
			} else {
				out = append(out, x.val)
			}
		}
	})
	return out
}
