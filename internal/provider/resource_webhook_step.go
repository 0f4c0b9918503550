package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
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

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider/validators"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

const stepDescriptionMax = dataverse.MaxStepDescriptionLength

// NewWebhookStepResource returns the dataverse_webhook_step resource.
func NewWebhookStepResource() resource.Resource {
	return withRowIdentity{identifiableResource: &webhookStepResource{resourceBase{typeName: "_webhook_step"}}, schemaName: "step", importName: "webhook step", column: "sdkmessageprocessingstepid"}
}

type webhookStepResource struct{ resourceBase }

var (
	_ resource.ResourceWithConfigure      = (*webhookStepResource)(nil)
	_ resource.ResourceWithImportState    = (*webhookStepResource)(nil)
	_ resource.ResourceWithValidateConfig = (*webhookStepResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*webhookStepResource)(nil)
)

type webhookStepModel struct {
	stepAttributes
	SolutionUniqueName types.String   `tfsdk:"solution_unique_name"`
	Images             types.List     `tfsdk:"images"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`
}

// stepAttributes are what a step has both as a dataverse_webhook_step and as an element of
// the dataverse_webhook_steps data source: setStepState fills them from the stored step.
type stepAttributes struct {
	ID                  types.String `tfsdk:"id"`
	WebhookID           types.String `tfsdk:"webhook_id"`
	Message             types.String `tfsdk:"message"`
	Table               types.String `tfsdk:"table"`
	Stage               types.String `tfsdk:"stage"`
	Mode                types.String `tfsdk:"mode"`
	Rank                types.Int64  `tfsdk:"rank"`
	FilteringAttributes types.Set    `tfsdk:"filtering_attributes"`
	AsyncAutoDelete     types.Bool   `tfsdk:"async_auto_delete"`
	Enabled             types.Bool   `tfsdk:"enabled"`
	Name                types.String `tfsdk:"name"`
	Description         types.String `tfsdk:"description"`
	RunAsUserID         types.String `tfsdk:"run_as_user_id"`
}

// stepDefaults are the values a step's optional attributes take when the configuration leaves
// them out: the schema's defaults, and what a generated configuration leaves out.
var stepDefaults = struct {
	stage           dataverse.StepStage
	mode            dataverse.StepMode
	rank            int64
	asyncAutoDelete bool
	enabled         bool
}{stage: dataverse.StepStagePostOperation, mode: dataverse.StepModeAsynchronous, rank: 1, asyncAutoDelete: false, enabled: true}

func (r *webhookStepResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A step that fires a webhook: an `sdkmessageprocessingstep` whose event handler is a " +
			"`dataverse_webhook`. It names the message (such as `Update`) and table (such as `account`) that trigger it, " +
			"where in the event pipeline it runs, and whether Dataverse waits for it.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("The step's `sdkmessageprocessingstepid`."),
			"webhook_id": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "ID of the `dataverse_webhook` the step fires. Changing it to a webhook that exists moves the step " +
					"to that webhook in place. When the new id is not known at plan (the webhook is created, or replaced, in the same " +
					"apply) the step is replaced instead, with a new id and a moment without it: a replaced webhook takes its steps " +
					"with it in Dataverse, and the plan cannot tell the two cases apart. To move a step to a new webhook in place, " +
					"create the webhook in an apply of its own first (for example with `-target`).",
				PlanModifiers: replacedWithItsWebhook(),
				Validators:    []validator.String{validators.GUID()},
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
				Default:  stringdefault.StaticString(stepDefaults.stage.String()),
				MarkdownDescription: "Where in the event pipeline the step runs: " + quotedList(dataverse.StepStageNames()) +
					". Defaults to `" + stepDefaults.stage.String() + "`. Asynchronous steps must be `PostOperation`. Updates in place.",
				Validators: []validator.String{validators.OneOf(dataverse.StepStageNames()...)},
			},
			"mode": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(stepDefaults.mode.String()),
				MarkdownDescription: "`Asynchronous` (the default) queues a system job and records failures in it; " +
					"`Synchronous` runs inside the operation, whose failure then fails the user's change. Updates in place.",
				Validators: []validator.String{validators.OneOf(dataverse.StepModeNames()...)},
			},
			"rank": schema.Int64Attribute{
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(stepDefaults.rank),
				MarkdownDescription: "Execution order among steps of the same message, table and stage, lowest first: a whole number from `0` to `" + strconv.Itoa(dataverse.MaxStepRank) + "` (an Int32 in Dataverse); steps of equal rank run in no set order. Defaults to `" + strconv.FormatInt(stepDefaults.rank, 10) + "`. Updates in place.",
				Validators:          []validator.Int64{int64validator.Between(0, dataverse.MaxStepRank)},
			},
			"filtering_attributes": schema.SetAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Column logical names whose change fires the step; only with the messages " + quotedList(dataverse.FilteringAttributesMessages()) + ". " +
					"On `Update` and `UpdateMultiple` the step fires only when the change sets one of them; on `Create` and " +
					"`CreateMultiple` the Plug-in Registration Tool offers them too, but what Dataverse does with them there is not " +
					"documented (the emulator fires on every create). " +
					"Omit it to fire on any change (set at least one column to spare Dataverse work). Order does not matter, and " +
					"names are written in lower case whatever their case here; changing only their case plans one update that " +
					"writes the same list. " +
					"Dataverse keeps the list as one comma-separated value of at most 100000 characters. Updates in place.",
				Validators: []validator.Set{validators.ColumnNames("fire on any change")},
			},
			"async_auto_delete": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(stepDefaults.asyncAutoDelete),
				MarkdownDescription: "Delete the system job when it succeeds, to save space. Only with `mode = \"Asynchronous\"`. Defaults to `" + strconv.FormatBool(stepDefaults.asyncAutoDelete) + "`. Updates in place.",
			},
			"enabled": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(stepDefaults.enabled),
				MarkdownDescription: "Whether the step fires (`statecode`/`statuscode`). Defaults to `" + strconv.FormatBool(stepDefaults.enabled) + "`. Updates in place.",
			},
			"name": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: fmt.Sprintf("Name of the step, at most %[1]d characters. Defaults to "+
					"`<webhook name>: <message> of <table>` (`of any Entity` without a table), as the Plug-in Registration Tool writes it, "+
					"cut to %[1]d characters; names of one webhook's steps are unique, so steps of a webhook whose name is that long need `name`. Updates in place.", dataverse.MaxStepNameLength),
				Validators: []validator.String{validators.OptionalTextLength(dataverse.MaxStepNameLength, "the default name")},
			},
			"description": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("Description, at most %d characters. Updates in place.", stepDescriptionMax),
				Validators:          []validator.String{validators.OptionalTextLength(stepDescriptionMax, "no description")},
			},
			"run_as_user_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "ID of the `systemuser` the step runs as (`impersonatinguserid`). Omit it to run as " +
					"the user who made the change. Updates in place.",
				Validators: []validator.String{validators.GUID()},
			},
			"solution_unique_name": solutionAttribute("step"),
			"images":               stepImagesAttribute(),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeoutsBlock(ctx),
		},
	}
}

