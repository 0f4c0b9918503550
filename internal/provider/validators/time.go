package validators

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// RFC3339Timestamp accepts timestamps such as 2024-05-01T00:00:00Z.
func RFC3339Timestamp() validator.String { return rfc3339Timestamp{} }

type rfc3339Timestamp struct{}

func (rfc3339Timestamp) Description(context.Context) string {
	return "an RFC 3339 timestamp such as 2024-05-01T00:00:00Z"
}

func (v rfc3339Timestamp) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v rfc3339Timestamp) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := time.Parse(time.RFC3339, req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid timestamp",
			fmt.Sprintf("%s must be %s; got %q.", req.Path, v.Description(ctx), req.ConfigValue.ValueString()))
	}
}

// NonNegativeDuration accepts a Go duration of zero or more.
func NonNegativeDuration() validator.String { return nonNegativeDuration{} }

type nonNegativeDuration struct{}

func (nonNegativeDuration) Description(context.Context) string {
	return "a duration such as 720h, 0s or more"
}

func (v nonNegativeDuration) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (nonNegativeDuration) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d < 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%q is not a duration of zero or more; use a Go duration such as 720h (30 days) or 24h.", req.ConfigValue.ValueString()))
	}
}
