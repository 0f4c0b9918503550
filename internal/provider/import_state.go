package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// importTarget reads an import id: a GUID (any case, optionally in braces) is a row id;
// anything else is a name to look up, with surrounding spaces removed.
func importTarget(raw string) (id, name string) {
	s := strings.TrimSpace(raw)
	g := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if dataverse.IsGUID(g) {
		return strings.ToLower(g), ""
	}
	return "", s
}

// importByID imports a resource by its row id (a GUID); what names the resource and column
// its key for the error, which hint completes.
func importByID(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse, what, column, hint string) {
	id, _ := importTarget(req.ID)
	if id == "" {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("Import a %s by its %s, a GUID such as 00000000-0000-0000-0000-000000000001; got %q. %s", what, column, req.ID, hint))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}

// importedRows are the rows this provider's resources manage, in the order an import id that
// names none of the resource's own is looked for among the others. exists returns ErrNotFound
// for no such row, and errNotManaged for a row of the table that no resource here manages.
var importedRows = []struct {
	resourceType, noun, column string
	exists                     func(ctx context.Context, c *dataverse.Client, id string) error
}{
	{"dataverse_webhook", "webhook", "serviceendpointid", func(ctx context.Context, c *dataverse.Client, id string) error {
		_, err := c.GetWebhook(ctx, id)
		if errors.Is(err, dataverse.ErrNotWebhook) {
			return errNotManaged
		}
		return err
	}},
	{"dataverse_webhook_step", "webhook step", "sdkmessageprocessingstepid", func(ctx context.Context, c *dataverse.Client, id string) error {
		step, err := c.GetStep(ctx, id)
		if err == nil && !step.HandlerIsWebhook {
			return errNotManaged
		}
		return err
	}},
	{"dataverse_webhook_step_image", "step image", "sdkmessageprocessingstepimageid", func(ctx context.Context, c *dataverse.Client, id string) error {
		img, err := c.GetStepImage(ctx, id)
		if err != nil {
			return err
		}
		if step, err := c.GetStep(ctx, img.StepID); err == nil && !step.HandlerIsWebhook {
			return errNotManaged
		}
		return nil
	}},
}

// errNotManaged is a row of a table the provider's resources manage that none of them takes:
// a service endpoint that is not a webhook, a step of a plug-in, an image of such a step.
var errNotManaged = errors.New("not managed by this provider")

// importedIDNotFound reports an import whose id names no row of resourceType: Terraform's own
// error says only that the object does not exist. When the id is a row that another of this
// provider's resources manages, as a step's id given to dataverse_webhook, it says which one.
// It asks only when the import already failed.
func importedIDNotFound(ctx context.Context, client *dataverse.Client, resourceType, id string, diags *diag.Diagnostics) {
	var own string
	for _, r := range importedRows {
		if r.resourceType == resourceType {
			own = fmt.Sprintf("No %s has %s %s", r.noun, r.column, id)
		}
	}
	var unchecked error
	for _, r := range importedRows {
		if r.resourceType == resourceType {
			continue
		}
		switch err := r.exists(ctx, client, id); {
		case err == nil:
			diags.AddError("Import id of another kind of row",
				fmt.Sprintf("%s: it is the %s of a %s. Import it into a %s resource instead.", own, r.column, r.noun, r.resourceType))
			return
		case errors.Is(err, errNotManaged):
			diags.AddError("Import id of a row this provider does not manage",
				fmt.Sprintf("%s: it is the %s of a row that does not belong to a webhook (a plug-in's step, or a service endpoint of another kind), "+
					"which no resource of this provider manages.", own, r.column))
			return
		case !errors.Is(err, dataverse.ErrNotFound) && unchecked == nil:
			unchecked = err
		}
	}
	if unchecked != nil {
		diags.AddError("Nothing to import", own+". Whether it is a row of another kind could not be checked: "+
			apiErrorDetail("Looking for "+id, unchecked))
		return
	}
	diags.AddError("Nothing to import", own+" in this environment. Check the id, and that environment_url names the environment it came from.")
}