// ValidateConfig enforces the rules Dataverse enforces only at apply time, with the fix in each message.
func (r *webhookStepResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg webhookStepModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	mode, modeErr := dataverse.ParseStepMode(valueOr(cfg.Mode, stepDefaults.mode.String()))
	stage, stageErr := dataverse.ParseStepStage(valueOr(cfg.Stage, stepDefaults.stage.String()))
	fields := map[dataverse.RuleField]path.Path{
		dataverse.FieldStage:               path.Root("stage"),
		dataverse.FieldAsyncAutoDelete:     path.Root("async_auto_delete"),
		dataverse.FieldFilteringAttributes: path.Root("filtering_attributes"),
	}
	if cfg.Stage.IsNull() {
		fields[dataverse.FieldStage] = path.Root("mode")
	}
	if modeErr == nil && stageErr == nil && known(cfg.Mode, cfg.Stage) {
		subject := ""
		if cfg.Mode.IsNull() {
			subject = fmt.Sprintf("mode is not set, so it is %q, the default. ", stepDefaults.mode)
		}
		addRuleError(&resp.Diagnostics, dataverse.CheckStepMode(mode, stage), fields, subject)
	}
	if modeErr == nil && known(cfg.Mode, cfg.AsyncAutoDelete) {
		addRuleError(&resp.Diagnostics, dataverse.CheckAsyncAutoDelete(mode, cfg.AsyncAutoDelete.ValueBool()), fields, "")
	}
	// An empty set is the validator's to refuse; a null or unknown one has no elements.
	if len(cfg.FilteringAttributes.Elements()) > 0 && known(cfg.Message) {
		addRuleError(&resp.Diagnostics, dataverse.CheckFilteringAttributes(cfg.Message.ValueString()), fields, "")
	}
	checkConfiguredImages(ctx, cfg, &resp.Diagnostics)
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
		// A set or list is known only with all its elements: a column name may come from
		// another resource.
		if c, ok := v.(interface{ Elements() []attr.Value }); ok {
			for _, e := range c.Elements() {
				if !known(e) {
					return false
				}
			}
		}
	}
	return true
}

// ModifyPlan checks, against Dataverse, that the message and table exist and allow custom steps,
// and works out when the default name must be recomputed.
func (r *webhookStepResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data.plansForDestroy(ctx, "dataverse_webhook_step") {
		return
	}
	r.noteListedImages(req)
	if unchangedStepKeepsItsName(req) && !r.webhookRenamed(ctx, req) {
		return
	}
	r.modifyPlanFully(ctx, req, resp)
}

// noteListedImages records the aliases that an existing step's images attribute plans, which no
// dataverse_webhook_step_image may manage as well, and the images this plan removes from it,
// which the step's update deletes. The step plans before the images that refer to it.
func (r *webhookStepResource) noteListedImages(req resource.ModifyPlanRequest) {
	if r.data == nil || req.State.Raw.IsNull() {
		return
	}
	var plan, state map[string]tftypes.Value
	if req.Plan.Raw.As(&plan) != nil || req.State.Raw.As(&state) != nil {
		return
	}
	id := rawString(state["id"])
	if id == nil || !plan["images"].IsKnown() {
		return
	}
	planned := map[string]bool{}
	for _, entry := range imageEntryValues(plan["images"]) {
		if alias := rawString(entry["alias"]); alias != nil {
			planned[*alias] = true
			r.data.listedImages.Store(listedImageKey(*id, *alias), true)
		}
	}
	for _, entry := range imageEntryValues(state["images"]) {
		alias, imageID := rawString(entry["alias"]), rawString(entry["id"])
		if alias != nil && imageID != nil && *imageID != "" && !planned[*alias] {
			r.data.droppedImages.Store(strings.ToLower(*imageID), true)
		}
	}
}

