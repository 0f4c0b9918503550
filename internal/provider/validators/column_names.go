package validators

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// ColumnNames checks a set of column logical names: each has the form of one, and the set is
// not empty, because leaving the attribute out is how to ask for what an empty set might seem
// to mean; omitted says what that is, as in "fire on any change".
func ColumnNames(omitted string) validator.Set {
	return columnNames{
		omitted: omitted,
		// One error per name: the empty name is one of the names the pattern refuses.
		each: setvalidator.ValueStringsAre(stringRule{
			description: "a column logical name (letters, digits and underscores, such as telephone1)",
			summary:     "Invalid column name",
			valid:       dataverse.LogicalNamePattern().MatchString,
			detail:      mustBe,
		}),
	}
}

type columnNames struct {
	omitted string
	each    validator.Set
}

func (v columnNames) Description(ctx context.Context) string {
	return "at least one column, each " + v.each.Description(ctx)
}

func (v columnNames) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v columnNames) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if len(req.ConfigValue.Elements()) == 0 {
		last, _ := req.Path.Steps().LastStep()
		resp.Diagnostics.AddAttributeError(req.Path, "Empty "+last.String(), fmt.Sprintf(
			"%s is an empty set of columns, which is not allowed: leave %s out to %s, or list at least one column.", req.Path, last, v.omitted))
		return
	}
	v.each.ValidateSet(ctx, req, resp)
	// Dataverse compares column names without case: two that differ only in case are one column
	// listed twice, stored twice.
	seen := map[string]string{}
	for _, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		name := s.ValueString()
		folded := strings.ToLower(name)
		if first, dup := seen[folded]; dup {
			resp.Diagnostics.AddAttributeError(req.Path.AtSetValue(s), "Column listed twice", fmt.Sprintf(
				"%s lists column %q twice, as %q and %q: Dataverse compares column names without case. Keep one, in lower case (%q).",
				req.Path, folded, first, name, folded))
			continue
		}
		seen[folded] = name
	}
}
