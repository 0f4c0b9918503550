package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/provider"
)

var _ provider.ProviderWithFunctions = (*dataverseProvider)(nil)

// Functions are the provider-defined functions (Terraform 1.8 and newer, OpenTofu 1.7 and newer).
func (p *dataverseProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		NewSplitFunctionURLFunction,
	}
}