// imageEntryValues are the entries of an images list value whose alias is known; none when the
// list is null or unknown.
func imageEntryValues(images tftypes.Value) []map[string]tftypes.Value {
	var list []tftypes.Value
	if !images.IsKnown() || images.IsNull() || images.As(&list) != nil {
		return nil
	}
	var out []map[string]tftypes.Value
	for _, image := range list {
		var entry map[string]tftypes.Value
		if image.As(&entry) != nil || !entry["alias"].IsKnown() || entry["alias"].IsNull() {
			continue
		}
		out = append(out, entry)
	}
	return out
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
		custom := state != nil && len([]rune(state.Name.ValueString())) < dataverse.MaxStepNameLength &&
			!strings.HasSuffix(strings.ToLower(state.Name.ValueString()), strings.ToLower(dataverse.DefaultStepNameSuffix(plan.Message.ValueString(), plan.Table.ValueString())))
		if state == nil || pairChanged || custom || !strings.EqualFold(plan.WebhookID.ValueString(), state.WebhookID.ValueString()) ||
			r.defaultNameOfRenamedWebhook(plan.WebhookID.ValueString(), *state) {
			plan.Name = types.StringUnknown()
		} else {
			plan.Name = state.Name
		}
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("name"), plan.Name)...)
	}

	plan.Images = planImages(ctx, plan, cfg, state, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("images"), plan.Images)...)

	stageChanged := state != nil && !plan.Stage.Equal(state.Stage)
	if r.data == nil || r.data.client == nil {
		return
	}
	if state != nil && (pairChanged || stageChanged) {
		r.data.plannedStepTriggers.Store(strings.ToLower(state.ID.ValueString()), plannedTriggerOf(plan))
	}
	ctx = r.data.withMasks(ctx)
	checkChangedSolution(ctx, r.data, req, "step", &resp.Diagnostics)
	var managed []stepImageEntry
	if state != nil {
		managed = imageEntries(ctx, state.Images, &resp.Diagnostics)
		if !plan.Images.Equal(state.Images) {
			checkAliasesFree(ctx, r.data.client, state.ID.ValueString(), imageEntries(ctx, plan.Images, &resp.Diagnostics), managed, &resp.Diagnostics)
		}
	}
	if !known(plan.Message, plan.Table, plan.Stage) {
		return
	}
	if pairChanged {
		checkMessagePair(ctx, r.data.client, plan.Message.ValueString(), plan.Table.ValueString(), &resp.Diagnostics)
	}
	if known(plan.WebhookID) && (state == nil || !strings.EqualFold(plan.WebhookID.ValueString(), state.WebhookID.ValueString())) {
		if !checkStepWebhook(ctx, r.data, plan.WebhookID.ValueString(), &resp.Diagnostics) {
			return
		}
	}
	if known(plan.RunAsUserID) && !plan.RunAsUserID.IsNull() && (state == nil || !strings.EqualFold(plan.RunAsUserID.ValueString(), state.RunAsUserID.ValueString())) {
		checkRunAsUser(ctx, r.data.client, plan.RunAsUserID.ValueString(), &resp.Diagnostics)
	}
	// The default name follows from the configuration when the webhook already exists.
	if cfg.Name.IsNull() && plan.Name.IsUnknown() && !plan.WebhookID.IsUnknown() && !resp.Diagnostics.HasError() {
		if name, err := r.defaultName(ctx, r.data.client, plan); err == nil {
			plan.Name = types.StringValue(name)
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("name"), plan.Name)...)
		}
	}
	triggerChanged := state == nil || pairChanged || stageChanged || !plan.Mode.Equal(state.Mode) ||
		!plan.FilteringAttributes.Equal(state.FilteringAttributes) || !strings.EqualFold(plan.WebhookID.ValueString(), state.WebhookID.ValueString())
	// A new name alone is checked against the names of the webhook's other steps only, so that
	// renaming one of two steps another tool registered to fire alike is not refused.
	nameChanged := state != nil && !plan.Name.IsUnknown() && !strings.EqualFold(plan.Name.ValueString(), state.Name.ValueString())
	selfID := replacedStepID(ctx, req, resp)
	if (triggerChanged || nameChanged) && known(plan.WebhookID, plan.Mode, plan.FilteringAttributes) && !resp.Diagnostics.HasError() {
		r.checkTrigger(ctx, req.Config.Raw, plan, selfID, triggerChanged, &resp.Diagnostics)
	}
	if !resp.Diagnostics.HasError() {
		checkColumns(ctx, r.data.client, plan.Table.ValueString(), stepColumnLists(ctx, plan, state, &resp.Diagnostics), &resp.Diagnostics)
	}
	if !pairChanged && !stageChanged {
		return
	}
	if state != nil && !resp.Diagnostics.HasError() {
		checkImagesStillFit(ctx, r.data.client, state.ID.ValueString(), plan, state, managed, &resp.Diagnostics)
	}
}

