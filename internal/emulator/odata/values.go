package odata

import (
	"cmp"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// guidValue is a GUID literal from a query. Rows keep GUIDs as plain strings;
// the distinct type only lets error messages name Edm.Guid.
type guidValue string

// normalize maps a row value onto the engine's value kinds: nil, string,
// bool, int64, float64, time.Time.
func normalize(v any) (any, bool) {
	switch x := v.(type) {
	case nil, string, bool, int64, float64, time.Time:
		return x, true
	case guidValue:
		return x, true
	case float32:
		// Through the shortest decimal text, so float32(0.1) compares equal
		// to the literal 0.1 instead of to 0.10000000149011612.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f, true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		if f, err := x.Float64(); err == nil {
			return f, true
		}
		return nil, false
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return rv.Convert(reflect.TypeFor[int64]()).Int(), true
	case reflect.Uint, reflect.Uint64:
		return uintValue(rv.Uint()), true
	}
	return nil, false
}

func uintValue(u uint64) any {
	if u > math.MaxInt64 {
		return float64(u)
	}
	return int64(u)
}

// edmType names a value's type the way Dataverse's error messages do.
func edmType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "Edm.String"
	case guidValue:
		return "Edm.Guid"
	case bool:
		return "Edm.Boolean"
	case int64:
		if x >= math.MinInt32 && x <= math.MaxInt32 {
			return "Edm.Int32"
		}
		return "Edm.Int64"
	case float64:
		return "Edm.Double"
	case time.Time:
		return "Edm.DateTimeOffset"
	}
	return "unknown"
}

// foldRune maps a rune to one representative of its case class, so that
// comparisons ignore case the way a case-insensitive collation does.
func foldRune(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }

// fold returns s with every rune case-folded. Bytes that are not valid UTF-8
// are copied unchanged so distinct invalid inputs stay distinct.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteRune(foldRune(r))
		i += size
	}
	return b.String()
}

func compareFold(a, b string) int { return strings.Compare(fold(a), fold(b)) }

// parseTimeText reads a date-time kept as text in a row (or given as a
// string literal against a date-time column).
func parseTimeText(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func asText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case guidValue:
		return string(x), true
	}
	return "", false
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// compareValues orders two non-null values for a comparison operator.
// unordered is true when either side is NaN, which no comparison matches.
// Values of types that cannot be compared give ok=false.
func compareValues(a, b any) (c int, unordered, ok bool) {
	switch x := a.(type) {
	case bool:
		if y, isBool := b.(bool); isBool {
			return cmpBool(x, y), false, true
		}
	case int64:
		if y, isInt := b.(int64); isInt {
			return cmp.Compare(x, y), false, true
		}
		if y, isFloat := b.(float64); isFloat {
			return compareFloats(float64(x), y)
		}
	case float64:
		if y, isNum := asFloat(b); isNum {
			return compareFloats(x, y)
		}
	case time.Time:
		if y, isTime := b.(time.Time); isTime {
			return x.Compare(y), false, true
		}
		if s, isText := b.(string); isText {
			if y, parsed := parseTimeText(s); parsed {
				return x.Compare(y), false, true
			}
		}
	case string, guidValue:
		s, _ := asText(x)
		if t, isText := asText(b); isText {
			return compareFold(s, t), false, true
		}
		if y, isTime := b.(time.Time); isTime {
			if _, isGUID := x.(guidValue); !isGUID {
				if t, parsed := parseTimeText(s); parsed {
					return t.Compare(y), false, true
				}
			}
		}
	}
	return 0, false, false
}

func compareFloats(a, b float64) (int, bool, bool) {
	if math.IsNaN(a) || math.IsNaN(b) {
		return 0, true, true
	}
	return cmp.Compare(a, b), false, true
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	default:
		return 1
	}
}

// orderRank groups value kinds so that Less is a total order even on a
// column holding mixed kinds; nulls come first.
func orderRank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case bool:
		return 1
	case int64, float64:
		return 2
	case time.Time:
		return 3
	case string, guidValue:
		return 4
	}
	return 5
}

// orderCompare is the total order used by $orderby: nulls first, then by
// kind, then by value; NaN sorts before every other number.
func orderCompare(a, b any) int {
	ra, rb := orderRank(a), orderRank(b)
	if ra != rb {
		return cmp.Compare(ra, rb)
	}
	switch ra {
	case 0:
		return 0
	case 2:
		fa, _ := asFloat(a)
		fb, _ := asFloat(b)
		if ia, okA := a.(int64); okA {
			if ib, okB := b.(int64); okB {
				return cmp.Compare(ia, ib)
			}
		}
		return cmp.Compare(fa, fb) // cmp.Compare puts NaN first
	case 5:
		return 0
	}
	c, _, _ := compareValues(a, b)
	return c
}
