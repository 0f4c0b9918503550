package odata_test

import (
	"testing"
	"unicode/utf8"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/odata"
)

// FuzzClientQuoteStringAgrees checks that a string literal the client writes into $filter
// reads back, in the emulator's parser, as exactly the client's string: the two sides agree
// on quoting, so no name can break out of its literal or match another row.
func FuzzClientQuoteStringAgrees(f *testing.F) {
	for _, s := range []string{"", "orders-sync", "O'Brien", "''", "a' or name ne 'b", "éè ünïcode", "%20 and 1 eq 1", "\\'", "name eq 'x'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("names are UTF-8")
		}
		expr := "name eq " + dataverse.QuoteString(s)
		filter, err := odata.ParseFilter(expr, nil)
		if err != nil {
			t.Fatalf("the emulator cannot parse the client's filter %q: %v", expr, err)
		}
		row := func(v string) odata.Resolver {
			return func(path []string) (any, bool) {
				if len(path) == 1 && path[0] == "name" {
					return v, true
				}
				return nil, false
			}
		}
		ok, err := filter.Eval(row(s))
		if err != nil || !ok {
			t.Fatalf("the client's literal for %q does not match a row holding it (ok=%v, err=%v)", s, ok, err)
		}
		if ok, _ := filter.Eval(row(s + "x")); ok {
			t.Fatalf("the client's literal for %q also matches %q", s, s+"x")
		}
	})
}
