package validators

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// GUID accepts a Dataverse row id.
func GUID() validator.String { return guid{} }

type guid struct{}

func (guid) Description(context.Context) string {
	return "a GUID such as 00000000-0000-0000-0000-000000000001"
}

func (v guid) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v guid) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if !dataverse.IsGUID(req.ConfigValue.ValueString()) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid id",
			fmt.Sprintf("%s must be %s; got %q.", req.Path, v.Description(ctx), req.ConfigValue.ValueString()))
	}
}
