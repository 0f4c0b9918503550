package odata

import (
	"slices"
	"testing"
	"time"
)

func TestParseOrderBy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		aliases map[string]string
		want    []OrderKey
	}{
		{"one key", "name", nil, []OrderKey{{Path: []string{"name"}}}},
		{"asc", "name asc", nil, []OrderKey{{Path: []string{"name"}}}},
		{"desc", "completedon desc", nil, []OrderKey{{Path: []string{"completedon"}, Desc: true}}},
		{"several keys", "statuscode desc,name asc, rank", nil, []OrderKey{
			{Path: []string{"statuscode"}, Desc: true}, {Path: []string{"name"}}, {Path: []string{"rank"}},
		}},
		{"extra spaces", "  name   desc ,  rank  ", nil, []OrderKey{
			{Path: []string{"name"}, Desc: true}, {Path: []string{"rank"}},
		}},
		{"navigation path", "sdkmessageid/name desc", nil, []OrderKey{{Path: []string{"sdkmessageid", "name"}, Desc: true}}},
		{"lookup value", "_sdkmessageid_value", nil, []OrderKey{{Path: []string{"_sdkmessageid_value"}}}},
		{"alias", "@p2 desc,@p1", map[string]string{"@p1": "name", "@p2": "revenue"}, []OrderKey{
			{Path: []string{"revenue"}, Desc: true}, {Path: []string{"name"}},
		}},
		{"property named like a direction", "desc asc", nil, []OrderKey{{Path: []string{"desc"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseOrderBy(tt.in, tt.aliases)
			if err != nil {
				t.Fatalf("ParseOrderBy(%q): %v", tt.in, err)
			}
			if !slices.EqualFunc(got, tt.want, func(a, b OrderKey) bool { return a.Desc == b.Desc && slices.Equal(a.Path, b.Path) }) {
				t.Errorf("ParseOrderBy(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseOrderByErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		aliases  map[string]string
		fragment string
	}{
		{"empty", "", nil, "Expression expected"},
		{"trailing comma", "name,", nil, "Expression expected"},
		{"leading comma", ",name", nil, "Expression expected"},
		{"two directions", "name asc desc", nil, "Syntax error"},
		{"upper case direction", "name DESC", nil, "Syntax error"},
		{"literal", "'name'", nil, "Expression expected"},
		{"alias to literal", "@p", map[string]string{"@p": "'name'"}, "must stand for a property"},
		{"missing alias", "@p", nil, "must stand for a property"},
		{"function", "tolower(name)", nil, "function with name 'tolower'"},
		{"bad character", "name;", nil, "Syntax error at position 4"},
		{"cast", "Microsoft.Dynamics.CRM.x", nil, "type cast"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseOrderBy(tt.in, tt.aliases)
			if err == nil {
				t.Fatalf("ParseOrderBy(%q) = %+v, want an error", tt.in, got)
			}
			wantError(t, err, tt.fragment)
		})
	}
}

func TestLess(t *testing.T) {
	t.Parallel()
	t1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	rows := []map[string]any{
		{"id": "a", "statuscode": 31, "completedon": t1, "name": "beta"},
		{"id": "b", "statuscode": 31, "completedon": nil, "name": "Alpha"},
		{"id": "c", "statuscode": int64(30), "completedon": t2, "name": "alpha"},
		{"id": "d", "statuscode": 31, "completedon": t2, "name": nil},
		{"id": "e", "statuscode": nil, "completedon": t1, "name": "Gamma"},
		{"id": "f", "statuscode": 30.5, "completedon": t2, "name": "ALPHA"},
	}
	tests := []struct {
		name    string
		orderby string
		want    []string
	}{
		// Nulls first ascending.
		{"int asc", "statuscode", []string{"e", "c", "f", "a", "b", "d"}},
		// Nulls last descending.
		{"time desc", "completedon desc", []string{"c", "d", "f", "a", "e", "b"}},
		{"time asc", "completedon asc", []string{"b", "a", "e", "c", "d", "f"}},
		// Case-insensitive: Alpha, alpha and ALPHA tie and keep their order.
		{"string asc", "name", []string{"d", "b", "c", "f", "a", "e"}},
		{"string desc", "name desc", []string{"e", "a", "b", "c", "f", "d"}},
		{"two keys", "statuscode desc,completedon desc", []string{"d", "a", "b", "f", "c", "e"}},
		{"three keys", "completedon desc,statuscode,name desc", []string{"c", "f", "d", "e", "a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			keys, err := ParseOrderBy(tt.orderby, nil)
			if err != nil {
				t.Fatal(err)
			}
			sorted := slices.Clone(rows)
			slices.SortStableFunc(sorted, func(a, b map[string]any) int {
				switch {
				case Less(keys, rowOf(a), rowOf(b)):
					return -1
				case Less(keys, rowOf(b), rowOf(a)):
					return 1
				}
				return 0
			})
			var got []string
			for _, r := range sorted {
				got = append(got, r["id"].(string))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("order by %q = %v, want %v", tt.orderby, got, tt.want)
			}
		})
	}
}

func TestLessValueKinds(t *testing.T) {
	t.Parallel()
	key := []OrderKey{{Path: []string{"v"}}}
	desc := []OrderKey{{Path: []string{"v"}, Desc: true}}
	tests := []struct {
		name string
		a, b any
	}{
		{"null before string", nil, "a"},
		{"null before int", nil, -5},
		{"false before true", false, true},
		{"ints numerically", 9, 10},
		{"int before float", 1, 1.5},
		{"float before int", 1.5, int32(2)},
		{"uint", uint8(3), uint64(4)},
		{"times chronologically", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2020, 1, 1, 1, 0, 0, 0, time.FixedZone("x", -3600*2))},
		{"strings ignoring case", "apple", "Banana"},
		{"strings ignoring case reversed", "APPLE", "banana"},
		{"number before string", 5, "5"},
		{"known kinds before unknown", "z", []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := rowOf(map[string]any{"v": tt.a}), rowOf(map[string]any{"v": tt.b})
			if !Less(key, a, b) || Less(key, b, a) {
				t.Errorf("ascending: want %v before %v", tt.a, tt.b)
			}
			if Less(desc, a, b) || !Less(desc, b, a) {
				t.Errorf("descending: want %v before %v", tt.b, tt.a)
			}
		})
	}
}

func TestLessTiesAndMissing(t *testing.T) {
	t.Parallel()
	key := []OrderKey{{Path: []string{"v"}}}
	tests := []struct {
		name string
		a, b map[string]any
	}{
		{"equal ignoring case", map[string]any{"v": "Hook"}, map[string]any{"v": "hOOK"}},
		{"int equals float", map[string]any{"v": 2}, map[string]any{"v": 2.0}},
		{"both null", map[string]any{"v": nil}, map[string]any{"v": nil}},
		{"missing orders as null", map[string]any{}, map[string]any{"v": nil}},
		{"same instant in two zones", map[string]any{"v": time.Date(2024, 1, 1, 1, 0, 0, 0, time.FixedZone("p1", 3600))},
			map[string]any{"v": time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if Less(key, rowOf(tt.a), rowOf(tt.b)) || Less(key, rowOf(tt.b), rowOf(tt.a)) {
				t.Errorf("%v and %v should tie", tt.a, tt.b)
			}
		})
	}
	if Less(nil, rowOf(map[string]any{"v": 1}), rowOf(map[string]any{"v": 2})) {
		t.Error("no keys: nothing is less")
	}
	if !Less(key, nil, rowOf(map[string]any{"v": 1})) {
		t.Error("a nil resolver orders as null")
	}
}
