package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider/validators"
)

// idAttribute is a resource's computed primary key, stable across updates.
func idAttribute(description string) schema.StringAttribute {
	return schema.StringAttribute{
		Computed:            true,
		MarkdownDescription: description,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}

// timeoutsBlock is the timeouts block every resource has; defaultTimeout applies to each
// operation not given.
func timeoutsBlock(ctx context.Context) schema.Block {
	how := "as a Go duration such as `30s`, `5m` or `1h30m`, including the waits " +
		"of retries after throttling and transient errors. Defaults to `" + strings.TrimSuffix(defaultTimeout.String(), "0s") + "`."
	block, _ := timeouts.Block(ctx, timeouts.Opts{
		Create: true, Read: true, Update: true, Delete: true,
		CreateDescription: "How long a create may take, " + how,
		ReadDescription:   "How long a read (each refresh and plan) may take, " + how,
		UpdateDescription: "How long an update may take, " + how,
		DeleteDescription: "How long a delete may take, " + how,
	}).(schema.SingleNestedBlock) // the package's resource block is a single nested block
	for name, a := range block.Attributes {
		if s, ok := a.(schema.StringAttribute); ok {
			s.Validators = append(s.Validators, validators.PositiveDuration())
			block.Attributes[name] = s
		}
	}
	return block
}

// solutionRequiresReplace replaces a row whose solution changes, since a component joins its
// solution when it is created. A row that has no recorded solution (imported, or created
// without one) only records the configured value, and removing the setting only stops recording
// it: replacing the row would delete it and its children for no gain.
func solutionRequiresReplace() planmodifier.String {
	const why = "Changing the solution replaces the resource, unless it had none recorded (for example after an import), the setting is removed, or only its case changes."
	return stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		// Unique names compare without case, as Dataverse compares them: a change of case names the same solution.
		resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsNull() &&
			!strings.EqualFold(req.StateValue.ValueString(), req.PlanValue.ValueString())
	}, why, why)
}

// solutionAttribute is the solution_unique_name attribute of a resource that can join a solution.
func solutionAttribute(what string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "Unique name of an unmanaged solution to add the " + what + " to when it is created " +
			"(`MSCRM.SolutionUniqueName`), checked at plan. Changing it replaces the " + what + " (a change of case only " +
			"names the same solution and does not); setting it where none was recorded " +
			"(as after an import) only records it, with a warning in the plan that sets it when the " + what + " is not in that solution, and removing " +
			"it only stops recording it: the " + what + " stays in the solution.",
		PlanModifiers: []planmodifier.String{solutionRequiresReplace()},
		Validators:    []validator.String{validators.SolutionUniqueName()},
	}
}

// computedString is a read-only string attribute of a data source's nested objects.
func computedString(description string) dsschema.StringAttribute {
	return dsschema.StringAttribute{Computed: true, MarkdownDescription: description}
}

// replacedWithItsWebhook replaces a step whose webhook_id is unknown at plan while it had one:
// its webhook is being replaced (or a new one created), and deleting a webhook deletes its steps,
// so an in-place update would find no row, or a row it never rewrites when the new webhook gets
// the same derived id.
func replacedWithItsWebhook() []planmodifier.String {
	const why = "A webhook_id unknown at plan (its webhook is being replaced or created) replaces the step: Dataverse deletes a webhook's steps with it."
	return []planmodifier.String{stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = req.PlanValue.IsUnknown() && !req.StateValue.IsNull()
	}, why, why)}
}
