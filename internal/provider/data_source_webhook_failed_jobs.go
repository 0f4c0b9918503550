package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider/validators"
)

const (
	failedJobsDefaultTop = 50
	failedJobsMaxTop     = 5000
)

// NewWebhookFailedJobsDataSource returns the dataverse_webhook_failed_jobs data source.
func NewWebhookFailedJobsDataSource() datasource.DataSource {
	return &failedJobsDataSource{dataSourceBase{typeName: "_webhook_failed_jobs"}}
}

type failedJobsDataSource struct{ dataSourceBase }

var (
	_ datasource.DataSourceWithConfigure        = (*failedJobsDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*failedJobsDataSource)(nil)
)

// failedJobModel is one element of the jobs list; its tags name the nested attributes.
type failedJobModel struct {
	ID              types.String `tfsdk:"id"`
	Name            types.String `tfsdk:"name"`
	StepID          types.String `tfsdk:"step_id"`
	StepName        types.String `tfsdk:"step_name"`
	WebhookID       types.String `tfsdk:"webhook_id"`
	WebhookName     types.String `tfsdk:"webhook_name"`
	MessageName     types.String `tfsdk:"message_name"`
	RecordTable     types.String `tfsdk:"record_table"`
	RecordID        types.String `tfsdk:"record_id"`
	CorrelationID   types.String `tfsdk:"correlation_id"`
	HTTPStatus      types.Int64  `tfsdk:"http_status"`
	ErrorCode       types.String `tfsdk:"error_code"`
	FriendlyMessage types.String `tfsdk:"friendly_message"`
	Message         types.String `tfsdk:"message"`
	RetryCount      types.Int64  `tfsdk:"retry_count"`
	CreatedOn       types.String `tfsdk:"created_on"`
	StartedOn       types.String `tfsdk:"started_on"`
	CompletedOn     types.String `tfsdk:"completed_on"`
}

type failedJobsModel struct {
	StepID    types.String     `tfsdk:"step_id"`
	WebhookID types.String     `tfsdk:"webhook_id"`
	Since     types.String     `tfsdk:"since"`
	Top       types.Int64      `tfsdk:"top"`
	Jobs      []failedJobModel `tfsdk:"jobs"`
	Timeouts  timeouts.Value   `tfsdk:"timeouts"`
}

