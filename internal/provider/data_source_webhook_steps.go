package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// NewWebhookStepsDataSource returns the dataverse_webhook_steps data source.
func NewWebhookStepsDataSource() datasource.DataSource { return &webhookStepsDataSource{} }

type webhookStepsDataSource struct{ data *providerData }

var _ datasource.DataSourceWithConfigure = (*webhookStepsDataSource)(nil)

var stepSummaryAttrTypes = map[string]attr.Type{
	"id":                   types.StringType,
	"webhook_id":           types.StringType,
	"message":              types.StringType,
	"table":                types.StringType,
	"stage":                types.StringType,
	"mode":                 types.StringType,
	"rank":                 types.Int64Type,
	"filtering_attributes": types.SetType{ElemType: types.StringType},
	"async_auto_delete":    types.BoolType,
	"enabled":              types.BoolType,
	"name":                 types.StringType,
	"description":          types.StringType,
	"run_as_user_id":       types.StringType,
	"images":               types.ListType{ElemType: types.ObjectType{AttrTypes: stepImageSummaryAttrTypes}},
}

var stepImageSummaryAttrTypes = map[string]attr.Type{
	"id":                    types.StringType,
	"name":                  types.StringType,
	"type":                  types.StringType,
	"alias":                 types.StringType,
	"attributes":            types.SetType{ElemType: types.StringType},
	"message_property_name": types.StringType,
}

type webhookStepsModel struct {
	WebhookID types.String   `tfsdk:"webhook_id"`
	Steps     types.List     `tfsdk:"steps"`
	Timeouts  timeouts.Value `tfsdk:"timeouts"`
}

func (d *webhookStepsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhook_steps"
}

func (d *webhookStepsDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the steps registered for a webhook, with the same attributes as `dataverse_webhook_step`, " +
			"ordered by message, table, stage and rank, and the images of each step (`dataverse_webhook_step_image`).",
		Attributes: map[string]schema.Attribute{
			"webhook_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "ID of the webhook (`serviceendpointid`).",
				Validators:          []validator.String{guidValidator{}},
			},
			"steps": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The steps of the webhook.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":                   computedString("The `sdkmessageprocessingstepid`."),
					"webhook_id":           computedString("ID of the webhook the step fires."),
					"message":              computedString("Message name, such as `Update`."),
					"table":                computedString("Primary table logical name; null for messages with no table."),
					"stage":                computedString("`PreValidation`, `PreOperation` or `PostOperation`."),
					"mode":                 computedString("`Synchronous` or `Asynchronous`."),
					"rank":                 schema.Int64Attribute{Computed: true, MarkdownDescription: "Execution order within the stage."},
					"filtering_attributes": schema.SetAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Columns whose change fires the step; null when any change does."},
					"async_auto_delete":    schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether a succeeded system job is deleted."},
					"enabled":              schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the step fires."},
					"name":                 computedString("Name."),
					"description":          computedString("Description; null when empty."),
					"run_as_user_id":       computedString("The `systemuser` the step runs as; null for the calling user."),
					"images": schema.ListNestedAttribute{
						Computed:            true,
						MarkdownDescription: "The images of the step, ordered by name.",
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"id":                    computedString("The `sdkmessageprocessingstepimageid`."),
							"name":                  computedString("Name."),
							"type":                  computedString("`PreImage`, `PostImage` or `Both`."),
							"alias":                 computedString("Key of the image in `PreEntityImages` and `PostEntityImages`."),
							"attributes":            schema.SetAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Columns the image carries; null when it carries every column."},
							"message_property_name": computedString("The message parameter whose row the image snapshots, such as `Target`."),
						}},
					},
				}},
			},
		},
		Blocks: map[string]schema.Block{"timeouts": dataSourceTimeoutsBlock(ctx)},
	}
}

func (d *webhookStepsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *webhookStepsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m webhookStepsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	client := requireClient(d.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := d.data.readContext(ctx, m.Timeouts, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	steps, err := client.ListWebhookSteps(ctx, m.WebhookID.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Could not list the webhook's steps", apiErrorDetail(fmt.Sprintf("Listing the steps of webhook %s", m.WebhookID.ValueString()), err))
		return
	}
	sortSteps(steps)
	ids := make([]string, len(steps))
	for i, st := range steps {
		ids[i] = st.ID
	}
	images, err := client.ListImagesOfSteps(ctx, ids)
	if err != nil {
		resp.Diagnostics.AddError("Could not list the images of the webhook's steps", apiErrorDetail(fmt.Sprintf("Listing the step images of webhook %s", m.WebhookID.ValueString()), err))
		return
	}
	items := make([]attr.Value, 0, len(steps))
	for i := range steps {
		obj, diags := stepSummary(ctx, &steps[i], images[strings.ToLower(steps[i].ID)])
		resp.Diagnostics.Append(diags...)
		items = append(items, obj)
	}
	list, diags := types.ListValue(types.ObjectType{AttrTypes: stepSummaryAttrTypes}, items)
	resp.Diagnostics.Append(diags...)
	m.Steps = list
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func sortSteps(steps []dataverse.Step) {
	sort.SliceStable(steps, func(i, j int) bool {
		a, b := steps[i], steps[j]
		switch {
		case a.Message != b.Message:
			return a.Message < b.Message
		case a.Table != b.Table:
			return a.Table < b.Table
		case a.Stage != b.Stage:
			return a.Stage < b.Stage
		default:
			return a.Rank < b.Rank
		}
	})
}

func stepSummary(ctx context.Context, s *dataverse.Step, images []dataverse.StepImage) (types.Object, diag.Diagnostics) {
	var m webhookStepModel
	m.FilteringAttributes = types.SetNull(types.StringType)
	m.RunAsUserID = types.StringNull()
	diags := setStepState(ctx, &m, s)
	obj, d := types.ObjectValue(stepSummaryAttrTypes, map[string]attr.Value{
		"id":                   m.ID,
		"webhook_id":           types.StringValue(strings.ToLower(s.EventHandlerID)),
		"message":              m.Message,
		"table":                m.Table,
		"stage":                m.Stage,
		"mode":                 m.Mode,
		"rank":                 m.Rank,
		"filtering_attributes": m.FilteringAttributes,
		"async_auto_delete":    m.AsyncAutoDelete,
		"enabled":              m.Enabled,
		"name":                 m.Name,
		"description":          m.Description,
		"run_as_user_id":       m.RunAsUserID,
		"images":               stepImageSummaries(ctx, images, &diags),
	})
	diags.Append(d...)
	return obj, diags
}

func stepImageSummaries(ctx context.Context, images []dataverse.StepImage, diags *diag.Diagnostics) types.List {
	elemType := types.ObjectType{AttrTypes: stepImageSummaryAttrTypes}
	items := make([]attr.Value, 0, len(images))
	for i := range images {
		var m webhookStepImageModel
		m.Attributes = types.SetNull(types.StringType)
		diags.Append(setStepImageState(ctx, &m, &images[i])...)
		obj, d := types.ObjectValue(stepImageSummaryAttrTypes, map[string]attr.Value{
			"id":                    m.ID,
			"name":                  m.Name,
			"type":                  m.Type,
			"alias":                 m.Alias,
			"attributes":            m.Attributes,
			"message_property_name": m.MessagePropertyName,
		})
		diags.Append(d...)
		items = append(items, obj)
	}
	list, d := types.ListValue(elemType, items)
	diags.Append(d...)
	return list
}
