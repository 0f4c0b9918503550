package odata

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

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
// INF/-INF/NaN (float64), or a date or date-time (time.Time). It is what the
// emulator needs for key segments such as sdkmessageprocessingsteps(@id).
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
