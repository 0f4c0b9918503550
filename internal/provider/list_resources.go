package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// List resources (Terraform 1.14 and newer) let `terraform query` find the webhooks, steps and
// images an environment already has, and `-generate-config-out` write an import block (by
// identity) and a resource block for each. The resource objects they return are shaped for that
// configuration: an attribute at its default is left null, so Terraform does not write it.

// NewWebhookListResource lists dataverse_webhook.
func NewWebhookListResource() list.ListResource {
	return &webhookListResource{listBase{resourceBase{typeName: "_webhook"}}}
}

// NewWebhookStepListResource lists dataverse_webhook_step.
func NewWebhookStepListResource() list.ListResource {
	return &webhookStepListResource{listBase{resourceBase{typeName: "_webhook_step"}}}
}

// NewWebhookStepImageListResource lists dataverse_webhook_step_image.
func NewWebhookStepImageListResource() list.ListResource {
	return &webhookStepImageListResource{listBase{resourceBase{typeName: "_webhook_step_image"}}}
}

var (
	_ list.ListResourceWithConfigure      = (*webhookListResource)(nil)
	_ list.ListResourceWithConfigure      = (*webhookStepListResource)(nil)
	_ list.ListResourceWithValidateConfig = (*webhookStepListResource)(nil)
	_ list.ListResourceWithConfigure      = (*webhookStepImageListResource)(nil)
	_ list.ListResourceWithValidateConfig = (*webhookStepImageListResource)(nil)
)

// listBase holds what every list resource shares with the resource it lists: the type name and
// the provider's data.
type listBase struct{ resourceBase }

// estate reads the list block's configuration into cfg and the registrations filter then
// chooses, or sets the results that report why it could not and returns nil.
func (l *listBase) estate(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream, cfg any, filter func() dataverse.EstateFilter) *dataverse.Estate {
	diags := req.Config.Get(ctx, cfg)
	client := requireClient(l.data, &diags)
	if diags.HasError() {
		resp.Results = list.ListResultsStreamDiagnostics(diags)
		return nil
	}
	ctx, cancel := context.WithTimeout(l.data.withMasks(ctx), defaultTimeout)
	defer cancel()
	f := filter()
	est, err := client.ListEstate(ctx, f)
	if err != nil {
		detail := apiErrorDetail("Listing the registrations", err)
		switch {
		case errors.Is(err, dataverse.ErrNotWebhookStep):
			detail = fmt.Sprintf("Step %s does not fire a webhook (it may be a plug-in's step), so it has no images to adopt as dataverse_webhook_step_image.", f.StepID)
		case errors.Is(err, dataverse.ErrNotFound) && f.StepID != "":
			detail = fmt.Sprintf("No step %s exists in this environment: set step_id to the id of a step that fires a webhook, "+
				"as a list block of dataverse_webhook_step lists them.", f.StepID)
		case errors.Is(err, dataverse.ErrNotFound) && f.WebhookID != "":
			detail = fmt.Sprintf("No webhook %s exists in this environment: set webhook_id to the id of a webhook, "+
				"as a list block of dataverse_webhook lists them.", f.WebhookID)
		}
		diags.AddError("Could not list the registrations", detail)
		resp.Results = list.ListResultsStreamDiagnostics(diags)
		return nil
	}
	return est
}

// result builds one list result: identity from id and, when Terraform asks for it, the resource
// object from model. The display name is printed as it is, so it is made plain text: a name
// another tool registered must not rewrite the terminal.
func result(ctx context.Context, req list.ListRequest, id, displayName string, model any) list.ListResult {
	r := req.NewListResult(ctx)
	r.DisplayName = untrusted.PlainText(displayName)
	r.Diagnostics.Append(r.Identity.Set(ctx, rowIdentity{ID: types.StringValue(id)})...)
	if req.IncludeResource {
		r.Diagnostics.Append(r.Resource.Set(ctx, model)...)
	}
	return r
}

// stream pushes the results of n items of kind (plural, such as "webhooks"), at most limit of
// them when limit is positive. When it leaves some out, a warning comes first and says how many
// there are, so that a whole environment is not adopted short without a word; first, because
// Terraform stops reading the stream once it has limit results.
func stream(n int, limit int64, kind string, build func(i int) list.ListResult) func(func(list.ListResult) bool) {
	return func(push func(list.ListResult) bool) {
		if limit > 0 && int64(n) > limit {
			more := list.ListResult{Diagnostics: diag.Diagnostics{diag.NewWarningDiagnostic(
				fmt.Sprintf("More %s than the limit", kind),
				fmt.Sprintf("This list block found %d %s and returns the first %d, its limit. Set limit to %d or more to list them all.", n, kind, limit, n),
			)}}
			if !push(more) {
				return
			}
		}
		for i := range n {
			if limit > 0 && int64(i) >= limit {
				return
			}
			if !push(build(i)) {
				return
			}
		}
	}
}

