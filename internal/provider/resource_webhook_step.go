package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

const (
	stepNameMax        = 256
	stepDescriptionMax = 256
	updateMessage      = "Update"
)

// NewWebhookStepResource returns the dataverse_webhook_step resource.
func NewWebhookStepResource() resource.Resource { return &webhookStepResource{} }

type webhookStepResource struct{ data *providerData }

var (
	_ resource.ResourceWithConfigure      = (*webhookStepResource)(nil)
	_ resource.ResourceWithImportState    = (*webhookStepResource)(nil)
	_ resource.ResourceWithValidateConfig = (*webhookStepResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*webhookStepResource)(nil)
)

type webhookStepModel struct {
	ID                  types.String   `tfsdk:"id"`
	WebhookID           types.String   `tfsdk:"webhook_id"`
	Message             types.String   `tfsdk:"message"`
	Table               types.String   `tfsdk:"table"`
	Stage               types.String   `tfsdk:"stage"`
	Mode                types.String   `tfsdk:"mode"`
	Rank                types.Int64    `tfsdk:"rank"`
	FilteringAttributes types.Set      `tfsdk:"filtering_attributes"`
	AsyncAutoDelete     types.Bool     `tfsdk:"async_auto_delete"`
	Enabled             types.Bool     `tfsdk:"enabled"`
	Name                types.String   `tfsdk:"name"`
	Description         types.String   `tfsdk:"description"`
	RunAsUserID         types.String   `tfsdk:"run_as_user_id"`
	SolutionUniqueName  types.String   `tfsdk:"solution_unique_name"`
	Timeouts            timeouts.Value `tfsdk:"timeouts"`
}

func (r *webhookStepResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhook_step"
}

func (r *webhookStepResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A step that fires a webhook: an `sdkmessageprocessingstep` whose event handler is a " +
			"`dataverse_webhook`. It names the message (such as `Update`) and table (such as `account`) that trigger it, " +
			"where in the event pipeline it runs, and whether Dataverse waits for it.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("The step's `sdkmessageprocessingstepid`."),
			"webhook_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "ID of the `dataverse_webhook` the step fires. Changing it moves the step to the other webhook in place.",
				Validators:          []validator.String{guidValidator{}},
			},
			"message": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Name of the `sdkmessage` that fires the step, such as `Create`, `Update`, `Delete`, " +
					"`Assign` or `SetState`. Changing it updates in place.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"table": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Logical name of the primary table, such as `account`. Omit it for messages that " +
					"have no table. Changing it updates in place.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"stage": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(dataverse.StepStagePostOperation.String()),
				MarkdownDescription: "Where in the event pipeline the step runs: " + quotedList(dataverse.StepStageNames()) +
					". Defaults to `PostOperation`. Asynchronous steps must be `PostOperation`. Updates in place.",
				Validators: []validator.String{stringvalidator.OneOf(dataverse.StepStageNames()...)},
			},
			"mode": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(dataverse.StepModeAsynchronous.String()),
				MarkdownDescription: "`Asynchronous` (the default) queues a system job and records failures in it; " +
					"`Synchronous` runs inside the operation, whose failure then fails the user's change. Updates in place.",
				Validators: []validator.String{stringvalidator.OneOf(dataverse.StepModeNames()...)},
			},
			"rank": schema.Int64Attribute{
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(1),
				MarkdownDescription: "Execution order among steps of the same stage, lowest first. Defaults to `1`. Updates in place.",
				Validators:          []validator.Int64{int64validator.AtLeast(0)},
			},
			"filtering_attributes": schema.SetAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Column logical names whose change fires the step; only with the `Update` message. " +
					"Omit it to fire on any change (set at least one column to spare Dataverse work). Order and case do not matter. Updates in place.",
				Validators: []validator.Set{
					setvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1), stringvalidator.RegexMatches(logicalNamePattern, "must be a column logical name (letters, digits and underscores)")),
				},
			},
			"async_auto_delete": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
				MarkdownDescription: "Delete the system job when it succeeds, to save space. Only with `mode = \"Asynchronous\"`. Defaults to `false`. Updates in place.",
			},
			"enabled": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
				MarkdownDescription: "Whether the step fires (`statecode`/`statuscode`). Defaults to `true`. Updates in place.",
			},
			"name": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: fmt.Sprintf("Name of the step, at most %d characters. Defaults to "+
					"`<webhook name>: <message> of <table>` (`of any Entity` without a table), as the Plug-in Registration Tool writes it. Updates in place.", stepNameMax),
				Validators: []validator.String{stringvalidator.UTF8LengthBetween(1, stepNameMax)},
			},
			"description": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("Description, at most %d characters. Updates in place.", stepDescriptionMax),
				Validators:          []validator.String{stringvalidator.UTF8LengthBetween(1, stepDescriptionMax)},
			},
			"run_as_user_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "ID of the `systemuser` the step runs as (`impersonatinguserid`). Omit it to run as " +
					"the user who made the change. Updates in place.",
				Validators: []validator.String{guidValidator{}},
			},
			"solution_unique_name": solutionAttribute("step"),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeoutsBlock(ctx),
		},
	}
}

