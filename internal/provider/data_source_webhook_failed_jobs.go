package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

const (
	failedJobsDefaultTop = 50
	failedJobsMaxTop     = 5000
)

// NewWebhookFailedJobsDataSource returns the dataverse_webhook_failed_jobs data source.
func NewWebhookFailedJobsDataSource() datasource.DataSource { return &failedJobsDataSource{} }

type failedJobsDataSource struct{ data *providerData }

var (
	_ datasource.DataSourceWithConfigure        = (*failedJobsDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*failedJobsDataSource)(nil)
)

var jobAttrTypes = map[string]attr.Type{
	"id":               types.StringType,
	"name":             types.StringType,
	"step_id":          types.StringType,
	"friendly_message": types.StringType,
	"message":          types.StringType,
	"error_code":       types.Int64Type,
	"created_on":       types.StringType,
	"completed_on":     types.StringType,
}

type failedJobsModel struct {
	StepID    types.String   `tfsdk:"step_id"`
	WebhookID types.String   `tfsdk:"webhook_id"`
	Since     types.String   `tfsdk:"since"`
	Top       types.Int64    `tfsdk:"top"`
	Jobs      types.List     `tfsdk:"jobs"`
	Timeouts  timeouts.Value `tfsdk:"timeouts"`
}

func (d *failedJobsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhook_failed_jobs"
}

func (d *failedJobsDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the failed system jobs (`asyncoperation` rows with status reason Failed, `31`) of an " +
			"asynchronous webhook step, or of every step of a webhook, newest first. Use it in a `check` block to " +
			"warn when a webhook has been failing.",
		Attributes: map[string]schema.Attribute{
			"step_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "ID of one step. Set exactly one of `step_id` and `webhook_id`.",
				Validators:          []validator.String{guidValidator{}},
			},
			"webhook_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "ID of a webhook: the failed jobs of all its steps. Set exactly one of `step_id` and `webhook_id`.",
				Validators:          []validator.String{guidValidator{}},
			},
			"since": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Only jobs completed at or after this time, in RFC 3339 such as `2024-05-01T00:00:00Z`; " +
					"for a sliding window use `timeadd(plantimestamp(), \"-24h\")`.",
				Validators: []validator.String{rfc3339Validator{}},
			},
			"top": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("Most jobs to return, newest first. Defaults to %d; at most %d.", failedJobsDefaultTop, failedJobsMaxTop),
				Validators:          []validator.Int64{int64validator.Between(1, failedJobsMaxTop)},
			},
			"jobs": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The failed jobs, newest first.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":               computedString("The `asyncoperationid`."),
					"name":             computedString("Name of the system job."),
					"step_id":          computedString("The step that ran (`owningextensionid`)."),
					"friendly_message": computedString("Message for people."),
					"message":          computedString("Technical message."),
					"error_code":       schema.Int64Attribute{Computed: true, MarkdownDescription: "Dataverse error code."},
					"created_on":       computedString("Creation time, RFC 3339."),
					"completed_on":     computedString("Completion time, RFC 3339."),
				}},
			},
		},
		Blocks: map[string]schema.Block{"timeouts": dataSourceTimeoutsBlock(ctx)},
	}
}

func (d *failedJobsDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("step_id"), path.MatchRoot("webhook_id")),
	}
}

func (d *failedJobsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *failedJobsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m failedJobsModel
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

	q := dataverse.FailedJobsQuery{Top: failedJobsDefaultTop}
	if !m.Top.IsNull() {
		q.Top = int(m.Top.ValueInt64())
	}
	if !m.Since.IsNull() {
		since, err := time.Parse(time.RFC3339, m.Since.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("since"), "Invalid since", err.Error())
			return
		}
		q.Since = since
	}
	if !m.StepID.IsNull() {
		// A mistyped id would otherwise read as "no failures" forever.
		if _, err := client.GetStep(ctx, m.StepID.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("step_id"), "Could not read the step", apiErrorDetail(fmt.Sprintf("Reading step %s", m.StepID.ValueString()), err))
			return
		}
		q.StepIDs = []string{m.StepID.ValueString()}
	} else {
		steps, err := client.ListWebhookSteps(ctx, m.WebhookID.ValueString())
		if err != nil {
			resp.Diagnostics.AddError("Could not list the webhook's steps", apiErrorDetail(fmt.Sprintf("Listing the steps of webhook %s", m.WebhookID.ValueString()), err))
			return
		}
		for _, s := range steps {
			q.StepIDs = append(q.StepIDs, s.ID)
		}
	}

	var jobs []dataverse.SystemJob
	if len(q.StepIDs) > 0 {
		var err error
		jobs, err = client.ListFailedJobs(ctx, q)
		if err != nil {
			resp.Diagnostics.AddError("Could not list failed system jobs", apiErrorDetail("Listing failed system jobs", err))
			return
		}
	}
	items := make([]attr.Value, 0, len(jobs))
	for _, j := range jobs {
		obj, diags := types.ObjectValue(jobAttrTypes, map[string]attr.Value{
			"id":               types.StringValue(j.ID),
			"name":             stringOrNull(j.Name),
			"step_id":          stringOrNull(j.StepID),
			"friendly_message": stringOrNull(j.FriendlyMessage),
			"message":          stringOrNull(j.Message),
			"error_code":       types.Int64Value(int64(j.ErrorCode)),
			"created_on":       timeValue(j.CreatedOn),
			"completed_on":     timeValue(j.CompletedOn),
		})
		resp.Diagnostics.Append(diags...)
		items = append(items, obj)
	}
	list, diags := types.ListValue(types.ObjectType{AttrTypes: jobAttrTypes}, items)
	resp.Diagnostics.Append(diags...)
	m.Jobs = list
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// rfc3339Validator accepts timestamps such as 2024-05-01T00:00:00Z.
type rfc3339Validator struct{}

func (rfc3339Validator) Description(context.Context) string {
	return "an RFC 3339 timestamp such as 2024-05-01T00:00:00Z"
}

func (v rfc3339Validator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v rfc3339Validator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := time.Parse(time.RFC3339, req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid timestamp",
			fmt.Sprintf("%s must be %s; got %q.", req.Path, v.Description(ctx), req.ConfigValue.ValueString()))
	}
}
