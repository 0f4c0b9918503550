package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// checkChangedSolution refuses at plan a solution_unique_name that names a solution the
// environment does not have, or a managed one, on a new row or as a change. A change replaces
// the row (solutionRequiresReplace): Terraform would delete it, and Dataverse the rows below it,
// before the create that fails. Where none was recorded, a wrong name would be recorded
// unnoticed. A new row's create would fail in the apply, after the rows planned before it were
// written. The client looks each name up once.
func checkChangedSolution(ctx context.Context, data *providerData, req resource.ModifyPlanRequest, what string, diags *diag.Diagnostics) {
	if data == nil || data.client == nil || req.Plan.Raw.IsNull() {
		return
	}
	at := path.Root("solution_unique_name")
	created := req.State.Raw.IsNull()
	var planned, prior types.String
	diags.Append(req.Plan.GetAttribute(ctx, at, &planned)...)
	if !created {
		diags.Append(req.State.GetAttribute(ctx, at, &prior)...)
	}
	if diags.HasError() || planned.IsNull() || planned.IsUnknown() || (!created && planned.Equal(prior)) {
		return
	}
	name := planned.ValueString()
	var consequence string
	switch {
	case created:
		consequence = fmt.Sprintf("Creating the %s would fail in the apply, after the rows planned before it were written.", what)
	case prior.IsNull():
		consequence = "Terraform would record it for the " + what + " without checking it."
	default:
		consequence = fmt.Sprintf("Changing the solution replaces the %s: Terraform would delete it, and Dataverse the rows "+
			"that belong to it, before the create failed.", what)
	}
	s, err := data.client.SolutionNamed(ctx, name)
	switch {
	case errors.Is(err, dataverse.ErrNotFound):
		diags.AddAttributeError(at, "Unknown solution",
			fmt.Sprintf("No solution has the unique name %q in this environment. %s Set the unique name (Name in the solution's "+
				"properties in Power Apps, not its display name) of an unmanaged solution.", name, consequence))
	case err != nil:
		diags.AddAttributeError(at, "Could not check the solution", apiErrorDetail(fmt.Sprintf("Looking up solution %q", name), err))
	case s.IsManaged:
		diags.AddAttributeError(at, "Managed solution",
			fmt.Sprintf("Solution %q is managed: Dataverse adds no component to a managed solution. %s Set the unique name of an "+
				"unmanaged solution.", name, consequence))
	case !created && prior.IsNull():
		warnOutsideSolution(ctx, data, req, s, what, diags)
	}
}

// warnOutsideSolution warns that a solution set where none was recorded is only recorded, when
// the row is not in it already: Dataverse adds a row to a solution only as it creates it, and an
// in-place update must not read as one that adds it.
func warnOutsideSolution(ctx context.Context, data *providerData, req resource.ModifyPlanRequest, s *dataverse.Solution, what string, diags *diag.Diagnostics) {
	var id types.String
	diags.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
	if diags.HasError() || id.ValueString() == "" {
		return
	}
	in, err := data.client.HasComponent(ctx, s.ID, id.ValueString())
	if err != nil || in {
		return // the warning is a courtesy: a failed look-up does not stop the plan
	}
	diags.AddAttributeWarning(path.Root("solution_unique_name"), "Solution only recorded",
		fmt.Sprintf("The %[1]s is not in solution %[2]q, and this apply does not add it: Dataverse adds a %[1]s to a solution only "+
			"as it creates it, so Terraform only records the name. Add the %[1]s to the solution in Power Apps (the solution's "+
			"Add existing), or create it again in the solution with terraform apply -replace on its address.", what, s.UniqueName))
}

// refuseOutsideSolution refuses to take over a row found under a derived id when the
// configuration names a solution the row is not in, and reports whether it did. Dataverse adds a
// row to a solution only as it creates it, so taking the row over would record a solution it is
// not in. The usual way there is a replacement under create_before_destroy, such as a change of
// solution_unique_name: the replacement derives the id of the row it replaces and meets it.
func refuseOutsideSolution(ctx context.Context, client *dataverse.Client, solution, id, what string, diags *diag.Diagnostics) bool {
	if solution == "" {
		return false
	}
	s, err := client.SolutionNamed(ctx, solution)
	var in bool
	if err == nil {
		in, err = client.HasComponent(ctx, s.ID, id)
	}
	switch {
	case err != nil:
		diags.AddError("Could not check the solution", apiErrorDetail(fmt.Sprintf("Looking up whether %s %s is in solution %q", what, id, solution), err))
		return true
	case in:
		return false
	}
	diags.AddAttributeError(path.Root("solution_unique_name"), "Existing "+what+" outside the solution",
		fmt.Sprintf("Dataverse already holds a %[1]s with id %[2]s, the id this provider gives the configured %[1]s, and it is not "+
			"in solution %[3]q. Taking it over would record a solution it is not in: Dataverse adds a %[1]s to a solution only as it "+
			"creates it.\n\nA replacement under create_before_destroy (a change of solution_unique_name) meets the %[1]s it "+
			"replaces here, since both have one id. Remove create_before_destroy from the resource for this change, so that "+
			"Terraform deletes the %[1]s before it creates it in the solution; or add the %[1]s to the solution in Power Apps (the "+
			"solution's Add existing) and apply again.", what, id, solution))
	return true
}
