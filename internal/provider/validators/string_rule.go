package validators

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// stringRule is a string validator made of a check: the known values valid refuses get one
// error, summary and detail, on the attribute.
type stringRule struct {
	description string
	summary     string
	valid       func(string) bool
	detail      func(at path.Path, description, value string) string
}

func (r stringRule) Description(context.Context) string { return r.description }

func (r stringRule) MarkdownDescription(context.Context) string { return r.description }

func (r stringRule) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if v := req.ConfigValue.ValueString(); !r.valid(v) {
		resp.Diagnostics.AddAttributeError(req.Path, r.summary, r.detail(req.Path, r.description, v))
	}
}

// mustBe gives the detail that the attribute must be the description, quoting the value.
func mustBe(at path.Path, description, value string) string {
	return fmt.Sprintf("%s must be %s; got %q.", at, description, value)
}
