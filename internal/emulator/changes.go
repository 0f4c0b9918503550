package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes bounds a request body; Dataverse's own limit is far larger
// than anything webhook registration sends.
const maxBodyBytes = 16 << 20

// bindRef is the row an @odata.bind names; an empty id clears the lookup.
type bindRef struct {
	set, id string
	nav     string
}

// changeSet is what a create or update body asks for, already type-checked.
type changeSet struct {
	cols    map[string]any     // plain columns by logical name
	binds   map[string]bindRef // lookups by column logical name
	secret  *string            // authvalue; "" clears it
	touched []string           // attribute logical names the body sets, sorted
	key     string             // primary key given in the body
}

func (cs *changeSet) has(name string) bool {
	i := sort.SearchStrings(cs.touched, name)
	return i < len(cs.touched) && cs.touched[i] == name
}

// decodeBody reads a JSON object body, keeping numbers exact.
func decodeBody(r *http.Request, t *table) (map[string]any, *apiError) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, payloadError(t, "The request body could not be read.")
	}
	if len(b) > maxBodyBytes {
		return nil, newError(http.StatusRequestEntityTooLarge, codePayload, "The request body is too large.")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, payloadError(t, "The request body is empty; a JSON object was expected.")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil || body == nil {
		return nil, payloadError(t, "The request body is not a JSON object.")
	}
	if dec.More() {
		return nil, payloadError(t, "The request body holds more than one JSON value.")
	}
	return body, nil
}

// parseChanges checks a body against the table's columns: types, option
// values, lengths, unknown properties and binds.
func (e *Emulator) parseChanges(t *table, body map[string]any) (*changeSet, *apiError) {
	cs := &changeSet{cols: map[string]any{}, binds: map[string]bindRef{}}
	touched := map[string]bool{}
	keys := slices.Sorted(maps.Keys(body))
	for _, k := range keys {
		v := body[k]
		if navName, ok := strings.CutSuffix(k, "@odata.bind"); ok {
			n := t.navs[navName]
			if n == nil || !n.bindable {
				// Binding a polymorphic lookup by its own name (eventhandler@odata.bind)
				// lands here too: only its navigation properties can be bound.
				return nil, payloadError(t, "An undeclared property '%s' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values.", navName)
			}
			if prev, dup := cs.binds[n.column]; dup {
				return nil, payloadError(t, "The lookup '%s' is bound twice, through '%s' and '%s'.", n.column, prev.nav, navName)
			}
			ref, err := e.parseBind(t, n, v)
			if err != nil {
				return nil, err
			}
			cs.binds[n.column] = ref
			touched[n.column] = true
			continue
		}
		if strings.Contains(k, "@") {
			if k == "@odata.type" || strings.HasSuffix(k, "@odata.type") {
				continue
			}
			return nil, payloadError(t, "The annotation '%s' is not supported in a request body.", k)
		}
		c := t.cols[k]
		if c == nil {
			if t.open && openColumnName.MatchString(k) {
				val, err := openValue(t, k, v)
				if err != nil {
					return nil, err
				}
				cs.cols[k] = val
				touched[k] = true
				continue
			}
			return nil, unknownBodyProperty(t, k)
		}
		switch {
		case c.kind == kindLookup:
			return nil, payloadError(t, "A value was given for the navigation property '%s'; set a lookup with '<navigation property>@odata.bind'.", k)
		case k == t.key:
			s, _ := v.(string)
			id, ok := parseGUID(s)
			if !ok {
				return nil, payloadError(t, "Cannot convert the literal '%v' to the expected type 'Edm.Guid'.", v)
			}
			cs.key = id
			continue
		case c.readOnly:
			// Dataverse drops attributes that are not valid for create or update.
			continue
		}
		val, err := checkValue(t, c, v)
		if err != nil {
			return nil, err
		}
		if c.writeOnly {
			s, _ := val.(string)
			cs.secret = &s
		} else {
			cs.cols[k] = val
		}
		touched[k] = true
	}
	for k := range touched {
		cs.touched = append(cs.touched, k)
	}
	sort.Strings(cs.touched)
	return cs, nil
}

