package odata

import (
	"slices"
	"testing"
)

func TestParseSelect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"name", []string{"name"}},
		{"serviceendpointid,name,authtype,url", []string{"serviceendpointid", "name", "authtype", "url"}},
		// The documented webhook query has a space after '='.
		{" serviceendpointid,name,authtype,url", []string{"serviceendpointid", "name", "authtype", "url"}},
		{"name , _sdkmessageid_value ,\tmode", []string{"name", "_sdkmessageid_value", "mode"}},
		{"name,name,url", []string{"name", "url"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSelect(tt.in)
			if err != nil {
				t.Fatalf("ParseSelect(%q): %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseSelect(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseSelectErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "  ", "name,", ",name", "name,,url", "*", "sdkmessageid/name", "name desc", "1name", "na-me", "name($select=x)"} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSelect(in)
			if err == nil {
				t.Fatalf("ParseSelect(%q) = %q, want an error", in, got)
			}
			wantError(t, err, "is not valid in a $select or $expand expression")
		})
	}
}

func TestParseExpand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []ExpandItem
	}{
		{"sdkmessageid", []ExpandItem{{Property: "sdkmessageid"}}},
		{"sdkmessageid($select=name)", []ExpandItem{{Property: "sdkmessageid", Select: []string{"name"}}}},
		{
			"plugintypeid($select=friendlyname),eventhandler_serviceendpoint($select=name),sdkmessagefilterid($select=primaryobjecttypecode),sdkmessageid($select=name)",
			[]ExpandItem{
				{Property: "plugintypeid", Select: []string{"friendlyname"}},
				{Property: "eventhandler_serviceendpoint", Select: []string{"name"}},
				{Property: "sdkmessagefilterid", Select: []string{"primaryobjecttypecode"}},
				{Property: "sdkmessageid", Select: []string{"name"}},
			},
		},
		{" sdkmessageid ( $select = name , sdkmessageid ) , ownerid", []ExpandItem{
			{Property: "sdkmessageid", Select: []string{"name", "sdkmessageid"}},
			{Property: "ownerid"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseExpand(tt.in)
			if err != nil {
				t.Fatalf("ParseExpand(%q): %v", tt.in, err)
			}
			if !slices.EqualFunc(got, tt.want, func(a, b ExpandItem) bool {
				return a.Property == b.Property && slices.Equal(a.Select, b.Select)
			}) {
				t.Errorf("ParseExpand(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseExpandErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		fragment string
	}{
		{"", "is not valid"},
		{"sdkmessageid,", "is not valid"},
		{"sdkmessageid()", "is not valid"},
		{"sdkmessageid($select=name", "is not valid"},
		{"sdkmessageid$select=name)", "is not valid"},
		{"sdkmessageid($select=name))", "is not valid"},
		{"sdkmessageid($select=name)x", "is not valid"},
		{"sdkmessageid($select)", "is not valid"},
		{"sdkmessageid($select=)", "is not valid"},
		{"sdkmessageid($select=a;$select=b)", "more than once"},
		{"sdkmessageid($filter=name eq 'x')", "'$filter' is not supported inside $expand"},
		{"sdkmessageid($top=1)", "'$top' is not supported"},
		{"sdkmessageid($expand=createdby)", "'$expand' is not supported"},
		{"sdkmessageid($select=name;)", "is not valid"},
		{"*", "is not valid"},
		{"a/b", "is not valid"},
		{"sdkmessageid,sdkmessageid($select=name)", "expanded more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseExpand(tt.in)
			if err == nil {
				t.Fatalf("ParseExpand(%q) = %+v, want an error", tt.in, got)
			}
			wantError(t, err, tt.fragment)
		})
	}
}
