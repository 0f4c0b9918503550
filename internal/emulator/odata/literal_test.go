package odata

import (
	"math"
	"testing"
	"time"
)

type stringer struct{}

func (stringer) String() string { return "it's" }

func TestFormatLiteral(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, "null"},
		{"string", "Update", "'Update'"},
		{"empty string", "", "''"},
		{"quote doubled", "O'Brien's", "'O''Brien''s'"},
		{"only quotes", "''", "''''''"},
		{"spaces and symbols kept", " a&b=c%20 ", "' a&b=c%20 '"},
		{"guid bare", stepID, stepID},
		{"upper-case guid bare", "8D7A2B5C-0D4E-4F1A-9B2C-3D4E5F60718A", "8D7A2B5C-0D4E-4F1A-9B2C-3D4E5F60718A"},
		{"guid with braces quoted", "{" + stepID + "}", "'{" + stepID + "}'"},
		{"true", true, "true"},
		{"false", false, "false"},
		{"int", 8, "8"},
		{"int32", int32(-31), "-31"},
		{"int64", int64(math.MaxInt64), "9223372036854775807"},
		{"uint64", uint64(math.MaxUint64), "18446744073709551615"},
		{"uint8", uint8(7), "7"},
		{"float", 1.5, "1.5"},
		{"whole float", 2.0, "2.0"},
		{"large float", 1e21, "1e+21"},
		{"small float", 1e-7, "1e-07"},
		{"float32", float32(0.1), "0.1"},
		{"NaN", math.NaN(), "NaN"},
		{"INF", math.Inf(1), "INF"},
		{"-INF", math.Inf(-1), "-INF"},
		{"time in UTC", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "2024-01-02T03:04:05Z"},
		{"time converted to UTC", time.Date(2024, 1, 2, 5, 4, 5, 120000000, time.FixedZone("p2", 7200)), "2024-01-02T03:04:05.12Z"},
		{"stringer", stringer{}, "'it''s'"},
		{"other type", []int{1}, "'[1]'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := FormatLiteral(tt.in); got != tt.want {
				t.Errorf("FormatLiteral(%#v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestFormatLiteralParsesBack checks that every rendered value reads back as
// an equal value, and matches a row holding the original.
func TestFormatLiteralParsesBack(t *testing.T) {
	t.Parallel()
	values := []any{
		"", "x", "O'Brien", "'", "a''b", "line\nbreak", "ünïcödé", "\xff\xfe", stepID,
		true, false, 0, -1, int64(math.MinInt64), 3.25, -0.5, 1e300, 5e-324,
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	}
	for _, v := range values {
		lit := FormatLiteral(v)
		t.Run(lit, func(t *testing.T) {
			t.Parallel()
			got, err := ParseLiteral(lit)
			if err != nil {
				t.Fatalf("ParseLiteral(%q): %v", lit, err)
			}
			want, _ := normalize(v)
			if c, _, ok := compareValues(got, want); !ok || c != 0 {
				t.Errorf("ParseLiteral(FormatLiteral(%#v)) = %#v", v, got)
			}
			f := mustParseFilter(t, "v eq "+lit, nil)
			if ok, err := f.Eval(rowOf(map[string]any{"v": v})); !ok || err != nil {
				t.Errorf("v eq %s on v=%#v: %v, %v", lit, v, ok, err)
			}
		})
	}
}

func TestParseLiteral(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want any
	}{
		{"null", nil},
		{"true", true},
		{"false", false},
		{"'a''b'", "a'b"},
		{" 'padded' ", "padded"},
		{stepID, stepID},
		{"42", int64(42)},
		{"-7", int64(-7)},
		{"1.5", 1.5},
		{"2E3", 2000.0},
		{"INF", math.Inf(1)},
		{"-INF", math.Inf(-1)},
		{"2024-01-02", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"2024-01-02T03:04:05.5-01:30", time.Date(2024, 1, 2, 4, 34, 5, 500000000, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseLiteral(tt.in)
			if err != nil {
				t.Fatalf("ParseLiteral(%q): %v", tt.in, err)
			}
			if wt, ok := tt.want.(time.Time); ok {
				if gt, ok := got.(time.Time); !ok || !gt.Equal(wt) {
					t.Errorf("ParseLiteral(%q) = %v, want %v", tt.in, got, wt)
				}
				return
			}
			if got != tt.want {
				t.Errorf("ParseLiteral(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
	if v, err := ParseLiteral("NaN"); err != nil || !math.IsNaN(v.(float64)) {
		t.Errorf("ParseLiteral(NaN) = %v, %v", v, err)
	}
}

func TestParseLiteralErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "name", "'open", "1 2", "@id", "(1)", "'a' eq 'a'", "1x", stepID + "0"} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			v, err := ParseLiteral(in)
			if err == nil {
				t.Fatalf("ParseLiteral(%q) = %#v, want an error", in, v)
			}
			wantError(t, err)
		})
	}
}

func TestIsGUID(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		stepID:                                   true,
		"8D7A2B5C-0D4E-4F1A-9B2C-3D4E5F60718A":   true,
		"00000000-0000-0000-0000-000000000000":   true,
		"8d7a2b5c0d4e4f1a9b2c3d4e5f60718a":       false,
		"{8d7a2b5c-0d4e-4f1a-9b2c-3d4e5f60718a}": false,
		"8d7a2b5c-0d4e-4f1a-9b2c-3d4e5f60718g":   false,
		"8d7a2b5c-0d4e-4f1a-9b2c_3d4e5f60718a":   false,
		"":                                       false,
	}
	for in, want := range tests {
		if got := IsGUID(in); got != want {
			t.Errorf("IsGUID(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	e := PropertyNotFound("account", []string{"foo"})
	want := "Could not find a property named 'foo' on type 'Microsoft.Dynamics.CRM.account'. (HTTP 400, code 0x0)"
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
}