// parseBind reads "/set(id)" (or the same with the service root in front).
func (e *Emulator) parseBind(t *table, n *nav, v any) (bindRef, *apiError) {
	if v == nil {
		return bindRef{set: n.target, nav: n.name}, nil
	}
	s, ok := v.(string)
	if !ok {
		return bindRef{}, payloadError(t, "The value of '%s@odata.bind' must be a URL such as /%s(<id>).", n.name, n.target)
	}
	ref := s
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		ref = ref[i+1:]
	}
	open := strings.IndexByte(ref, '(')
	if open <= 0 || !strings.HasSuffix(ref, ")") {
		return bindRef{}, payloadError(t, "The URL '%s' in '%s@odata.bind' is not a valid entity reference.", s, n.name)
	}
	set, key := ref[:open], ref[open+1:len(ref)-1]
	if set != n.target {
		return bindRef{}, payloadError(t, "The navigation property '%s' points to '%s', not to '%s'.", n.name, n.target, set)
	}
	id, ok := parseGUID(key)
	if !ok {
		return bindRef{}, payloadError(t, "The URL '%s' in '%s@odata.bind' does not end in a valid key.", s, n.name)
	}
	return bindRef{set: set, id: id, nav: n.name}, nil
}

// openValue accepts any JSON scalar for an undeclared column of an open table.
func openValue(t *table, name string, v any) (any, *apiError) {
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case json.Number:
		return normalizeNumber(x), nil
	}
	return nil, payloadError(t, "The value of '%s' must be a string, number, boolean or null.", name)
}

// checkValue type-checks one column value and converts it to its stored form.
func checkValue(t *table, c *column, v any) (any, *apiError) {
	if v == nil {
		return nil, nil
	}
	mismatch := func(edm string) *apiError {
		return payloadError(t, "Cannot convert the literal '%v' to the expected type '%s' of property '%s'.", v, edm, c.name)
	}
	switch c.kind {
	case kindString, kindMemo:
		s, ok := v.(string)
		if !ok {
			return nil, mismatch("Edm.String")
		}
		if c.maxLen > 0 && utf16Units(s) > c.maxLen {
			return nil, newError(http.StatusBadRequest, codeStringTooLong,
				"A validation error occurred. The length of the '%s' attribute of the '%s' entity exceeded the maximum allowed length of '%d'.",
				c.name, t.logical, c.maxLen)
		}
		return s, nil
	case kindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, mismatch("Edm.Boolean")
		}
		return b, nil
	case kindInt, kindBigInt, kindChoice:
		n, ok := v.(json.Number)
		if !ok {
			return nil, mismatch("Edm.Int32")
		}
		i, err := n.Int64()
		if err != nil || (c.kind != kindBigInt && (i < math.MinInt32 || i > math.MaxInt32)) {
			return nil, mismatch("Edm.Int32")
		}
		if c.kind == kindChoice && !containsInt(c.choices, int(i)) {
			return nil, newError(http.StatusBadRequest, codeValueOutOfRange,
				"A validation error occurred. The value %d of '%s' on record of type '%s' is outside the valid range. Accepted Values: %s",
				i, c.name, t.logical, joinInts(c.choices))
		}
		return i, nil
	case kindDouble:
		n, ok := v.(json.Number)
		if !ok {
			return nil, mismatch("Edm.Double")
		}
		f, err := n.Float64()
		if err != nil {
			return nil, mismatch("Edm.Double")
		}
		return f, nil
	case kindGUID:
		s, _ := v.(string)
		id, ok := parseGUID(s)
		if !ok {
			return nil, mismatch("Edm.Guid")
		}
		return id, nil
	case kindDateTime:
		s, _ := v.(string)
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, mismatch("Edm.DateTimeOffset")
		}
		return formatTime(tm), nil
	}
	return nil, mismatch("Edm.String")
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinInts(list []int) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

// utf16Units is a string's length as SQL Server's nvarchar counts it, in UTF-16 code units:
// a character beyond the Basic Multilingual Plane takes two.
func utf16Units(s string) int {
	n := 0
	for _, r := range s {
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}