// nullTimeouts is the timeouts block left out.
func nullTimeouts() timeouts.Value {
	return timeouts.Value{Object: types.ObjectNull(timeoutsTypes)}
}

// timeoutsTypes are the value types of the timeouts block's attributes, read from the block.
var timeoutsTypes = func() map[string]attr.Type {
	t, ok := timeoutsBlock(context.Background()).Type().(attr.TypeWithAttributeTypes)
	if !ok {
		panic("the timeouts block is not an object")
	}
	return t.AttributeTypes()
}()

// nullIf leaves v null when it equals def, the attribute's default.
func nullIf[T interface{ Equal(attr.Value) bool }](v T, def attr.Value, null T) T {
	if v.Equal(def) {
		return null
	}
	return v
}

// filterAttribute is an optional filter of a list block.
func filterAttribute(description string) listschema.Attribute {
	return listschema.StringAttribute{Optional: true, MarkdownDescription: description}
}

// checkFilters reads a list block's configuration into cfg and refuses more than one of the
// filters it names set, and a filter among guids that is not a GUID.
func checkFilters(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse, cfg any, filters func() map[string]types.String, guids ...string) {
	if resp.Diagnostics.Append(req.Config.Get(ctx, cfg)...); resp.Diagnostics.HasError() {
		return
	}
	values := filters()
	for _, name := range guids {
		v := values[name]
		if v.IsNull() || v.IsUnknown() || dataverse.IsGUID(v.ValueString()) {
			continue
		}
		resp.Diagnostics.AddAttributeError(path.Root(name), "Invalid "+name,
			fmt.Sprintf("%s must be a GUID such as 00000000-0000-0000-0000-000000000001; got %q.", name, v.ValueString()))
	}
	var set []string
	for name, v := range values {
		if !v.IsNull() {
			set = append(set, name)
		}
	}
	if len(set) > 1 {
		resp.Diagnostics.AddError("Conflicting filters", fmt.Sprintf("Set at most one of %s.", quotedList(slices.Sorted(maps.Keys(values)))))
	}
}

// --- webhooks ---

type webhookListResource struct{ listBase }

type webhookListModel struct {
	NamePrefix types.String `tfsdk:"name_prefix"`
}

func (l *webhookListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "The webhooks of the environment, sorted by name, for `terraform query`. A webhook whose URL's " +
			"query carries what looks like a key (such as an Azure Functions `code`) is listed, when results carry the resource " +
			"(`include_resource = true`, or `-generate-config-out`), with a warning naming it: configuration written from it would hold the key in plain text.",
		Attributes: map[string]listschema.Attribute{
			"name_prefix": filterAttribute("Only webhooks whose name starts with this, compared without case. Omit it for every webhook."),
		},
	}
}

func (l *webhookListResource) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	var cfg webhookListModel
	est := l.estate(ctx, req, resp, &cfg, func() dataverse.EstateFilter {
		return dataverse.EstateFilter{WebhookNamePrefix: cfg.NamePrefix.ValueString()}
	})
	if est == nil {
		return
	}
	resp.Results = stream(len(est.Webhooks), req.Limit, "webhooks", func(i int) list.ListResult {
		w := est.Webhooks[i]
		m := webhookModel{Timeouts: nullTimeouts()}
		setWebhookState(&m, &w)
		r := result(ctx, req, w.ID, w.Name, &m)
		if req.IncludeResource {
			warnSecretsInReadURLs(&r.Diagnostics, "the configuration terraform query generates", w)
		}
		return r
	})
}

// --- steps ---

type webhookStepListResource struct{ listBase }

type webhookStepListModel struct {
	WebhookID         types.String `tfsdk:"webhook_id"`
	WebhookNamePrefix types.String `tfsdk:"webhook_name_prefix"`
}

func (l *webhookStepListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Steps that fire webhooks, for `terraform query`: those of one webhook, of the webhooks " +
			"whose name starts with a prefix, or of every webhook: set at most one filter. Steps of plug-ins are never listed.",
		Attributes: map[string]listschema.Attribute{
			"webhook_id":          filterAttribute("Only the steps of this webhook (its `serviceendpointid`)."),
			"webhook_name_prefix": filterAttribute("Only the steps of webhooks whose name starts with this, compared without case."),
		},
	}
}

func (l *webhookStepListResource) ValidateListResourceConfig(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse) {
	var cfg webhookStepListModel
	checkFilters(ctx, req, resp, &cfg, func() map[string]types.String {
		return map[string]types.String{"webhook_id": cfg.WebhookID, "webhook_name_prefix": cfg.WebhookNamePrefix}
	}, "webhook_id")
}