// checkStepWebhook refuses at plan a webhook_id that names no webhook, which would fail only at
// apply, and reports whether the webhook exists. The webhook is read as the default name reads
// it: from what the client knows, else from the snapshot of every webhook, so a plan of many
// steps asks once.
//
// A webhook that this run's refresh found gone with a step of the state is only a warning:
// terraform destroy plans the configuration after its refresh, and the error would stop the
// destroy of a state whose rows Dataverse already deleted.
func checkStepWebhook(ctx context.Context, data *providerData, id string, diags *diag.Diagnostics) bool {
	client := data.client
	if _, ok := client.KnownWebhookName(id); ok {
		return true
	}
	w, err := client.WebhookFromSnapshot(ctx, id)
	if _, gone := data.stepsGoneFrom.Load(strings.ToLower(id)); gone && errors.Is(err, dataverse.ErrNotFound) {
		diags.AddAttributeWarning(path.Root("webhook_id"), "Webhook deleted outside Terraform",
			fmt.Sprintf("No webhook has id %s any more, and Dataverse deleted this step with it. terraform destroy has "+
				"nothing left to delete here; an apply would fail. Set webhook_id to the id of an existing webhook, such as "+
				"dataverse_webhook.<name>.id, or remove the step from the configuration.", id))
		return false
	}
	var found diag.Diagnostics
	readScope(ctx, func(context.Context, string) (*dataverse.Webhook, error) { return w, err }, id, "webhook_id", "webhook", &found)
	diags.Append(found...)
	return !found.HasError()
}

// checkRunAsUser refuses at plan a run_as_user_id that names no user of the environment, which
// the write of the step would meet as a bare 404.
func checkRunAsUser(ctx context.Context, client *dataverse.Client, id string, diags *diag.Diagnostics) {
	_, err := client.ResolveUser(ctx, id)
	switch {
	case errors.Is(err, dataverse.ErrNotFound):
		diags.AddAttributeError(path.Root("run_as_user_id"), "No such user",
			fmt.Sprintf("No user (systemuser) of the environment has id %s. Set run_as_user_id to the systemuserid of a user "+
				"or application user of this environment, or leave it out to run the step as the user who made the change.", id))
	case err != nil:
		// A role that may register steps but not read users must not stop a plan that
		// worked before: the write of the step still checks the id.
		diags.AddAttributeWarning(path.Root("run_as_user_id"), "Could not check the user the step runs as",
			apiErrorDetail("Reading user "+id, err))
	}
}

