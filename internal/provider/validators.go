package provider

import (
	"context"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// logicalNamePattern matches Dataverse column and table logical names.
var logicalNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// guidValidator accepts a Dataverse row id.
type guidValidator struct{}

func (guidValidator) Description(context.Context) string {
	return "a GUID such as 00000000-0000-0000-0000-000000000001"
}

func (v guidValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v guidValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if !dataverse.IsGUID(req.ConfigValue.ValueString()) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid id",
			fmt.Sprintf("%s must be %s; got %q.", req.Path, v.Description(ctx), req.ConfigValue.ValueString()))
	}
}
