package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
)

var (
	_ provider.ProviderWithFunctions     = (*dataverseProvider)(nil)
	_ provider.ProviderWithListResources = (*dataverseProvider)(nil)
	_ provider.ProviderWithActions       = (*dataverseProvider)(nil)
)

// Functions are the provider-defined functions (Terraform 1.8 and newer, OpenTofu 1.7 and newer).
func (p *dataverseProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		NewSplitFunctionURLFunction,
	}
}

// ListResources are what terraform query lists (Terraform 1.14 and newer); each shares its type
// name with the resource it finds.
func (p *dataverseProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewWebhookListResource,
		NewWebhookStepListResource,
		NewWebhookStepImageListResource,
	}
}

// Actions are operations Terraform 1.14 and newer run on demand (terraform apply -invoke) or
// from a resource's lifecycle.
func (p *dataverseProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{
		NewDeleteSystemJobsAction,
	}
}