func (r *webhookStepResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig enforces the rules Dataverse enforces only at apply time, with the fix in each message.
func (r *webhookStepResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg webhookStepModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	mode := valueOr(cfg.Mode, dataverse.StepModeAsynchronous.String())
	stage := valueOr(cfg.Stage, dataverse.StepStagePostOperation.String())
	async := mode == dataverse.StepModeAsynchronous.String()

	if known(cfg.Mode, cfg.Stage) && async && stage != dataverse.StepStagePostOperation.String() {
		at := path.Root("stage")
		if cfg.Stage.IsNull() {
			at = path.Root("mode")
		}
		resp.Diagnostics.AddAttributeError(at, "Asynchronous steps must run in PostOperation",
			fmt.Sprintf("The step is asynchronous (mode = %q) but its stage is %q. Dataverse runs asynchronous steps only after the "+
				"operation: set stage = \"PostOperation\", or set mode = \"Synchronous\" to run in %s.", mode, stage, stage))
	}
	if known(cfg.Mode, cfg.AsyncAutoDelete) && cfg.AsyncAutoDelete.ValueBool() && !async {
		resp.Diagnostics.AddAttributeError(path.Root("async_auto_delete"), "async_auto_delete needs an asynchronous step",
			"Only asynchronous steps create system jobs to delete. Remove async_auto_delete, or set mode = \"Asynchronous\".")
	}
	if !cfg.FilteringAttributes.IsNull() && !cfg.FilteringAttributes.IsUnknown() {
		if len(cfg.FilteringAttributes.Elements()) == 0 {
			resp.Diagnostics.AddAttributeError(path.Root("filtering_attributes"), "Empty filtering_attributes",
				"An empty set of filtering attributes is not allowed: omit filtering_attributes to fire on any change, or list at least one column.")
		} else if known(cfg.Message) && cfg.Message.ValueString() != updateMessage {
			resp.Diagnostics.AddAttributeError(path.Root("filtering_attributes"), "filtering_attributes work only with Update",
				fmt.Sprintf("Dataverse filters on changed columns only for the Update message; this step's message is %q. "+
					"Remove filtering_attributes, or set message = \"Update\".", cfg.Message.ValueString()))
		}
	}
}

func valueOr(v types.String, def string) string {
	if v.IsNull() || v.IsUnknown() {
		return def
	}
	return v.ValueString()
}

// known reports whether none of the values is unknown (null counts as known: defaults apply).
func known(vals ...interface{ IsUnknown() bool }) bool {
	for _, v := range vals {
		if v.IsUnknown() {
			return false
		}
	}
	return true
}

// ModifyPlan checks, against Dataverse, that the message and table exist and allow custom steps,
// and works out when the default name must be recomputed.
func (r *webhookStepResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || unchangedStepKeepsItsName(req) {
		return
	}
	r.modifyPlanFully(ctx, req, resp)
}

func (r *webhookStepResource) modifyPlanFully(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan, cfg webhookStepModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *webhookStepModel
	if !req.State.Raw.IsNull() {
		state = &webhookStepModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	pairChanged := state == nil || !plan.Message.Equal(state.Message) || !plan.Table.Equal(state.Table)

	// The default name follows the webhook, message and table, so recompute it when they change.
	if cfg.Name.IsNull() {
		// A name that does not end like the default was set by hand: removing it from the
		// configuration brings the default back.
		custom := state != nil && len([]rune(state.Name.ValueString())) < stepNameMax && !strings.HasSuffix(state.Name.ValueString(), defaultStepNameSuffix(plan.Message.ValueString(), plan.Table.ValueString()))
		if state == nil || pairChanged || custom || !strings.EqualFold(plan.WebhookID.ValueString(), state.WebhookID.ValueString()) {
			plan.Name = types.StringUnknown()
		} else {
			plan.Name = state.Name
		}
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("name"), plan.Name)...)
	}

	stageChanged := state != nil && !plan.Stage.Equal(state.Stage)
	if (!pairChanged && !stageChanged) || r.data == nil || r.data.client == nil || !known(plan.Message, plan.Table, plan.Stage) {
		return
	}
	ctx = r.data.withMasks(ctx)
	if pairChanged {
		checkMessagePair(ctx, r.data.client, plan.Message.ValueString(), plan.Table.ValueString(), &resp.Diagnostics)
	}
	if state != nil && !resp.Diagnostics.HasError() {
		checkImagesStillFit(ctx, r.data.client, state.ID.ValueString(), plan, &resp.Diagnostics)
	}
}

