package validators

import (
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// ColumnNames checks each element of a set of column logical names.
func ColumnNames() validator.Set {
	return setvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1), stringvalidator.RegexMatches(dataverse.LogicalNamePattern(), "must be a column logical name (letters, digits and underscores)"))
}
