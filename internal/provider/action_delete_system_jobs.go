package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider/validators"
)

const (
	defaultMaxJobs = 1000
	maxMaxJobs     = 5000
	// jobProgressEvery is how many deletes pass between two progress messages.
	jobProgressEvery = 100
)

// NewDeleteSystemJobsAction returns the dataverse_delete_system_jobs action (Terraform 1.14).
func NewDeleteSystemJobsAction() action.Action { return &deleteSystemJobsAction{} }

type deleteSystemJobsAction struct{ data *providerData }

var (
	_ action.ActionWithConfigure      = (*deleteSystemJobsAction)(nil)
	_ action.ActionWithValidateConfig = (*deleteSystemJobsAction)(nil)
)

type deleteSystemJobsModel struct {
	StepID    types.String `tfsdk:"step_id"`
	WebhookID types.String `tfsdk:"webhook_id"`
	Statuses  types.Set    `tfsdk:"statuses"`
	OlderThan types.String `tfsdk:"older_than"`
	MaxJobs   types.Int64  `tfsdk:"max_jobs"`
}

func (a *deleteSystemJobsAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_delete_system_jobs"
}

func (a *deleteSystemJobsAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Deletes the completed system jobs (`asyncoperation` rows) that a webhook step, or every step of a " +
			"webhook, left behind: failed ones, succeeded ones or both, completed longer ago than `older_than`. Dataverse " +
			"keeps failed jobs until someone deletes them, and succeeded ones unless the step has `async_auto_delete`.\n\n" +
			"The oldest go first, at most `max_jobs` in one invocation: one query per 40 steps finds them and one request deletes each, " +
			"a few at a time, waiting as Dataverse's service protection limits ask. The action reports how many it " +
			"deleted and whether more remain. Terraform 1.14 or newer.",
		Attributes: map[string]schema.Attribute{
			"step_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "The step whose jobs to delete (its `sdkmessageprocessingstepid`). Set this or `webhook_id`.",
				Validators:          []validator.String{validators.GUID()},
			},
			"webhook_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "The webhook whose steps' jobs to delete (its `serviceendpointid`). Set this or `step_id`.",
				Validators:          []validator.String{validators.GUID()},
			},
			"statuses": schema.SetAttribute{
				Required:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Which jobs: `Failed`, `Succeeded`, or both.",
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(stringvalidator.OneOf("Failed", "Succeeded")),
				},
			},
			"older_than": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Only jobs completed longer ago than this, as a Go duration such as `720h` (30 days) " +
					"or `24h`. `0s` takes every completed job.",
				Validators: []validator.String{validators.NonNegativeDuration()},
			},
			"max_jobs": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("At most this many jobs are deleted in one invocation, between 1 and %d; "+
					"defaults to %d. Invoke the action again for more.", maxMaxJobs, defaultMaxJobs),
				Validators: []validator.Int64{int64validator.Between(1, maxMaxJobs)},
			},
		},
	}
}

func (a *deleteSystemJobsAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (a *deleteSystemJobsAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var cfg deleteSystemJobsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || cfg.StepID.IsUnknown() || cfg.WebhookID.IsUnknown() {
		return
	}
	if cfg.StepID.IsNull() == cfg.WebhookID.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("step_id"), "Set step_id or webhook_id",
			"The action deletes the jobs of one step (step_id) or of every step of one webhook (webhook_id): set exactly one.")
	}
}

