package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider/validators"
)

// NewWebhookStepsDataSource returns the dataverse_webhook_steps data source.
func NewWebhookStepsDataSource() datasource.DataSource {
	return &webhookStepsDataSource{dataSourceBase{typeName: "_webhook_steps"}}
}

type webhookStepsDataSource struct{ dataSourceBase }

var _ datasource.DataSourceWithConfigure = (*webhookStepsDataSource)(nil)

// stepSummaryModel is one element of the steps list: the attributes of dataverse_webhook_step
// but the solution, with its images, all of them, as the images attribute of that resource
// lists those it manages.
type stepSummaryModel struct {
	stepAttributes
	Images []stepImageEntry `tfsdk:"images"`
}

type webhookStepsModel struct {
	WebhookID types.String       `tfsdk:"webhook_id"`
	Steps     []stepSummaryModel `tfsdk:"steps"`
	Timeouts  timeouts.Value     `tfsdk:"timeouts"`
}

func (d *webhookStepsDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the steps registered for a webhook, with the same attributes as `dataverse_webhook_step`, " +
			"ordered by message, table, stage and rank, and the images of each step (`dataverse_webhook_step_image`).",
		Attributes: map[string]schema.Attribute{
			"webhook_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "ID of the webhook (`serviceendpointid`).",
				Validators:          []validator.String{validators.GUID()},
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

func (d *webhookStepsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m webhookStepsModel
	ctx, cancel, client := d.startRead(ctx, req.Config, &m, &m.Timeouts, &resp.Diagnostics)
	defer cancel()
	if client == nil {
		return
	}
	steps, ok := listWebhookSteps(ctx, client, m.WebhookID.ValueString(), &resp.Diagnostics)
	if !ok {
		return
	}
	sortStepsByMessageTableStageRank(steps)
	ids := make([]string, len(steps))
	for i, st := range steps {
		ids[i] = st.ID
	}
	images, err := client.ListImagesOfSteps(ctx, ids)
	if err != nil {
		resp.Diagnostics.AddError("Could not list the images of the webhook's steps", apiErrorDetail(fmt.Sprintf("Listing the step images of webhook %s", m.WebhookID.ValueString()), err))
		return
	}
	m.Steps = make([]stepSummaryModel, 0, len(steps))
	for i := range steps {
		m.Steps = append(m.Steps, stepSummary(ctx, &steps[i], images[strings.ToLower(steps[i].ID)], &resp.Diagnostics))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// sortStepsByMessageTableStageRank orders a webhook's steps by the event they fire on, then by
// the order in which they run.
func sortStepsByMessageTableStageRank(steps []dataverse.Step) {
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

func stepSummary(ctx context.Context, s *dataverse.Step, images []dataverse.StepImage, diags *diag.Diagnostics) stepSummaryModel {
	m := stepSummaryModel{Images: make([]stepImageEntry, 0, len(images))}
	diags.Append(setStepState(ctx, &m.stepAttributes, s)...)
	for i := range images {
		m.Images = append(m.Images, imageEntryFrom(ctx, types.SetNull(types.StringType), &images[i], diags))
	}
	return m
}