// checkTrigger refuses at plan a step that would fire as another step of its webhook does; what
// is unknown here is checked when the step is created (reserveTrigger).
func (r *webhookStepResource) checkTrigger(ctx context.Context, config tftypes.Value, plan webhookStepModel, selfID string, firing bool, diags *diag.Diagnostics) {
	f, err := r.data.client.ResolveMessageFilter(ctx, plan.Message.ValueString(), plan.Table.ValueString())
	// A plan holds names the validators passed, or values ignore_changes kept from the state.
	mode, modeErr := dataverse.ParseStoredStepMode(plan.Mode.ValueString())
	stage, stageErr := dataverse.ParseStoredStepStage(plan.Stage.ValueString())
	if err != nil || modeErr != nil || stageErr != nil {
		return // reported by checkMessagePair and the validators
	}
	checkPlannedTrigger(ctx, r.data, config, dataverse.StepCreate{
		WebhookID: plan.WebhookID.ValueString(), MessageID: f.MessageID, MessageFilterID: f.FilterID,
		StepSettings: dataverse.StepSettings{Name: plan.Name.ValueString(), Mode: mode, Stage: stage, FilteringAttributes: setStrings(ctx, plan.FilteringAttributes, diags)},
	}, selfID, !configuredNameNull(config), firing, diags)
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
	custom := len([]rune(*name)) < dataverse.MaxStepNameLength &&
		!strings.HasSuffix(strings.ToLower(*name), strings.ToLower(dataverse.DefaultStepNameSuffix(*message, *table)))
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

// imageFirstFix is the fix for an image that cannot follow its step's change: the plan checks
// the step against the images Dataverse holds, so the image changes in an apply before the
// step's. -target does not isolate a changed image: it plans the step the image refers to too.
const (
	imageFirstFix = "Terraform changes a step before the images that refer to it, so changing the image in this same apply " +
		"cannot help. Change the image first, with the step's message, table and stage as they are now: put the step back, " +
		"change or remove the image, apply, then change the step. (terraform apply -target=<image address> works only " +
		"for removing its block: it also plans the step, which a changed image refers to.) An image listed in the " +
		"step's images instead is checked and written with the step, in one apply."
	// An image is registered on its message's property, which a change of message may move.
	removeImageFirstFix = "Terraform changes a step before the images that refer to it, so changing the image in this same " +
		"apply cannot help. Remove the image first: remove its block and run terraform apply -target=<image address> " +
		"(or put the step's message back and apply), then change the step and add the image again. An image listed in " +
		"the step's images instead is checked and written with the step, in one apply."
)

// checkImagesStillFit refuses a new message, table or stage that the images the step does not
// manage cannot follow: a pre-image on Create, a post-image on Delete or outside PostOperation, an
// image registered on another message property, or one carrying a column the new table lacks.
func checkImagesStillFit(ctx context.Context, client *dataverse.Client, stepID string, plan webhookStepModel, state *webhookStepModel, managed []stepImageEntry, diags *diag.Diagnostics) {
	images, err := client.ListStepImages(ctx, stepID)
	if err != nil {
		diags.AddError("Could not check the step's images", apiErrorDetail(fmt.Sprintf("Listing the images of step %s", stepID), err))
		return
	}
	// The images the step manages are checked with its configuration and follow its message.
	images = unmanagedImages(images, managed)
	stage, err := dataverse.ParseStoredStepStage(plan.Stage.ValueString()) // as in checkTrigger
	if err != nil {
		return // the stage validator reports it
	}
	after := &dataverse.Step{ID: stepID, StepSettings: dataverse.StepSettings{Name: plan.Name.ValueString(), Stage: stage},
		Message: plan.Message.ValueString(), Table: plan.Table.ValueString()}
	// Point at what changed: the stage when only it did.
	at := path.Root("message")
	if state != nil && plan.Message.Equal(state.Message) && plan.Table.Equal(state.Table) {
		at = path.Root("stage")
	}
	for _, img := range images {
		// A type without a name here meets no rule of a pre- or post-image; the message and its
		// property still apply.
		var refused *dataverse.RuleError
		prop, _ := dataverse.ImageMessageProperty(after.Message, img.MessagePropertyName)
		switch {
		case errors.As(dataverse.CheckImage(after.Message, after.Stage, img.ImageType), &refused):
			// An image on another message property cannot be changed into one that fits. The
			// rule's own fix (change the type, say) is for the image's block; here it would be
			// applied after the step, so only the step's fix is given.
			fix := imageFirstFix
			if prop != img.MessagePropertyName {
				fix = removeImageFirstFix
			}
			problem := *refused
			problem.Fix = ""
			summary, detail := problem.Text(ruleAttributeName)
			diags.AddAttributeError(at, "The step's images would no longer fit",
				fmt.Sprintf("Image %s (alias %q) of this step cannot follow the change: %s\n\nStep %s (%q) on %s: %s\n\n%s",
					img.ID, img.EntityAlias, summary, stepID, after.Name, tableLabel(after.Table), strings.TrimSpace(detail), fix))
		case prop != img.MessagePropertyName:
			diags.AddAttributeError(at, "The step's images would no longer fit",
				fmt.Sprintf("Image %s (alias %q) is registered on the message property %q, but message %q takes images on %q. "+
					"Keep the message, or change it in steps: %s",
					img.ID, img.EntityAlias, img.MessagePropertyName, plan.Message.ValueString(), prop, removeImageFirstFix))
		}
	}
	if state != nil && !strings.EqualFold(plan.Table.ValueString(), state.Table.ValueString()) {
		checkImageColumnsOnTable(ctx, client, plan.Table.ValueString(), images, diags)
	}
}

// checkImageColumnsOnTable refuses a new table that lacks a column an image the step does not
// manage carries: the image would stay registered on a column that never fills, and be refused
// when it is next created.
func checkImageColumnsOnTable(ctx context.Context, client *dataverse.Client, table string, images []dataverse.StepImage, diags *diag.Diagnostics) {
	if table == "" {
		return
	}
	known, err := client.TableColumns(ctx, table)
	if err != nil {
		return // an unknown table is the message and table check's; a failed read, checkColumns'
	}
	for _, img := range images {
		var missing []string
		for _, col := range img.Attributes {
			if _, found := slices.BinarySearch(known, strings.ToLower(col)); !found {
				missing = append(missing, fmt.Sprintf("%q", col))
			}
		}
		if len(missing) > 0 {
			diags.AddAttributeError(path.Root("table"), "The step's images would no longer fit",
				fmt.Sprintf("Image %s (alias %q) of this step carries %s, which table %q has no column of. %s",
					img.ID, img.EntityAlias, strings.Join(missing, ", "), table, imageFirstFix))
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
		if c := validators.Closest(message, messages); c != "" {
			detail += fmt.Sprintf(" Did you mean %q?", c)
		}
		diags.AddAttributeError(path.Root("message"), "Unknown message", detail)
		return nil
	}
	tables, terr := client.ListMessageTables(ctx, message)
	detail := fmt.Sprintf("Message %q cannot be registered for %s.", message, tableLabel(table))
	if table == "" {
		detail = fmt.Sprintf("Message %q cannot be registered without a table.", message)
	}
	if errors.Is(err, dataverse.ErrUnknownTable) {
		detail = fmt.Sprintf("Dataverse has no table named %q (table is a logical name, such as account).", table)
	}
	if terr == nil {
		// "" is the message's "none" filter: a step of it names no table.
		takesNone := slices.Contains(tables, "")
		tables = slices.DeleteFunc(tables, func(t string) bool { return t == "" })
		switch {
		case table == "":
			detail += " Set table."
		case takesNone && len(tables) == 0:
			detail += " This message takes no table: remove table."
		default:
			if c := validators.Closest(table, tables); c != "" {
				detail += fmt.Sprintf(" Did you mean %q?", c)
			}
		}
		if len(tables) > 0 && len(tables) <= 20 {
			sort.Strings(tables)
			// The names are the server's text.
			detail += " Tables that allow it: " + untrusted.PlainText(strings.Join(tables, ", ")) + "."
			if takesNone && table != "" {
				detail += " It also takes no table: remove table for that."
			}
		}
	}
	at, summary := path.Root("table"), "Unknown table for this message"
	if table == "" {
		at, summary = path.Root("message"), "Table missing for this message"
	}
	diags.AddAttributeError(at, summary, detail)
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
	ctx, cancel, client := r.startOperation(ctx, req.Plan, &plan, &plan.Timeouts, opCreate, &resp.Diagnostics)
	defer cancel()
	if client == nil {
		return
	}

	want, ok := r.stepCreate(ctx, client, plan, &resp.Diagnostics)
	if !ok {
		return
	}
	// Only a name the configuration gives must be unique: the plan may already hold the default.
	var configuredName types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("name"), &configuredName)...)
	named := !configuredName.IsUnknown() && !configuredName.IsNull()
	if plan.Name.IsUnknown() || plan.Name.IsNull() {
		name, err := r.defaultName(ctx, client, plan)
		if err != nil {
			resp.Diagnostics.AddError("Could not name the step", apiErrorDetail("Reading the webhook to name the step", err))
			return
		}
		want.Name = name
	}
	webhookID := want.WebhookID
	release, ok := reserveTrigger(ctx, r.data, want, named, &resp.Diagnostics)
	if !ok {
		return
	}
	var createErr error // a step created but not disabled comes back with an error
	step, adopted, err := createDerived(ctx, &r.data.claims, func(n int) string { return dataverse.StepIDFor(want, n) },
		func(id string) (*dataverse.Step, error) {
			in := want
			in.ID = id
			step, err := client.CreateStep(ctx, in)
			if step != nil && err != nil {
				createErr, err = err, nil
			}
			return step, err
		}, func(id string) (*dataverse.Step, bool, error) {
			s, err := client.GetStep(ctx, id)
			// Steps of one default name (two Update steps of one table) differ in what fires them.
			return s, err == nil && strings.EqualFold(s.EventHandlerID, webhookID) && strings.EqualFold(s.Name, want.Name) && sameTrigger(*s, want), err
		})
	if err == nil && adopted {
		step, err = adoptStep(ctx, client, step, want, &resp.Diagnostics)
	}
	release(step)
	if err == nil {
		err = createErr
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not create the webhook step", apiErrorDetail(fmt.Sprintf("Creating step %q", want.Name), err))
		if step == nil {
			return
		}
		// The step exists but could not be disabled: keep it in state (tainted) rather than orphan it.
	}
	if step == nil {
		return
	}
	resp.Diagnostics.Append(setStepState(ctx, &plan.stepAttributes, step)...)
	if resp.Diagnostics.HasError() {
		plan.Images = types.ListNull(stepImageEntryType) // the tainted step is replaced with its images
	} else {
		plan.Images = writeImages(ctx, r.data, step.ID, plan.Images, types.ListNull(stepImageEntryType), &resp.Diagnostics)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// writeImages brings the managed images from have to want and returns them as stored.
func writeImages(ctx context.Context, data *providerData, stepID string, want, have types.List, diags *diag.Diagnostics) types.List {
	if want.IsNull() && have.IsNull() {
		return want
	}
	out := syncImages(ctx, data, stepID, imageEntries(ctx, want, diags), imageEntries(ctx, have, diags), diags)
	if want.IsNull() && len(out) == 0 {
		return want
	}
	return imagesList(ctx, out, diags)
}

// sameTrigger reports whether a step fires on what want describes: the same message and table,
// stage, mode and filtering columns. Two such steps on one webhook deliver every event twice.
func sameTrigger(s dataverse.Step, want dataverse.StepCreate) bool {
	return strings.EqualFold(s.MessageID, want.MessageID) && strings.EqualFold(s.MessageFilterID, want.MessageFilterID) &&
		s.Mode == want.Mode && s.Stage == want.Stage && dataverse.SameColumns(s.FilteringAttributes, want.FilteringAttributes)
}

// adoptStep takes over the step found under the configured step's own id when it fires as the
// configuration says, and gives it the configured state.
func adoptStep(ctx context.Context, client *dataverse.Client, found *dataverse.Step, want dataverse.StepCreate, diags *diag.Diagnostics) (*dataverse.Step, error) {
	var diff differences
	diff.compare("rank", found.Rank, want.Rank)
	diff.compare("description", found.Description, want.Description)
	diff.compare("async_auto_delete", found.AsyncAutoDelete, want.AsyncAutoDelete)
	diff.compare("run_as_user_id", strings.ToLower(found.ImpersonatingUserID), strings.ToLower(want.ImpersonatingUserID))
	if len(diff) > 0 {
		refuseAdoption(diags, client, "webhook step", found.ID, diff)
		return nil, nil
	}
	if refuseOutsideSolution(ctx, client, want.SolutionUniqueName, found.ID, "webhook step", diags) {
		return nil, nil
	}
	if found.Enabled != want.Enabled {
		if err := client.SetStepEnabled(ctx, found.ID, want.Enabled); err != nil {
			return found, fmt.Errorf("step %s was found but its state could not be set: %w", found.ID, err)
		}
		found.Enabled = want.Enabled
	}
	return found, nil
}

// stepCreate is the step the plan asks Create to register, its message and table resolved
// to their ids; the name is empty while the plan leaves it to the default.
func (r *webhookStepResource) stepCreate(ctx context.Context, client *dataverse.Client, plan webhookStepModel, diags *diag.Diagnostics) (dataverse.StepCreate, bool) {
	want := dataverse.StepCreate{
		WebhookID:          plan.WebhookID.ValueString(),
		StepSettings:       stepSettings(ctx, plan.stepAttributes, configuredStepEnums, diags),
		Enabled:            plan.Enabled.ValueBool(),
		SolutionUniqueName: plan.SolutionUniqueName.ValueString(),
	}
	f := checkMessagePair(ctx, client, plan.Message.ValueString(), plan.Table.ValueString(), diags)
	if diags.HasError() || f == nil {
		return want, false
	}
	want.MessageID, want.MessageFilterID = f.MessageID, f.FilterID
	return want, true
}

// stepEnumParsers reads mode and stage: a configuration holds only their names, while a state
// refreshed from Dataverse may also hold a value that has none, such as "StepStage(30)".
type stepEnumParsers struct {
	mode  func(string) (dataverse.StepMode, error)
	stage func(string) (dataverse.StepStage, error)
}

var (
	configuredStepEnums = stepEnumParsers{dataverse.ParseStepMode, dataverse.ParseStepStage}
	storedStepEnums     = stepEnumParsers{dataverse.ParseStoredStepMode, dataverse.ParseStoredStepStage}
)

// stepSettings is what m asks of the step's own columns, for a create or either side of an
// update.
func stepSettings(ctx context.Context, m stepAttributes, parse stepEnumParsers, diags *diag.Diagnostics) dataverse.StepSettings {
	mode, err := parse.mode(m.Mode.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("mode"), "Invalid mode", err.Error())
	}
	stage, err := parse.stage(m.Stage.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("stage"), "Invalid stage", err.Error())
	}
	return dataverse.StepSettings{
		Name:                m.Name.ValueString(),
		Description:         m.Description.ValueString(),
		Mode:                mode,
		Stage:               stage,
		Rank:                int(m.Rank.ValueInt64()),
		AsyncAutoDelete:     m.AsyncAutoDelete.ValueBool(),
		FilteringAttributes: setStrings(ctx, m.FilteringAttributes, diags),
		ImpersonatingUserID: m.RunAsUserID.ValueString(),
	}
}