func (d *failedJobsDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the failed system jobs (`asyncoperation` rows with status reason Failed, `31`) of an " +
			"asynchronous webhook step, or of every step of a webhook, newest first. Use it in a `check` block to " +
			"warn when a webhook has been failing. Each job says what the person on call needs: which webhook and step " +
			"failed, the row whose change triggered it, the HTTP status the endpoint answered, the error code as " +
			"Microsoft documents it, the correlation id to quote to Microsoft support, and when it was queued, started " +
			"and gave up.",
		Attributes: map[string]schema.Attribute{
			"step_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "ID of one step, or of a deleted one: Dataverse keeps a step's jobs after the step is deleted " +
					"(then `step_name` and the webhook attributes are null). A synchronous step records no jobs, and is warned of. " +
					"Set exactly one of `step_id` and `webhook_id`.",
				Validators: []validator.String{validators.GUID()},
			},
			"webhook_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "ID of a webhook: the failed jobs of the steps it has now (a deleted step's jobs are read by its `step_id`). " +
					"Set exactly one of `step_id` and `webhook_id`.",
				Validators: []validator.String{validators.GUID()},
			},
			"since": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Only jobs completed at or after this time, in RFC 3339 such as `2024-05-01T00:00:00Z`; " +
					"for a sliding window use `timeadd(plantimestamp(), \"-24h\")`.",
				Validators: []validator.String{validators.RFC3339Timestamp()},
			},
			"top": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("Most jobs to return, newest first. Defaults to %d; at most %d. When more jobs match, the read warns that the list is cut short.", failedJobsDefaultTop, failedJobsMaxTop),
				Validators:          []validator.Int64{int64validator.Between(1, failedJobsMaxTop)},
			},
			"jobs": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The failed jobs, newest first.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":           computedString("The system job's `asyncoperationid`."),
					"name":         computedString("Name of the system job: Dataverse gives it the step's name."),
					"step_id":      computedString("The step that ran (`owningextensionid`)."),
					"step_name":    computedString("Name of that step."),
					"webhook_id":   computedString("The webhook the step fires (the step's `eventhandler`)."),
					"webhook_name": computedString("Name of that webhook: use it in a `check` block's message instead of a literal."),
					"message_name": computedString("The message that triggered the job (`messagename`), such as `Update`."),
					"record_table": computedString("Logical name of the table of the row whose change triggered the job, such as " +
						"`account` (the table of `regardingobjectid`). Null when Dataverse recorded no row (a job of a `Delete` may carry none)."),
					"record_id": computedString("ID of that row (`regardingobjectid`). Null when Dataverse recorded none."),
					"correlation_id": computedString("The `correlationid` shared by the request that made the change, the " +
						"webhook request (its `x-ms-correlation-request-id` header) and this job: quote it to find the " +
						"delivery in the endpoint's logs or to Microsoft support."),
					"http_status": schema.Int64Attribute{Computed: true, MarkdownDescription: "The HTTP status the endpoint " +
						"answered, read from `message`; null when it answered none (a timeout, a refused connection or an " +
						"unusable secret)."},
					"error_code": computedString("The error code in Microsoft's hexadecimal form (the column holds it as a " +
						"signed number), as Dataverse's webhook sender raises them: `0x80050201` the endpoint answered a non-2xx " +
						"status, `0x80050202` it timed out (after 60 s unless the organization set another limit), `0x80050203` " +
						"the header secret is unusable, `0x80050204` the query-string secret is unusable, `0x80050205` any other " +
						"failure to send, `0x80050207` the body is too large even without its images, input parameters and " +
						"parent context, so nothing was sent."),
					"friendly_message": computedString("Message for people (`friendlymessage`)."),
					"message":          computedString("Technical message (`message`) in the sender's words, with the organization, the endpoint's id and name; for `0x80050201` also the status and the retry count, for `0x80050203` and `0x80050204` the reason the secret could not be used, for `0x80050207` the size."),
					"retry_count":      schema.Int64Attribute{Computed: true, MarkdownDescription: "How many times the asynchronous service ran the job again (`retrycount`). The one extra attempt after a `502`, `503` or `504` happens within a single run and is not counted; the technical `message` gives its count."},
					"created_on":       computedString("When the job was queued (`createdon`), RFC 3339: the time of the change."),
					"started_on":       computedString("When the delivery started (`startedon`), RFC 3339."),
					"completed_on":     computedString("When Dataverse gave up (`completedon`), RFC 3339."),
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

