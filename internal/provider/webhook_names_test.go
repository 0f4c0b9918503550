package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestPlannedNames_claim(t *testing.T) {
	t.Parallel()
	cfg := func(url string) tftypes.Value {
		typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"name": tftypes.String, "url": tftypes.String}}
		return tftypes.NewValue(typ, map[string]tftypes.Value{
			"name": tftypes.NewValue(tftypes.String, "hook"), "url": tftypes.NewValue(tftypes.String, url),
		})
	}
	var p plannedNames
	if taken, _ := p.claim("hook", cfg("https://a"), "id-a"); taken {
		t.Fatal("the first claim was refused")
	}
	// A replacement is planned again as a create, from the same configuration: not a duplicate,
	// and it learns its own webhook's id.
	if taken, id := p.claim("hook", cfg("https://a"), ""); taken || id != "id-a" {
		t.Fatalf("the replan of one webhook: taken=%v id=%q, want false and id-a", taken, id)
	}
	if taken, _ := p.claim("HOOK", cfg("https://b"), ""); !taken {
		t.Fatal("a second webhook with the name (another case) was not refused")
	}
	if taken, _ := p.claim("other", cfg("https://b"), ""); taken {
		t.Fatal("another name was refused")
	}
	// Two existing webhooks of one name, imported with identical blocks, are two webhooks; the
	// same one planned again is not.
	var q plannedNames
	q.claim("dup", cfg("https://d"), "id-1")
	if taken, _ := q.claim("dup", cfg("https://d"), "ID-1"); taken {
		t.Fatal("the same webhook planned again (id in another case) was refused")
	}
	if taken, _ := q.claim("dup", cfg("https://d"), "id-2"); !taken {
		t.Fatal("a second existing webhook of the name and of identical configuration was not refused")
	}
}
