package validators

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// TextLength accepts a string of 1 to maxLength characters as Dataverse counts a text column's
// length, so that a value the column cannot hold is refused at plan rather than at apply.
func TextLength(maxLength int) validator.String { return OptionalTextLength(maxLength, "") }

// OptionalTextLength is TextLength for an optional attribute, whose error on an empty value says
// to leave the attribute out for what omitting it gives, such as "no description" ("" keeps
// TextLength's words, for a required attribute).
func OptionalTextLength(maxLength int, omitted string) validator.String {
	return stringRule{
		description: fmt.Sprintf("from 1 to %d characters long, a character outside the Basic Multilingual Plane (such as most emoji) counting 2", maxLength),
		summary:     "Invalid Attribute Value Length",
		valid: func(s string) bool {
			n := dataverse.TextLength(s)
			return n >= 1 && n <= maxLength
		},
		detail: func(at path.Path, description, value string) string {
			if value == "" && omitted != "" {
				return fmt.Sprintf("%s is empty. Leave the attribute out, or set it to null, for %s.", at, omitted)
			}
			return fmt.Sprintf("%s must be %s; it is %d.", at, description, dataverse.TextLength(value))
		},
	}
}
