package validators

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// OneOf refuses a string that is not one of names exactly as spelled, as the framework's
// stringvalidator.OneOf does, and names the one meant when the value differs from it in case or
// by a typo: "postoperation" is PostOperation.
func OneOf(names ...string) validator.String {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	list := "[" + strings.Join(quoted, " ") + "]"
	return stringRule{
		description: "value must be one of: " + list,
		summary:     "Invalid Attribute Value Match",
		valid:       func(v string) bool { return slices.Contains(names, v) },
		detail: func(at path.Path, description, value string) string {
			detail := fmt.Sprintf("Attribute %s %s, got: %q.", at, description, value)
			if c := Closest(value, names); c != "" {
				detail += fmt.Sprintf(" Did you mean %q? The names are compared as spelled, case included.", c)
			}
			return detail
		},
	}
}
