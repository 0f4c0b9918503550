package dataverse

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuoteString(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":         "''",
		"account":  "'account'",
		"O'Brien":  "'O''Brien'",
		"''":       "''''''",
		"a&b=c d":  "'a&b=c d'",
		"ünïcödé":  "'ünïcödé'",
		"x') or (": "'x'') or ('",
	}
	for in, want := range tests {
		if got := QuoteString(in); got != want {
			t.Errorf("QuoteString(%q) = %s, want %s", in, got, want)
		}
	}
}

// unquoteODataString is a small reference parser for an OData string literal.
func unquoteODataString(lit string) (string, bool) {
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return "", false
	}
	body := lit[1 : len(lit)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		if body[i] == '\'' {
			// Inside the literal a quote only appears doubled.
			if i+1 >= len(body) || body[i+1] != '\'' {
				return "", false
			}
			i++
		}
		b.WriteByte(body[i])
	}
	return b.String(), true
}

func FuzzQuoteString(f *testing.F) {
	for _, seed := range []string{"", "'", "''", "O'Brien", "a'b'c", "'start", "end'", "ünï'cödé", "\x00'\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit := QuoteString(s)
		if !strings.HasPrefix(lit, "'") || !strings.HasSuffix(lit, "'") || len(lit) < 2 {
			t.Fatalf("QuoteString(%q) = %q is not quoted", s, lit)
		}
		got, ok := unquoteODataString(lit)
		if !ok || got != s {
			t.Fatalf("QuoteString(%q) = %q parses back as %q (ok=%v)", s, lit, got, ok)
		}
	})
}

func TestIsGUID(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"0b9a4c52-1e6f-4c1a-9d6e-3f1f2b7c8a01":   true,
		"0B9A4C52-1E6F-4C1A-9D6E-3F1F2B7C8A01":   true,
		"00000000-0000-0000-0000-000000000000":   true,
		"":                                       false,
		"0b9a4c521e6f4c1a9d6e3f1f2b7c8a01":       false,
		"{0b9a4c52-1e6f-4c1a-9d6e-3f1f2b7c8a01}": false,
		"0b9a4c52-1e6f-4c1a-9d6e-3f1f2b7c8a0g":   false,
		"0b9a4c52-1e6f-4c1a-9d6e_3f1f2b7c8a01":   false,
		"0b9a4c52-1e6f-4c1a-9d6e-3f1f2b7c8a01 ":  false,
		"0b9a4c52-1e6f-4c1a-9d6e-3f1f2b7c8a0)":   false,
	}
	for in, want := range tests {
		if got := IsGUID(in); got != want {
			t.Errorf("IsGUID(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestNewGUID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		id, err := newGUID()
		if err != nil {
			t.Fatal(err)
		}
		if !IsGUID(id) || id[14] != '4' || !strings.ContainsRune("89ab", rune(id[19])) {
			t.Fatalf("%q is not a v4 GUID", id)
		}
		if seen[id] {
			t.Fatalf("repeated id %s", id)
		}
		seen[id] = true
	}
}

func TestQueryEncode(t *testing.T) {
	t.Parallel()
	q := query{}.
		with("$select", "a,b").
		with("$filter", "name eq 'x y+z&w=1#%'").
		with("@p0", "0b9a4c52-1e6f-4c1a-9d6e-3f1f2b7c8a01")
	raw := q.encode()
	if !strings.HasPrefix(raw, "$select=") || !strings.Contains(raw, "&$filter=") || !strings.Contains(raw, "&@p0=") {
		t.Errorf("option names were not kept literal: %s", raw)
	}
	if strings.Contains(raw, "+") {
		t.Errorf("encoded query %s uses '+', which some servers read as a plus sign", raw)
	}
	parsed, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := parsed.Get("$filter"); got != "name eq 'x y+z&w=1#%'" {
		t.Errorf("$filter round trip = %q", got)
	}
	if got := parsed.Get("$select"); got != "a,b" {
		t.Errorf("$select round trip = %q", got)
	}
}

func TestSplitColumns(t *testing.T) {
	t.Parallel()
	tests := map[string][]string{
		"":                    nil,
		" , ,":                nil,
		"name":                {"name"},
		" name, ,telephone1,": {"name", "telephone1"},
		"b,a,b":               {"b", "a", "b"},
	}
	for in, want := range tests {
		got := splitColumns(in)
		if len(got) != len(want) || (want == nil) != (got == nil) {
			t.Errorf("splitColumns(%q) = %q, want %q", in, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("splitColumns(%q) = %q, want %q", in, got, want)
			}
		}
	}
	if !utf8.ValidString(joinColumns([]string{"a", "b"})) || joinColumns([]string{"a", "b"}) != "a,b" {
		t.Error("joinColumns")
	}
}

func TestColumnListValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []string
		want any
	}{
		{"none", nil, nil},
		{"only blanks", []string{" ", ""}, nil},
		{"one", []string{"name"}, "name"},
		{"trimmed and in lower case, order kept", []string{" Telephone1", "name "}, "telephone1,name"},
		{"entries holding commas", []string{"name, telephone1", ""}, "name,telephone1"},
		{"repeats dropped", []string{"Name", "name", "telephone1", "NAME"}, "name,telephone1"},
	} {
		if got := columnListValue(tc.in); got != tc.want {
			t.Errorf("%s: columnListValue(%q) = %#v, want %#v", tc.name, tc.in, got, tc.want)
		}
	}
}