// defaultName builds the name the Plug-in Registration Tool gives a webhook step, with the
// table as the catalog spells it (of account, whatever its case in the configuration). Both
// lookups are cached by the client.
func (r *webhookStepResource) defaultName(ctx context.Context, client *dataverse.Client, plan webhookStepModel) (string, error) {
	webhookName, ok := client.KnownWebhookName(plan.WebhookID.ValueString())
	if rename, renamed := r.data.webhookRenames.of(plan.WebhookID.ValueString()); renamed {
		// The name the webhook will have when the step is written, in the plan and, after the
		// webhook's update, in the apply's last plan alike.
		webhookName, ok = rename.to, true
	}
	if !ok {
		w, err := client.WebhookFromSnapshot(ctx, plan.WebhookID.ValueString())
		if err != nil {
			return "", err
		}
		webhookName = w.Name
	}
	message, table := plan.Message.ValueString(), plan.Table.ValueString()
	if f, err := client.ResolveMessageFilter(ctx, message, table); err == nil {
		message, table = f.Message, f.Table
	}
	return dataverse.DefaultStepName(webhookName, message, table), nil
}

// replacedStepKey holds, in a plan's private state, the id of the step the plan started from.
const replacedStepKey = "replaces"

// replacedStepID is the id of the row the planned step is: its state's, or, when Terraform plans
// the create half of a replacement (with no prior state), the one its first plan recorded, so
// that the row about to be destroyed is not taken for another step. Terraform hands the first
// plan's private state to the second.
func replacedStepID(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) string {
	if !req.State.Raw.IsNull() {
		var id types.String
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
		if raw, err := json.Marshal(id.ValueString()); err == nil {
			resp.Diagnostics.Append(resp.Private.SetKey(ctx, replacedStepKey, raw)...)
		}
		return id.ValueString()
	}
	raw, diags := req.Private.GetKey(ctx, replacedStepKey)
	var id string
	if diags.HasError() || len(raw) == 0 || json.Unmarshal(raw, &id) != nil || !dataverse.IsGUID(id) {
		return ""
	}
	return id
}

