package validators

import (
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// SolutionUniqueName accepts a solution's unique name.
func SolutionUniqueName() validator.String {
	return stringRule{
		description: "a solution unique name: letters, digits and underscores, such as contoso_integrations",
		summary:     "Invalid solution unique name",
		valid:       dataverse.IsSolutionUniqueName,
		detail:      mustBe,
	}
}