// unchangedStepKeepsItsName reports a step whose plan is its state, as every step of a no-change
// plan is, and which keeps its name: the name is configured, or it is the default (when the
// configuration dropped a name set by hand, the full ModifyPlan brings the default back). Then
// ModifyPlan has nothing to do, and this check reads three values where the full one decodes
// plan, state and configuration into models: a fifth of the provider's CPU in a large plan.
func unchangedStepKeepsItsName(req resource.ModifyPlanRequest) bool {
	if req.State.Raw.IsNull() || !req.Plan.Raw.Equal(req.State.Raw) {
		return false
	}
	var cfg, state map[string]tftypes.Value
	if req.Config.Raw.As(&cfg) != nil || req.State.Raw.As(&state) != nil {
		return false
	}
	if !cfg["name"].IsNull() {
		return true
	}
	name, message, table := rawString(state["name"]), rawString(state["message"]), rawString(state["table"])
	if name == nil || message == nil || table == nil {
		return false
	}
	// As in ModifyPlan: a name that does not end like the default was set by hand.
	custom := len([]rune(*name)) < stepNameMax && !strings.HasSuffix(*name, defaultStepNameSuffix(*message, *table))
	return !custom
}

// rawString reads a known string value; null reads as "", anything else as nil.
func rawString(v tftypes.Value) *string {
	var s string
	if !v.IsKnown() || (!v.IsNull() && v.As(&s) != nil) {
		return nil
	}
	return &s
}

