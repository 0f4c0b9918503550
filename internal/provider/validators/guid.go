package validators

import (
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// GUID accepts a Dataverse row id.
func GUID() validator.String {
	return stringRule{
		description: "a GUID such as 00000000-0000-0000-0000-000000000001",
		summary:     "Invalid id",
		valid:       dataverse.IsGUID,
		detail:      mustBe,
	}
}