func (l *webhookStepListResource) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	var cfg webhookStepListModel
	est := l.estate(ctx, req, resp, &cfg, func() dataverse.EstateFilter {
		return dataverse.EstateFilter{
			WebhookID: cfg.WebhookID.ValueString(), WebhookNamePrefix: cfg.WebhookNamePrefix.ValueString(), Steps: true,
		}
	})
	if est == nil {
		return
	}
	resp.Results = stream(len(est.Steps), req.Limit, "steps", func(i int) list.ListResult {
		s := est.Steps[i]
		// Images come as dataverse_webhook_step_image results, so the step manages none itself.
		m := webhookStepModel{Timeouts: nullTimeouts(), Images: types.ListNull(stepImageEntryType)}
		diags := setStepState(ctx, &m.stepAttributes, &s)
		w, _ := est.WebhookByID(s.EventHandlerID)
		withoutStepDefaults(&m, w.Name)
		r := result(ctx, req, s.ID, s.Name, &m)
		r.Diagnostics.Append(diags...)
		return r
	})
}

// withoutStepDefaults nulls the attributes a step has at their defaults, the name included when
// it is the one the provider (and the Plug-in Registration Tool) gives.
func withoutStepDefaults(m *webhookStepModel, webhookName string) {
	m.Stage = nullIf(m.Stage, types.StringValue(stepDefaults.stage.String()), types.StringNull())
	m.Mode = nullIf(m.Mode, types.StringValue(stepDefaults.mode.String()), types.StringNull())
	m.Rank = nullIf(m.Rank, types.Int64Value(stepDefaults.rank), types.Int64Null())
	m.AsyncAutoDelete = nullIf(m.AsyncAutoDelete, types.BoolValue(stepDefaults.asyncAutoDelete), types.BoolNull())
	m.Enabled = nullIf(m.Enabled, types.BoolValue(stepDefaults.enabled), types.BoolNull())
	if webhookName != "" {
		m.Name = nullIf(m.Name, types.StringValue(dataverse.DefaultStepName(webhookName, m.Message.ValueString(), m.Table.ValueString())), types.StringNull())
	}
}

// --- images ---

type webhookStepImageListResource struct{ listBase }

type webhookStepImageListModel struct {
	StepID            types.String `tfsdk:"step_id"`
	WebhookID         types.String `tfsdk:"webhook_id"`
	WebhookNamePrefix types.String `tfsdk:"webhook_name_prefix"`
}

func (l *webhookStepImageListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Images of steps that fire webhooks, for `terraform query`: those of one step, of the " +
			"steps of one webhook, of the webhooks whose name starts with a prefix, or of every webhook: set at most one filter.",
		Attributes: map[string]listschema.Attribute{
			"step_id":             filterAttribute("Only the images of this step (its `sdkmessageprocessingstepid`)."),
			"webhook_id":          filterAttribute("Only the images of the steps of this webhook (its `serviceendpointid`)."),
			"webhook_name_prefix": filterAttribute("Only the images of the steps of webhooks whose name starts with this, compared without case."),
		},
	}
}

func (l *webhookStepImageListResource) ValidateListResourceConfig(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse) {
	var cfg webhookStepImageListModel
	checkFilters(ctx, req, resp, &cfg, func() map[string]types.String {
		return map[string]types.String{"step_id": cfg.StepID, "webhook_id": cfg.WebhookID, "webhook_name_prefix": cfg.WebhookNamePrefix}
	}, "step_id", "webhook_id")
}

func (l *webhookStepImageListResource) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	var cfg webhookStepImageListModel
	est := l.estate(ctx, req, resp, &cfg, func() dataverse.EstateFilter {
		return dataverse.EstateFilter{
			StepID: cfg.StepID.ValueString(), WebhookID: cfg.WebhookID.ValueString(),
			WebhookNamePrefix: cfg.WebhookNamePrefix.ValueString(), Images: true,
		}
	})
	if est == nil {
		return
	}
	resp.Results = stream(len(est.Images), req.Limit, "images", func(i int) list.ListResult {
		img := est.Images[i]
		m := webhookStepImageModel{Timeouts: nullTimeouts()}
		diags := setStepImageState(ctx, &m, &img)
		// The name follows the alias while unset.
		m.Name = nullIf(m.Name, m.Alias, types.StringNull())
		step, _ := est.StepByID(img.StepID)
		r := result(ctx, req, img.ID, step.Name+" / "+img.EntityAlias, &m)
		r.Diagnostics.Append(diags...)
		return r
	})
}