// webhookRenamed reports whether the step's webhook plans a rename in this run. Most runs rename
// none, and then it reads nothing of the plan.
func (r *webhookStepResource) webhookRenamed(ctx context.Context, req resource.ModifyPlanRequest) bool {
	if r.data == nil || !r.data.webhookRenames.any() {
		return false
	}
	var webhookID types.String
	if req.Plan.GetAttribute(ctx, path.Root("webhook_id"), &webhookID).HasError() {
		return false
	}
	_, renamed := r.data.webhookRenames.of(webhookID.ValueString())
	return renamed
}

// defaultNameOfRenamedWebhook reports whether state holds the default name the step had under
// the name its webhook is being renamed from: that name follows the webhook's new one.
func (r *webhookStepResource) defaultNameOfRenamedWebhook(webhookID string, state webhookStepModel) bool {
	if r.data == nil {
		return false
	}
	rename, renamed := r.data.webhookRenames.of(webhookID)
	return renamed && strings.EqualFold(state.Name.ValueString(),
		dataverse.DefaultStepName(rename.from, state.Message.ValueString(), state.Table.ValueString()))
}

func (r *webhookStepResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state webhookStepModel
	ctx, cancel, client := r.startOperation(ctx, req.State, &state, &state.Timeouts, opRead, &resp.Diagnostics)
	defer cancel()
	if client == nil {
		return
	}

	// A refresh reads every step; the snapshot read serves them all from a few queries.
	step, err := client.StepFromSnapshot(ctx, state.ID.ValueString())
	if errors.Is(err, dataverse.ErrNotFound) && state.WebhookID.IsNull() { // an import
		importedIDNotFound(ctx, client, "dataverse_webhook_step", state.ID.ValueString(), &resp.Diagnostics)
		return
	}
	if !readFound(ctx, err, "webhook step", "Reading step", state.ID.ValueString(), resp) {
		if errors.Is(err, dataverse.ErrNotFound) && !state.WebhookID.IsNull() {
			r.data.stepsGoneFrom.Store(strings.ToLower(state.WebhookID.ValueString()), true)
		}
		return
	}
	if !step.HandlerIsWebhook && state.WebhookID.IsNull() { // an import
		resp.Diagnostics.AddError("Not a webhook step",
			fmt.Sprintf("Step %s (%q) does not fire a webhook: its event handler %s is a plug-in type or a service endpoint "+
				"whose contract is not 8. dataverse_webhook_step manages only steps of webhooks.", step.ID, step.Name, step.EventHandlerID))
		return
	}
	if !step.HandlerIsWebhook {
		// A refresh refuses nothing, so that what exists can always be destroyed.
		resp.Diagnostics.AddWarning("No longer a webhook step",
			fmt.Sprintf("Step %s (%q) was changed outside Terraform: its event handler %s is no longer a webhook. Terraform "+
				"keeps the step as last read. Point it back at the webhook, or stop managing it with terraform state rm; "+
				"terraform destroy deletes it.", step.ID, step.Name, step.EventHandlerID))
		return
	}
	prior := state
	resp.Diagnostics.Append(setStepState(ctx, &state.stepAttributes, step)...)
	state.Images = readManagedImages(ctx, client, step.ID, state.Images, &resp.Diagnostics)
	resp.Diagnostics.Append(setReadState(ctx, &resp.State, &prior, &state)...)
}