func (a *deleteSystemJobsAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var cfg deleteSystemJobsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	client := requireClient(a.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(a.data.withMasks(ctx), defaultTimeout)
	defer cancel()
	olderThan, err := time.ParseDuration(cfg.OlderThan.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("older_than"), "Invalid older_than", err.Error())
		return
	}
	var statuses []string
	resp.Diagnostics.Append(cfg.Statuses.ElementsAs(ctx, &statuses, false)...)
	maxJobs := defaultMaxJobs
	if !cfg.MaxJobs.IsNull() {
		maxJobs = int(cfg.MaxJobs.ValueInt64())
	}
	scope, stepIDs := a.steps(ctx, client, cfg, resp)
	if resp.Diagnostics.HasError() {
		return
	}
	q := dataverse.JobCleanup{
		StepIDs:         stepIDs,
		Failed:          containsFold(statuses, "Failed"),
		Succeeded:       containsFold(statuses, "Succeeded"),
		CompletedBefore: time.Now().Add(-olderThan),
		Max:             maxJobs,
	}
	what := strings.ToLower(strings.Join(statuses, " and "))
	res, err := client.DeleteCompletedJobs(ctx, q, func(n int) {
		if n%jobProgressEvery == 0 {
			resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("Deleted %d %s system jobs of %s so far.", n, what, scope)})
		}
	})
	summary := fmt.Sprintf("Deleted %d %s system jobs of %s completed more than %s ago.", res.Deleted, what, scope, olderThan)
	if res.More {
		summary += fmt.Sprintf(" More remain than max_jobs (%d) allowed: invoke the action again.", maxJobs)
	}
	resp.SendProgress(action.InvokeProgressEvent{Message: summary})
	if err != nil {
		resp.Diagnostics.AddError("Could not delete every system job", summary+"\n\n"+apiErrorDetail("Deleting system jobs", err))
	}
}

// steps resolves the action's scope to step ids, and names it for the report.
func (a *deleteSystemJobsAction) steps(ctx context.Context, client *dataverse.Client, cfg deleteSystemJobsModel, resp *action.InvokeResponse) (string, []string) {
	if !cfg.StepID.IsNull() {
		steps, ok := scopeSteps(ctx, client, cfg.StepID.ValueString(), "", &resp.Diagnostics)
		if !ok {
			return "", nil
		}
		return fmt.Sprintf("step %q", steps[0].Name), []string{steps[0].ID}
	}
	// The webhook is read for its name, and so that a mistyped id is an error, not "0 deleted".
	w := readScope(ctx, client.GetWebhook, cfg.WebhookID.ValueString(), "webhook_id", "webhook", &resp.Diagnostics)
	if w == nil {
		return "", nil
	}
	steps, ok := scopeSteps(ctx, client, "", w.ID, &resp.Diagnostics)
	if !ok {
		return "", nil
	}
	ids := make([]string, len(steps))
	for i, s := range steps {
		ids[i] = s.ID
	}
	noun := "steps"
	if len(steps) == 1 {
		noun = "step"
	}
	return fmt.Sprintf("webhook %q (%d %s)", w.Name, len(steps), noun), ids
}

// scopeSteps returns the steps whose system jobs to read: the one stepID names, with an error on
// step_id when there is none, or else every step of the webhook webhookID names.
func scopeSteps(ctx context.Context, client *dataverse.Client, stepID, webhookID string, diags *diag.Diagnostics) ([]dataverse.Step, bool) {
	if stepID != "" {
		s := readScope(ctx, client.GetStep, stepID, "step_id", "step", diags)
		if s == nil {
			return nil, false
		}
		return []dataverse.Step{*s}, true
	}
	steps, err := client.ListWebhookSteps(ctx, webhookID)
	if err != nil {
		diags.AddError("Could not list the webhook's steps", apiErrorDetail("Listing the steps of webhook "+webhookID, err))
		return nil, false
	}
	return steps, true
}

// readScope reads the step or webhook (noun) whose id the attribute holds; nil when it could not,
// with an error on the attribute when the row does not exist.
func readScope[T any](ctx context.Context, get func(context.Context, string) (*T, error), id, attribute, noun string, diags *diag.Diagnostics) *T {
	row, err := get(ctx, id)
	if errors.Is(err, dataverse.ErrNotFound) {
		diags.AddAttributeError(path.Root(attribute), "No such "+noun, fmt.Sprintf("No %s has id %s.", noun, id))
		return nil
	}
	if err != nil {
		diags.AddError("Could not read the "+noun, apiErrorDetail("Reading "+noun+" "+id, err))
		return nil
	}
	return row
}
