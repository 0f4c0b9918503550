package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Resource identity (Terraform 1.12 and newer, OpenTofu 1.12 and newer) names a row by its id
// alone, which is what `import { identity = { id = … } }` and terraform query's generated import
// blocks carry. Each resource keeps its logic; a wrapper that embeds it adds the identity schema
// and sets the identity from the state's id after every operation that writes state, so the
// resources' own files need not know about identity.

var _ resource.ResourceWithIdentity = withRowIdentity{}

// rowIdentity is the identity of every resource of this provider: the row's primary key.
type rowIdentity struct {
	ID types.String `tfsdk:"id"`
}

// rowIdentitySchema describes the id of a row; column names the primary key column.
func rowIdentitySchema(resp *resource.IdentitySchemaResponse, what, column string) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       fmt.Sprintf("The %s's `%s`, a GUID.", what, column),
			},
		},
	}
}

// identifyFromState sets identity from the id in state, unless the operation failed or removed
// the resource.
func identifyFromState(ctx context.Context, state tfsdk.State, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) {
	if diags.HasError() || identity == nil || state.Raw.IsNull() {
		return
	}
	var id types.String
	diags.Append(state.GetAttribute(ctx, path.Root("id"), &id)...)
	if diags.HasError() || id.IsNull() || id.IsUnknown() {
		return
	}
	diags.Append(identity.Set(ctx, rowIdentity{ID: id})...)
}

// identifyAfterRead sets the identity after a read. The framework wants one even when the row
// is gone and the resource leaves state, so that case keeps the identity of the prior state.
func identifyAfterRead(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	state := resp.State
	if state.Raw.IsNull() {
		state = req.State
	}
	identifyFromState(ctx, state, resp.Identity, &resp.Diagnostics)
}

// importByIdentityOr imports by the identity's id when Terraform sends an identity, and
// otherwise leaves the import id to byID, the resource's own import. Either way the identity
// then follows the state.
func importByIdentityOr(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse, what, column string,
	byID func(context.Context, resource.ImportStateRequest, *resource.ImportStateResponse)) {
	if req.ID != "" || req.Identity == nil || req.Identity.Raw.IsNull() {
		byID(ctx, req, resp)
		identifyFromState(ctx, resp.State, resp.Identity, &resp.Diagnostics)
		return
	}
	var ident rowIdentity
	resp.Diagnostics.Append(req.Identity.Get(ctx, &ident)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, _ := importTarget(ident.ID.ValueString())
	if id == "" {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Invalid import identity",
			fmt.Sprintf("The identity of a %s is its %s, a GUID such as 00000000-0000-0000-0000-000000000001; got %q.", what, column, ident.ID.ValueString()))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.Identity.Set(ctx, rowIdentity{ID: types.StringValue(id)})...)
}

// identifiableResource is what each resource of this provider implements; withRowIdentity
// passes all of it through, and ValidateConfig too where a resource has one.
type identifiableResource interface {
	resource.ResourceWithConfigure
	resource.ResourceWithImportState
	resource.ResourceWithModifyPlan
}

// withRowIdentity adds the row identity to a resource. schemaName names the row in the
// identity schema, importName in import errors, column its primary key column.
type withRowIdentity struct {
	identifiableResource
	schemaName, importName, column string
}

func (r withRowIdentity) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	rowIdentitySchema(resp, r.schemaName, r.column)
}

func (r withRowIdentity) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	if v, ok := r.identifiableResource.(resource.ResourceWithValidateConfig); ok {
		v.ValidateConfig(ctx, req, resp)
	}
}

func (r withRowIdentity) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.identifiableResource.Create(ctx, req, resp)
	identifyFromState(ctx, resp.State, resp.Identity, &resp.Diagnostics)
}

func (r withRowIdentity) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	r.identifiableResource.Read(ctx, req, resp)
	identifyAfterRead(ctx, req, resp)
}

func (r withRowIdentity) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.identifiableResource.Update(ctx, req, resp)
	identifyFromState(ctx, resp.State, resp.Identity, &resp.Diagnostics)
}

func (r withRowIdentity) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importByIdentityOr(ctx, req, resp, r.importName, r.column, r.identifiableResource.ImportState)
}
