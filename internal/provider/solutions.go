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

// checkChangedSolution refuses at plan a solution_unique_name that changes on an existing row to
// a solution the environment does not have, or a managed one. Such a change replaces the row
// (solutionRequiresReplace): Terraform would delete it, and Dataverse the rows below it, before
// the create that fails. Where none was recorded, a wrong name would be recorded unnoticed. A
// new row's solution is checked by its create, which loses nothing when it fails.
func checkChangedSolution(ctx context.Context, data *providerData, req resource.ModifyPlanRequest, what string, diags *diag.Diagnostics) {
	if data == nil || data.client == nil || req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	at := path.Root("solution_unique_name")
	var planned, prior types.String
	diags.Append(req.Plan.GetAttribute(ctx, at, &planned)...)
	diags.Append(req.State.GetAttribute(ctx, at, &prior)...)
	if diags.HasError() || planned.IsNull() || planned.IsUnknown() || planned.Equal(prior) {
		return
	}
	name := planned.ValueString()
	consequence := "Terraform would record it for the " + what + " without checking it."
	if !prior.IsNull() {
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
	}
}
