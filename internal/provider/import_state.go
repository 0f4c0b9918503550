package provider

import (
	"context"
	"fmt"
	"strings"

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