func (r *webhookStepResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state webhookStepModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel, client := r.startOperation(ctx, req.Plan, &plan, &plan.Timeouts, opUpdate, &resp.Diagnostics)
	defer cancel()
	if client == nil {
		return
	}

	id := state.ID.ValueString()
	defer forgetWebhookSteps(r.data, state.WebhookID.ValueString(), plan.WebhookID.ValueString())
	var in dataverse.StepUpdate
	if !plan.Message.Equal(state.Message) || !plan.Table.Equal(state.Table) {
		f := checkMessagePair(ctx, client, plan.Message.ValueString(), plan.Table.ValueString(), &resp.Diagnostics)
		if f == nil {
			return
		}
		in.MessageID, in.MessageFilterID = f.MessageID, f.FilterID
	}
	if !strings.EqualFold(plan.WebhookID.ValueString(), state.WebhookID.ValueString()) {
		in.WebhookID = plan.WebhookID.ValueString()
	}
	if plan.Name.IsUnknown() {
		name, err := r.defaultName(ctx, client, plan)
		if err != nil {
			resp.Diagnostics.AddError("Could not name the step", apiErrorDetail("Reading the webhook to name the step", err))
			return
		}
		plan.Name = types.StringValue(name)
	}
	// The client sends only what differs between the two. The plan's mode and stage are names the
	// validators passed, or the state's own values kept by ignore_changes, so both sides parse the
	// stored form; the client checks what it sends.
	in.From = stepSettings(ctx, state.stepAttributes, storedStepEnums, &resp.Diagnostics)
	in.To = stepSettings(ctx, plan.stepAttributes, storedStepEnums, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	step, err := client.UpdateStep(ctx, id, in) // nil when nothing but the state or images change
	if err != nil {
		resp.Diagnostics.AddError("Could not update the webhook step", apiErrorDetail(fmt.Sprintf("Updating step %s", id), err))
		return
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
		resp.Diagnostics.Append(setStepState(ctx, &plan.stepAttributes, step)...)
	}
	plan.Images = writeImages(ctx, r.data, id, plan.Images, state.Images, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *webhookStepResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state webhookStepModel
	ctx, cancel, client := r.startOperation(ctx, req.State, &state, &state.Timeouts, opDelete, &resp.Diagnostics)
	defer cancel()
	if client == nil {
		return
	}

	defer forgetWebhookSteps(r.data, state.WebhookID.ValueString())
	// Deleting the webhook cascades to its steps, so a step may already be gone.
	deleteUnlessTaken(ctx, &r.data.claims, client.DeleteStep, "webhook step", state.ID.ValueString(), &resp.Diagnostics)
}

func (r *webhookStepResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importByID(ctx, req, resp, "webhook step", "sdkmessageprocessingstepid", "The dataverse_webhook_steps data source lists the steps of a webhook with their ids.")
}

// setStepState copies what Dataverse holds into the model. Filtering attributes keep the
// configured spelling when they match as a set, so the stored comma list's order and case
// never cause a diff.
func setStepState(ctx context.Context, m *stepAttributes, s *dataverse.Step) diag.Diagnostics {
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

	m.FilteringAttributes = columnSet(ctx, m.FilteringAttributes, s.FilteringAttributes, &diags)
	return diags
}

// keepFold returns prior when it equals actual but for case, and actual otherwise.
func keepFold(prior types.String, actual string) types.String {
	if !prior.IsNull() && !prior.IsUnknown() && strings.EqualFold(prior.ValueString(), actual) {
		return prior
	}
	return types.StringValue(actual)
}

// configuredNameNull reports a step whose configuration leaves name to its default.
func configuredNameNull(config tftypes.Value) bool {
	var cfg map[string]tftypes.Value
	if config.As(&cfg) != nil {
		return true
	}
	return cfg["name"].IsNull()
}
