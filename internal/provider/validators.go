package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// logicalNamePattern matches Dataverse column and table logical names.
var logicalNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// columnNamesValidator checks each element of a set of column logical names.
func columnNamesValidator() validator.Set {
	return setvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1), stringvalidator.RegexMatches(logicalNamePattern, "must be a column logical name (letters, digits and underscores)"))
}

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

// addRuleError turns a *dataverse.RuleError into an error on the attribute its field maps to
// (at, or the resource as a whole when the field is not mapped), its detail prefixed with
// subject, such as `Step <id> ("name"): `. It reports whether err was a rule error; other
// errors are left to the caller.
func addRuleError(diags *diag.Diagnostics, err error, at map[dataverse.RuleField]path.Path, subject string) bool {
	var re *dataverse.RuleError
	if !errors.As(err, &re) {
		return false
	}
	detail := subject + re.Problem + " " + re.Fix
	if p, ok := at[re.Field]; ok {
		diags.AddAttributeError(p, re.Summary, detail)
	} else {
		diags.AddError(re.Summary, detail)
	}
	return true
}
