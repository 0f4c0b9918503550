package validators

import (
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// GUID accepts a Dataverse row id.
func GUID() validator.String {
	return stringRule{
		description: "a GUID such as 00000000-0000-0000-0000-000000000001",
		summary:     "Invalid id",
		valid:       dataverse.IsGUID,
		detail:      guidDetail,
	}
}

// guidDetail says what is wanted and, for an id in braces (as the Plug-in Registration Tool and
// the classic UI copy them), that only the braces are in the way.
func guidDetail(at path.Path, description, value string) string {
	detail := mustBe(at, description, value)
	if inner, ok := strings.CutPrefix(value, "{"); ok && strings.HasSuffix(inner, "}") && dataverse.IsGUID(strings.TrimSuffix(inner, "}")) {
		detail += " Remove the braces: " + strings.TrimSuffix(inner, "}") + "."
	}
	return detail
}
