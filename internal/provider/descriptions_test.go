package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// TestResourceDescriptionsNameDefaults: the registry pages are generated from the descriptions,
// so every attribute with a default, and every timeout, must say what the default is.
func TestResourceDescriptionsNameDefaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, newResource := range (&dataverseProvider{}).Resources(ctx) {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "dataverse"}, &meta)
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		checked := 0
		for name, a := range resp.Schema.Attributes {
			var hasDefault bool
			switch a := a.(type) {
			case schema.StringAttribute:
				hasDefault = a.Default != nil
			case schema.Int64Attribute:
				hasDefault = a.Default != nil
			case schema.BoolAttribute:
				hasDefault = a.Default != nil
			}
			if !hasDefault {
				continue
			}
			checked++
			if d := a.GetMarkdownDescription(); !strings.Contains(d, "Defaults to `") && !strings.Contains(d, "(the default)") {
				t.Errorf("%s.%s has a default its description does not name: %q", meta.TypeName, name, d)
			}
		}
		block, ok := resp.Schema.Blocks["timeouts"].(schema.SingleNestedBlock)
		if !ok {
			t.Errorf("%s has no timeouts block", meta.TypeName)
			continue
		}
		for name, a := range block.Attributes {
			checked++
			if d := a.GetMarkdownDescription() + a.GetDescription(); !strings.Contains(d, "Defaults to `10m`") {
				t.Errorf("%s timeouts.%s does not name the 10-minute default: %q", meta.TypeName, name, d)
			}
		}
		if checked == 0 {
			t.Errorf("%s: nothing was checked", meta.TypeName)
		}
	}
}
