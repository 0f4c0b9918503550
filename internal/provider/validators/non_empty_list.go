package validators

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// NonEmptyList refuses an empty list where leaving the attribute out (null) is how to ask for
// what the empty list might seem to mean; omitted says what that is. A module passing its
// input through (images = var.images) meets the hint to write null for none.
func NonEmptyList(omitted string) validator.List { return nonEmptyList{omitted: omitted} }

type nonEmptyList struct{ omitted string }

func (v nonEmptyList) Description(context.Context) string { return "at least one element" }

func (v nonEmptyList) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v nonEmptyList) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || len(req.ConfigValue.Elements()) > 0 {
		return
	}
	last, _ := req.Path.Steps().LastStep()
	resp.Diagnostics.AddAttributeError(req.Path, "Empty "+last.String(), fmt.Sprintf(
		"%s is an empty list, which is not allowed: leave %s out or set it to null to %s, or list at least one element. "+
			"From a variable that may be empty: %s = length(var.%s) > 0 ? var.%s : null.", req.Path, last, v.omitted, last, last, last))
}
