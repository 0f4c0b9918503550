package validators

import (
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// logicalNamePattern matches Dataverse column and table logical names.
var logicalNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ColumnNames checks each element of a set of column logical names.
func ColumnNames() validator.Set {
	return setvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1), stringvalidator.RegexMatches(logicalNamePattern, "must be a column logical name (letters, digits and underscores)"))
}