// checkImagesStillFit refuses a new message, table or stage that the step's images cannot
// follow: a pre-image on Create, a post-image on Delete or outside PostOperation, or an image
// registered on another message property.
func checkImagesStillFit(ctx context.Context, client *dataverse.Client, stepID string, plan webhookStepModel, diags *diag.Diagnostics) {
	images, err := client.ListStepImages(ctx, stepID)
	if err != nil {
		diags.AddError("Could not check the step's images", apiErrorDetail(fmt.Sprintf("Listing the images of step %s", stepID), err))
		return
	}
	stage, err := dataverse.ParseStepStage(plan.Stage.ValueString())
	if err != nil {
		return // the stage validator reports it
	}
	after := &dataverse.Step{ID: stepID, Name: plan.Name.ValueString(), Message: plan.Message.ValueString(), Table: plan.Table.ValueString(), Stage: stage}
	for _, img := range images {
		var problems diag.Diagnostics
		prop, ok := checkImageOnStep(after, img.ImageType.String(), &problems)
		switch {
		case !ok:
			for _, p := range problems.Errors() {
				diags.AddAttributeError(path.Root("message"), "The step's images would no longer fit",
					fmt.Sprintf("Image %s (alias %q) of this step cannot follow the change: %s\n\n%s Change or remove the image in the same apply.",
						img.ID, img.EntityAlias, p.Summary(), p.Detail()))
			}
		case prop != img.MessagePropertyName:
			diags.AddAttributeError(path.Root("message"), "The step's images would no longer fit",
				fmt.Sprintf("Image %s (alias %q) is registered on the message property %q, but message %q takes images on %q. "+
					"Replace the image in the same apply (terraform apply -replace=<image address>), or keep the message.",
					img.ID, img.EntityAlias, img.MessagePropertyName, plan.Message.ValueString(), prop))
		}
	}
}

// checkMessagePair reports, with a hint, a (message, table) pair Dataverse has no filter for or
// forbids custom steps on. The lookup is cached per provider process.
func checkMessagePair(ctx context.Context, client *dataverse.Client, message, table string, diags *diag.Diagnostics) *dataverse.MessageFilter {
	f, err := client.ResolveMessageFilter(ctx, message, table)
	if err == nil {
		if !f.CustomStepsAllowed {
			at := path.Root("table")
			if table == "" {
				at = path.Root("message")
			}
			diags.AddAttributeError(at, "Custom steps are not allowed here",
				fmt.Sprintf("Dataverse does not allow custom steps on message %q for %s. Choose another message or table.", message, tableLabel(table)))
		}
		return f
	}
	if !errors.Is(err, dataverse.ErrNotFound) {
		diags.AddError("Could not check the message and table", apiErrorDetail(fmt.Sprintf("Looking up message %q for %s", message, tableLabel(table)), err))
		return nil
	}
	// Find out which half is wrong, for a useful hint; this runs only on the error path.
	messages, merr := client.ListMessageNames(ctx)
	if merr == nil && !containsFold(messages, message) {
		detail := fmt.Sprintf("Dataverse has no message named %q.", message)
		if c := closest(message, messages); c != "" {
			detail += fmt.Sprintf(" Did you mean %q?", c)
		}
		diags.AddAttributeError(path.Root("message"), "Unknown message", detail)
		return nil
	}
	tables, terr := client.ListMessageTables(ctx, message)
	detail := fmt.Sprintf("Message %q cannot be registered for %s.", message, tableLabel(table))
	if terr == nil {
		if table == "" {
			detail += " This message needs a table: set table."
		} else if c := closest(table, tables); c != "" {
			detail += fmt.Sprintf(" Did you mean %q?", c)
		}
		if len(tables) > 0 && len(tables) <= 20 {
			sort.Strings(tables)
			detail += " Tables that allow it: " + strings.Join(tables, ", ") + "."
		}
	}
	at := path.Root("table")
	if table == "" {
		at = path.Root("message")
	}
	diags.AddAttributeError(at, "Unknown table for this message", detail)
	return nil
}

