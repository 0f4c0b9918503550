package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
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
				Optional: true,
				MarkdownDescription: "The step whose jobs to delete (its `sdkmessageprocessingstepid`), or a deleted step's: Dataverse keeps " +
					"a step's jobs after the step is deleted. Set this or `webhook_id`; a reference not known at plan counts as set.",
				Validators: []validator.String{validators.GUID()},
			},
			"webhook_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "The webhook whose steps' jobs to delete (its `serviceendpointid`): the steps it has now; a deleted " +
					"step's jobs are reached by its `step_id` only. Set this or `step_id`.",
				Validators: []validator.String{validators.GUID()},
			},
			"statuses": schema.SetAttribute{
				Required:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Which jobs: `Failed`, `Succeeded`, or both.",
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(validators.OneOf("Failed", "Succeeded")),
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
	if resp.Diagnostics.HasError() {
		return
	}
	// A reference not known yet is set all the same: two set ids are refused here, and the
	// check is made again when invoked, where references are known.
	checkOneScope(cfg, &resp.Diagnostics)
}

// checkOneScope refuses both step_id and webhook_id, or neither: a deletion must not pick one of
// two scopes it was given.
func checkOneScope(cfg deleteSystemJobsModel, diags *diag.Diagnostics) {
	if cfg.StepID.IsNull() == cfg.WebhookID.IsNull() {
		diags.AddAttributeError(path.Root("step_id"), "Set step_id or webhook_id",
			"The action deletes the jobs of one step (step_id) or of every step of one webhook (webhook_id): set exactly one.")
	}
}

func (a *deleteSystemJobsAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var cfg deleteSystemJobsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	client := requireClient(a.data, &resp.Diagnostics)
	if !resp.Diagnostics.HasError() {
		checkOneScope(cfg, &resp.Diagnostics)
	}
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
	scope, stepIDs, deletedStep := a.steps(ctx, client, cfg, resp)
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
			resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("Deleted %d %s %s of %s so far.", n, what, systemJobs(n), scope)})
		}
	})
	if err == nil && deletedStep && res.Deleted == 0 {
		noSuchStep(cfg.StepID.ValueString(), &resp.Diagnostics)
		return
	}
	summary := fmt.Sprintf("Deleted %d %s %s of %s completed more than %s ago.", res.Deleted, what, systemJobs(res.Deleted), scope, olderThan)
	if res.More {
		summary += fmt.Sprintf(" More remain than max_jobs (%d) allowed: invoke the action again.", maxJobs)
	}
	resp.SendProgress(action.InvokeProgressEvent{Message: summary})
	if err != nil {
		resp.Diagnostics.AddError("Could not delete every system job", summary+"\n\n"+apiErrorDetail("Deleting system jobs", err))
	}
}

// systemJobs is the noun for n system jobs.
func systemJobs(n int) string {
	if n == 1 {
		return "system job"
	}
	return "system jobs"
}

// steps resolves the action's scope to step ids, and names it for the report; deletedStep says
// step_id names a step that no longer exists.
func (a *deleteSystemJobsAction) steps(ctx context.Context, client *dataverse.Client, cfg deleteSystemJobsModel, resp *action.InvokeResponse) (scope string, ids []string, deletedStep bool) {
	if !cfg.StepID.IsNull() {
		scope, ok := scopeSteps(ctx, client, cfg.StepID.ValueString(), "", &resp.Diagnostics)
		if !ok {
			return "", nil, false
		}
		if scope.deletedStep {
			return "deleted step " + scope.steps[0].ID, []string{scope.steps[0].ID}, true
		}
		return fmt.Sprintf("step %q", scope.steps[0].Name), []string{scope.steps[0].ID}, false
	}
	// The webhook is read for its name, and so that a mistyped id is an error, not "0 deleted".
	w := readScope(ctx, client.GetWebhook, cfg.WebhookID.ValueString(), "webhook_id", "webhook", &resp.Diagnostics)
	if w == nil {
		return "", nil, false
	}
	steps, ok := listWebhookSteps(ctx, client, w.ID, &resp.Diagnostics)
	if !ok {
		return "", nil, false
	}
	ids = make([]string, len(steps))
	for i, s := range steps {
		ids[i] = s.ID
	}
	noun := "steps"
	if len(steps) == 1 {
		noun = "step"
	}
	return fmt.Sprintf("webhook %q (%d %s)", w.Name, len(steps), noun), ids, false
}

// jobScope is the steps whose system jobs to read. Dataverse keeps a step's jobs after the step
// is deleted, so a step_id that names no step still names its jobs: deletedStep says so, and
// the caller refuses it only when no job has it either, as a mistyped id would.
type jobScope struct {
	steps       []dataverse.Step
	deletedStep bool
}

// scopeSteps returns the scope stepID names (a step, or one deleted) or else every step of the
// webhook webhookID names, with an error on webhook_id when there is no such webhook.
func scopeSteps(ctx context.Context, client *dataverse.Client, stepID, webhookID string, diags *diag.Diagnostics) (jobScope, bool) {
	if stepID != "" {
		s, err := client.GetStep(ctx, stepID)
		switch {
		case errors.Is(err, dataverse.ErrNotFound):
			return jobScope{steps: []dataverse.Step{{ID: stepID}}, deletedStep: true}, true
		case err != nil:
			diags.AddError("Could not read the step", apiErrorDetail("Reading step "+stepID, err))
			return jobScope{}, false
		}
		return jobScope{steps: []dataverse.Step{*s}}, true
	}
	steps, ok := listWebhookSteps(ctx, client, webhookID, diags)
	return jobScope{steps: steps}, ok
}

// listWebhookSteps lists the steps of the webhook that webhook_id names, with an error on the
// attribute when Dataverse has no such webhook.
func listWebhookSteps(ctx context.Context, client *dataverse.Client, webhookID string, diags *diag.Diagnostics) ([]dataverse.Step, bool) {
	steps, err := client.ListWebhookSteps(ctx, webhookID)
	switch {
	case errors.Is(err, dataverse.ErrNotFound):
		diags.AddAttributeError(path.Root("webhook_id"), "No such webhook", noSuchRow("webhook", webhookID))
		return nil, false
	case err != nil:
		diags.AddError("Could not list the webhook's steps", apiErrorDetail("Listing the steps of webhook "+webhookID, err))
		return nil, false
	}
	return steps, true
}

// noSuchStep is the error on step_id for a step that neither exists nor left a job.
func noSuchStep(id string, diags *diag.Diagnostics) {
	diags.AddAttributeError(path.Root("step_id"), "No such step",
		noSuchRow("step", id)+" (A deleted step's jobs are still found by its id, but Dataverse holds none for this one.)")
}
