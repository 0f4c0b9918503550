package provider

import (
	"context"
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
// names none of the resource's own is looked for among the others.
var importedRows = []struct {
	resourceType, noun, column string
	exists                     func(ctx context.Context, c *dataverse.Client, id string) error
}{
	{"dataverse_webhook", "webhook", "serviceendpointid", func(ctx context.Context, c *dataverse.Client, id string) error {
		_, err := c.GetWebhook(ctx, id)
		return err
	}},
	{"dataverse_webhook_step", "webhook step", "sdkmessageprocessingstepid", func(ctx context.Context, c *dataverse.Client, id string) error {
		_, err := c.GetStep(ctx, id)
		return err
	}},
	{"dataverse_webhook_step_image", "step image", "sdkmessageprocessingstepimageid", func(ctx context.Context, c *dataverse.Client, id string) error {
		_, err := c.GetStepImage(ctx, id)
		return err
	}},
}

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
	for _, r := range importedRows {
		if r.resourceType == resourceType {
			continue
		}
		if r.exists(ctx, client, id) == nil {
			diags.AddError("Import id of another kind of row",
				fmt.Sprintf("%s: it is the %s of a %s. Import it into a %s resource instead.", own, r.column, r.noun, r.resourceType))
			return
		}
	}
	diags.AddError("Nothing to import", own+" in this environment. Check the id, and that environment_url names the environment it came from.")
}