func tableLabel(table string) string {
	if table == "" {
		return "no table"
	}
	return fmt.Sprintf("table %q", table)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func (r *webhookStepResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan webhookStepModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	client := requireClient(r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := r.data.operationContext(ctx, plan.Timeouts.Create, &resp.Diagnostics)
	defer cancel()

	in, ok := r.stepFields(ctx, client, plan, &resp.Diagnostics)
	if !ok {
		return
	}
	if plan.Name.IsUnknown() || plan.Name.IsNull() {
		name, err := r.defaultName(ctx, client, plan)
		if err != nil {
			resp.Diagnostics.AddError("Could not name the step", apiErrorDetail("Reading the webhook to name the step", err))
			return
		}
		in.Name = name
	}
	step, err := client.CreateStep(ctx, dataverse.StepCreate{
		WebhookID:           plan.WebhookID.ValueString(),
		MessageID:           in.MessageID,
		MessageFilterID:     in.MessageFilterID,
		Name:                in.Name,
		Description:         plan.Description.ValueString(),
		Mode:                in.Mode,
		Stage:               in.Stage,
		Rank:                int(plan.Rank.ValueInt64()),
		AsyncAutoDelete:     plan.AsyncAutoDelete.ValueBool(),
		FilteringAttributes: in.FilteringAttributes,
		ImpersonatingUserID: plan.RunAsUserID.ValueString(),
		Enabled:             plan.Enabled.ValueBool(),
		SolutionUniqueName:  plan.SolutionUniqueName.ValueString(),
	})
	if err != nil {
		resp.Diagnostics.AddError("Could not create the webhook step", apiErrorDetail(fmt.Sprintf("Creating step %q", in.Name), err))
		if step == nil {
			return
		}
		// The step exists but could not be disabled: keep it in state (tainted) rather than orphan it.
	}
	resp.Diagnostics.Append(setStepState(ctx, &plan, step)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// stepInput is what Create and Update derive from the plan before calling the API.
type stepInput struct {
	Name                string
	MessageID           string
	MessageFilterID     string
	Mode                dataverse.StepMode
	Stage               dataverse.StepStage
	FilteringAttributes []string
}

func (r *webhookStepResource) stepFields(ctx context.Context, client *dataverse.Client, plan webhookStepModel, diags *diag.Diagnostics) (stepInput, bool) {
	var in stepInput
	in.Name = plan.Name.ValueString()
	mode, err := dataverse.ParseStepMode(plan.Mode.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("mode"), "Invalid mode", err.Error())
	}
	stage, err := dataverse.ParseStepStage(plan.Stage.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("stage"), "Invalid stage", err.Error())
	}
	in.Mode, in.Stage = mode, stage
	in.FilteringAttributes = setStrings(ctx, plan.FilteringAttributes, diags)
	f := checkMessagePair(ctx, client, plan.Message.ValueString(), plan.Table.ValueString(), diags)
	if diags.HasError() || f == nil {
		return in, false
	}
	in.MessageID, in.MessageFilterID = f.MessageID, f.FilterID
	return in, true
}

// defaultName builds the name the Plug-in Registration Tool gives a webhook step.
func (r *webhookStepResource) defaultName(ctx context.Context, client *dataverse.Client, plan webhookStepModel) (string, error) {
	webhookName, ok := r.data.webhookName(plan.WebhookID.ValueString())
	if !ok {
		w, err := client.GetWebhook(ctx, plan.WebhookID.ValueString())
		if err != nil {
			return "", err
		}
		r.data.rememberWebhook(w)
		webhookName = w.Name
	}
	return defaultStepName(webhookName, plan.Message.ValueString(), plan.Table.ValueString()), nil
}

// defaultStepName is the name the Plug-in Registration Tool gives a step, cut to the column's
// length in characters.
func defaultStepName(webhookName, message, table string) string {
	return truncateRunes(webhookName+defaultStepNameSuffix(message, table), stepNameMax)
}

// defaultStepNameSuffix is the part of a default name after the webhook's name.
func defaultStepNameSuffix(message, table string) string {
	if table == "" {
		table = "any Entity"
	}
	return fmt.Sprintf(": %s of %s", message, table)
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

func (r *webhookStepResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state webhookStepModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	client := requireClient(r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := r.data.operationContext(ctx, state.Timeouts.Read, &resp.Diagnostics)
	defer cancel()

	// A refresh reads every step; the snapshot read serves them all from a few queries.
	step, err := client.ReadStep(ctx, state.ID.ValueString())
	switch {
	case errors.Is(err, dataverse.ErrNotFound):
		tflog.Warn(ctx, "webhook step no longer exists; removing it from state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		resp.Diagnostics.AddError("Could not read the webhook step", apiErrorDetail(fmt.Sprintf("Reading step %s", state.ID.ValueString()), err))
		return
	}
	if !step.HandlerIsWebhook {
		resp.Diagnostics.AddError("Not a webhook step",
			fmt.Sprintf("Step %s (%q) does not fire a webhook: its event handler %s is a plug-in type or a service endpoint "+
				"whose contract is not 8. dataverse_webhook_step manages only steps of webhooks.", step.ID, step.Name, step.EventHandlerID))
		return
	}
	prior := state
	resp.Diagnostics.Append(setStepState(ctx, &state, step)...)
	resp.Diagnostics.Append(setReadState(ctx, &resp.State, &prior, &state)...)
}

func (r *webhookStepResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state webhookStepModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	client := requireClient(r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := r.data.operationContext(ctx, plan.Timeouts.Update, &resp.Diagnostics)
	defer cancel()

	id := state.ID.ValueString()
	var in dataverse.StepUpdate
	if !plan.Message.Equal(state.Message) || !plan.Table.Equal(state.Table) {
		f := checkMessagePair(ctx, client, plan.Message.ValueString(), plan.Table.ValueString(), &resp.Diagnostics)
		if f == nil {
			return
		}
		in.MessageID, in.MessageFilterID = &f.MessageID, &f.FilterID
	}
	if !strings.EqualFold(plan.WebhookID.ValueString(), state.WebhookID.ValueString()) {
		in.WebhookID = plan.WebhookID.ValueStringPointer()
	}
	if plan.Name.IsUnknown() {
		name, err := r.defaultName(ctx, client, plan)
		if err != nil {
			resp.Diagnostics.AddError("Could not name the step", apiErrorDetail("Reading the webhook to name the step", err))
			return
		}
		plan.Name = types.StringValue(name)
	}
	if !plan.Name.Equal(state.Name) {
		in.Name = plan.Name.ValueStringPointer()
	}
	if !plan.Description.Equal(state.Description) {
		desc := plan.Description.ValueString()
		in.Description = &desc
	}
	if !plan.Mode.Equal(state.Mode) {
		m, _ := dataverse.ParseStepMode(plan.Mode.ValueString())
		in.Mode = &m
	}
	if !plan.Stage.Equal(state.Stage) {
		s, _ := dataverse.ParseStepStage(plan.Stage.ValueString())
		in.Stage = &s
	}
	if !plan.Rank.Equal(state.Rank) {
		rank := int(plan.Rank.ValueInt64())
		in.Rank = &rank
	}
	if !plan.AsyncAutoDelete.Equal(state.AsyncAutoDelete) {
		in.AsyncAutoDelete = plan.AsyncAutoDelete.ValueBoolPointer()
	}
	if !plan.FilteringAttributes.Equal(state.FilteringAttributes) {
		attrs := setStrings(ctx, plan.FilteringAttributes, &resp.Diagnostics)
		if attrs == nil {
			attrs = []string{}
		}
		in.FilteringAttributes = &attrs
	}
	if !plan.RunAsUserID.Equal(state.RunAsUserID) {
		user := plan.RunAsUserID.ValueString()
		in.ImpersonatingUserID = &user
	}
	if resp.Diagnostics.HasError() {
		return
	}

	var step *dataverse.Step
	var err error
	if in != (dataverse.StepUpdate{}) {
		step, err = client.UpdateStep(ctx, id, in)
		if err != nil {
			resp.Diagnostics.AddError("Could not update the webhook step", apiErrorDetail(fmt.Sprintf("Updating step %s", id), err))
			return
		}
	}
	if !plan.Enabled.Equal(state.Enabled) {
		if err := client.SetStepEnabled(ctx, id, plan.Enabled.ValueBool()); err != nil {
			resp.Diagnostics.AddError("Could not enable or disable the webhook step", apiErrorDetail(fmt.Sprintf("Setting the state of step %s", id), err))
			return
		}
		if step != nil {
			step.Enabled = plan.Enabled.ValueBool()
		}
	}
	plan.ID = state.ID
	if step != nil {
		resp.Diagnostics.Append(setStepState(ctx, &plan, step)...)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *webhookStepResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state webhookStepModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	client := requireClient(r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := r.data.operationContext(ctx, state.Timeouts.Delete, &resp.Diagnostics)
	defer cancel()

	// Deleting the webhook cascades to its steps, so a step may already be gone.
	reportDeleteError(client.DeleteStep(ctx, state.ID.ValueString()), "webhook step", state.ID.ValueString(), &resp.Diagnostics)
}

func (r *webhookStepResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importByID(ctx, req, resp, "webhook step", "sdkmessageprocessingstepid", "The dataverse_webhook_steps data source lists the steps of a webhook with their ids.")
}

// setStepState copies what Dataverse holds into the model. Filtering attributes keep the
// configured spelling when they match as a set, so the stored comma list's order and case
// never cause a diff.
func setStepState(ctx context.Context, m *webhookStepModel, s *dataverse.Step) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(s.ID)
	// Keep the configured spelling of what Dataverse compares without case.
	m.WebhookID = keepFold(m.WebhookID, strings.ToLower(s.EventHandlerID))
	m.Message = keepFold(m.Message, s.Message)
	if s.Table == "" {
		m.Table = types.StringNull()
	} else {
		m.Table = keepFold(m.Table, s.Table)
	}
	m.Stage = types.StringValue(s.Stage.String())
	m.Mode = types.StringValue(s.Mode.String())
	m.Rank = types.Int64Value(int64(s.Rank))
	m.AsyncAutoDelete = types.BoolValue(s.AsyncAutoDelete)
	m.Enabled = types.BoolValue(s.Enabled)
	m.Name = types.StringValue(s.Name)
	m.Description = stringOrNull(s.Description)
	if s.ImpersonatingUserID == "" {
		m.RunAsUserID = types.StringNull()
	} else if !strings.EqualFold(m.RunAsUserID.ValueString(), s.ImpersonatingUserID) {
		m.RunAsUserID = types.StringValue(strings.ToLower(s.ImpersonatingUserID))
	}

	prior := setStrings(ctx, m.FilteringAttributes, &diags)
	switch {
	case len(s.FilteringAttributes) == 0:
		m.FilteringAttributes = types.SetNull(types.StringType)
	case sameFold(prior, s.FilteringAttributes):
		// keep the prior value
	default:
		lower := make([]string, len(s.FilteringAttributes))
		for i, a := range s.FilteringAttributes {
			lower[i] = strings.ToLower(a)
		}
		v, d := types.SetValueFrom(ctx, types.StringType, lower)
		diags.Append(d...)
		m.FilteringAttributes = v
	}
	return diags
}

// keepFold returns prior when it equals actual but for case, and actual otherwise.
func keepFold(prior types.String, actual string) types.String {
	if !prior.IsNull() && !prior.IsUnknown() && strings.EqualFold(prior.ValueString(), actual) {
		return prior
	}
	return types.StringValue(actual)
}

// setStrings returns the elements of a known set, or nil for null/unknown.
func setStrings(ctx context.Context, s types.Set, diags *diag.Diagnostics) []string {
	if s.IsNull() || s.IsUnknown() {
		return nil
	}
	var out []string
	diags.Append(s.ElementsAs(ctx, &out, false)...)
	sort.Strings(out)
	return out
}

// sameFold compares two lists as case-insensitive sets.
func sameFold(a, b []string) bool {
	norm := func(list []string) map[string]bool {
		m := map[string]bool{}
		for _, v := range list {
			m[strings.ToLower(strings.TrimSpace(v))] = true
		}
		return m
	}
	na, nb := norm(a), norm(b)
	if len(na) != len(nb) || len(na) == 0 {
		return false
	}
	for k := range na {
		if !nb[k] {
			return false
		}
	}
	return true
}
