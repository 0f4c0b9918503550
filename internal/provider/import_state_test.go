package provider

import (
	"strings"
	"testing"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

func TestImportTarget(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, id, name string }{
		{"6F1C0B1E-3A52-4E3B-9D6A-2F0E8F7C1A10", "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10", ""},
		{" {6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10} ", "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10", ""},
		{"orders-sync", "", "orders-sync"},
		{"  orders sync  ", "", "orders sync"},
		{"6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a1", "", "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a1"},
		{"", "", ""},
	}
	for _, tc := range cases {
		id, name := importTarget(tc.in)
		if id != tc.id || name != tc.name {
			t.Errorf("importTarget(%q) = (%q, %q), want (%q, %q)", tc.in, id, name, tc.id, tc.name)
		}
	}
}

// FuzzImportTarget: any input yields either a GUID id or a trimmed name, never both.
func FuzzImportTarget(f *testing.F) {
	for _, s := range []string{"orders-sync", "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10", "{6F1C0B1E-3A52-4E3B-9D6A-2F0E8F7C1A10}", " ", "{}", "'; drop", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, name := importTarget(raw)
		if id != "" && name != "" {
			t.Fatalf("both id %q and name %q", id, name)
		}
		if id != "" && (!dataverse.IsGUID(id) || id != strings.ToLower(id)) {
			t.Fatalf("id %q is not a lower-case GUID", id)
		}
		if id == "" && name != strings.TrimSpace(raw) {
			t.Fatalf("name %q is not the trimmed input", name)
		}
	})
}
