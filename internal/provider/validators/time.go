package validators

import (
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// RFC3339Timestamp accepts timestamps such as 2024-05-01T00:00:00Z.
func RFC3339Timestamp() validator.String {
	return stringRule{
		description: "an RFC 3339 timestamp such as 2024-05-01T00:00:00Z",
		summary:     "Invalid timestamp",
		valid: func(s string) bool {
			_, err := time.Parse(time.RFC3339, s)
			return err == nil
		},
		detail: mustBe,
	}
}

// NonNegativeDuration accepts a Go duration of zero or more.
func NonNegativeDuration() validator.String {
	return stringRule{
		description: "a duration such as 720h, 0s or more",
		summary:     "Invalid duration",
		valid: func(s string) bool {
			d, err := time.ParseDuration(s)
			return err == nil && d >= 0
		},
		detail: func(_ path.Path, _, value string) string {
			return fmt.Sprintf("%q is not a duration of zero or more; use a Go duration such as 720h (30 days) or 24h.", value)
		},
	}
}

// PositiveDuration accepts a Go duration of more than zero, such as a timeout.
func PositiveDuration() validator.String {
	return stringRule{
		description: "a duration of more than zero, such as 30s or 10m",
		summary:     "Invalid duration",
		valid: func(s string) bool {
			d, err := time.ParseDuration(s)
			return err != nil || d > 0 // a value that is no duration at all is the timeouts package's to refuse
		},
		detail: func(_ path.Path, _, value string) string {
			return fmt.Sprintf("%q is not a duration of more than zero; use a Go duration such as 30s or 10m.", value)
		},
	}
}