func (d *failedJobsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m failedJobsModel
	ctx, cancel, client := d.startRead(ctx, req.Config, &m, &m.Timeouts, &resp.Diagnostics)
	defer cancel()
	if client == nil {
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
	// The steps asked about, by id, and the webhook they fire. A mistyped step id is an error,
	// which would otherwise read as "no failures" forever.
	scope, ok := scopeSteps(ctx, client, m.StepID.ValueString(), m.WebhookID.ValueString(), &resp.Diagnostics)
	if !ok {
		return
	}
	warnOfSynchronousScope(m, scope, &resp.Diagnostics)
	webhookID := m.WebhookID.ValueString()
	if !m.StepID.IsNull() {
		webhookID = ""
		if scope.steps[0].HandlerIsWebhook {
			webhookID = scope.steps[0].EventHandlerID
		}
	}
	stepNames := map[string]string{}
	for _, s := range scope.steps {
		q.StepIDs = append(q.StepIDs, s.ID)
		stepNames[strings.ToLower(s.ID)] = s.Name
	}

	var jobs []dataverse.SystemJob
	if len(q.StepIDs) > 0 {
		var beyond dataverse.JobsBeyond
		var err error
		jobs, beyond, err = client.ListFailedJobsUpTo(ctx, q)
		if err != nil {
			resp.Diagnostics.AddError("Could not list failed system jobs", apiErrorDetail("Listing failed system jobs", err))
			return
		}
		if cutShort := cutShortWarning(beyond, q.Top); cutShort != "" {
			resp.Diagnostics.AddAttributeWarning(path.Root("top"), "More failed jobs than top", cutShort)
		}
	}
	if scope.deletedStep && len(jobs) == 0 {
		noSuchStep(m.StepID.ValueString(), &resp.Diagnostics)
		return
	}
	webhookName := ""
	if len(jobs) > 0 && webhookID != "" {
		// Only when there is something to report: a healthy webhook costs no extra request.
		var known bool
		if webhookName, known = client.KnownWebhookName(webhookID); !known {
			w, err := client.GetWebhook(ctx, webhookID)
			if err != nil {
				resp.Diagnostics.AddError("Could not read the webhook", apiErrorDetail(fmt.Sprintf("Reading webhook %s", webhookID), err))
				return
			}
			webhookName = w.Name
		}
	}
	m.Jobs = make([]failedJobModel, 0, len(jobs))
	for _, j := range jobs {
		httpStatus := types.Int64Null()
		if n := j.HTTPStatus(); n != 0 {
			httpStatus = types.Int64Value(int64(n))
		}
		m.Jobs = append(m.Jobs, failedJobModel{
			ID:              types.StringValue(j.ID),
			Name:            stringOrNull(j.Name),
			StepID:          stringOrNull(j.StepID),
			StepName:        stringOrNull(stepNames[strings.ToLower(j.StepID)]),
			WebhookID:       stringOrNull(webhookID),
			WebhookName:     stringOrNull(webhookName),
			MessageName:     stringOrNull(j.MessageName),
			RecordTable:     stringOrNull(j.RecordTable),
			RecordID:        stringOrNull(j.RecordID),
			CorrelationID:   stringOrNull(j.CorrelationID),
			HTTPStatus:      httpStatus,
			ErrorCode:       stringOrNull(dataverse.ErrorCodeHex(j.ErrorCode)),
			FriendlyMessage: stringOrNull(j.FriendlyMessage),
			Message:         stringOrNull(j.Message),
			RetryCount:      types.Int64Value(int64(j.RetryCount)),
			CreatedOn:       timeValue(j.CreatedOn),
			StartedOn:       timeValue(j.StartedOn),
			CompletedOn:     timeValue(j.CompletedOn),
		})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// cutShortWarning says, for a list of top jobs, that more match or may: a count of the jobs is
// then a lower bound.
func cutShortWarning(beyond dataverse.JobsBeyond, top int) string {
	switch beyond {
	case dataverse.JobsBeyondTop:
		return fmt.Sprintf("More than %d failed jobs match, and jobs holds the newest %d: a count of jobs is a lower bound. "+
			"Set top to a larger value (at most %d) to list more, or since to a later time to look at fewer.", top, top, failedJobsMaxTop)
	case dataverse.MaybeJobsBeyond:
		return fmt.Sprintf("jobs holds the newest %d failed jobs, the most one read lists, and more may match: a count of jobs "+
			"is a lower bound. Set since to a later time to look at fewer.", top)
	}
	return ""
}

// warnOfSynchronousScope warns when nothing asked about can record a job: a failed synchronous
// delivery fails the operation that fired it and leaves no system job, so an empty list would
// read as an all-clear it is not.
func warnOfSynchronousScope(m failedJobsModel, scope jobScope, diags *diag.Diagnostics) {
	if scope.deletedStep || len(scope.steps) == 0 {
		return
	}
	for _, s := range scope.steps {
		if s.Mode != dataverse.StepModeSynchronous {
			return
		}
	}
	const why = "When a synchronous step's webhook fails, Dataverse fails the operation that fired it and records no system job, " +
		"so this data source cannot report those failures; it lists only jobs left from when a step was asynchronous. " +
		"Watch for them where the operation runs, or make the step asynchronous (mode = \"Asynchronous\", stage = \"PostOperation\")."
	if !m.StepID.IsNull() {
		s := scope.steps[0]
		diags.AddAttributeWarning(path.Root("step_id"), "Synchronous step records no failed jobs",
			fmt.Sprintf("Step %q (%s) is synchronous. %s", s.Name, s.ID, why))
		return
	}
	diags.AddAttributeWarning(path.Root("webhook_id"), "No asynchronous step records failed jobs",
		fmt.Sprintf("Every step of webhook %s is synchronous. %s", m.WebhookID.ValueString(), why))
}
