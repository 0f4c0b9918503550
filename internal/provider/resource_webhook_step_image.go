package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider/validators"
)

const (
	imageAliasMax = dataverse.MaxImageAliasLength
	imageNameMax  = dataverse.MaxImageNameLength
)

// lockStepImages serializes the alias check and write of images on one step, so two images
// created in one apply cannot both claim an alias.
func lockStepImages(data *providerData, stepID string) func() {
	return lockKey(&data.imageLocks, stepID)
}

// NewWebhookStepImageResource returns the dataverse_webhook_step_image resource.
func NewWebhookStepImageResource() resource.Resource {
	return withRowIdentity{identifiableResource: &webhookStepImageResource{resourceBase{typeName: "_webhook_step_image"}}, schemaName: "step image", importName: "step image", column: "sdkmessageprocessingstepimageid"}
}

type webhookStepImageResource struct{ resourceBase }

var (
	_ resource.ResourceWithConfigure   = (*webhookStepImageResource)(nil)
	_ resource.ResourceWithImportState = (*webhookStepImageResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*webhookStepImageResource)(nil)
)

// webhookStepImageModel is an image as in a step's images attribute, with the step it is on.
type webhookStepImageModel struct {
	stepImageEntry
	StepID   types.String   `tfsdk:"step_id"`
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

func (r *webhookStepImageResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An image of a `dataverse_webhook_step`: an `sdkmessageprocessingstepimage` that makes Dataverse " +
			"send a snapshot of the row, as it was before the operation (`PreEntityImages`) or as it is after it " +
			"(`PostEntityImages`), in the body posted to the webhook, under the image's alias.\n\n" +
			"Dataverse offers images only for some messages, and only where the row exists: no pre-image on `Create`, " +
			"no post-image on `Delete`, and post-images only on `PostOperation` steps. The provider checks this, and " +
			"that the alias is unique on the step, when it plans if the step already exists; for a step created in the " +
			"same apply it can check only at apply, after the step is written; an image refused then stays in state, " +
			"tainted and never written, so that `terraform destroy` still removes the step. For images of a step this configuration " +
			"manages, prefer the step's `images` attribute, checked at plan with the step. This resource is for images " +
			"of steps managed elsewhere; it must not take an alias the step's `images` lists, and an import block for such an image is refused (one brought in with `terraform import`, which plans nothing, is warned about at every plan). When the body would exceed 256 KB, Dataverse drops " +
			"the images, with the input parameters and the parent context, and sets the `x-ms-dynamics-msg-size-exceeded` header; " +
			"if the body is still too large, it sends nothing. List only the columns you need.",
		Attributes: withStepID(imageAttributes(imageDescriptions{
			id:   "The image's `sdkmessageprocessingstepimageid`.",
			name: "Defaults to the alias, and follows it while unset.",
			messageProperty: "The parameter of the step's message whose row the image snapshots " +
				"(`messagepropertyname`), derived from the message as live Dataverse and the Plug-in Registration Tool " +
				"register it: `Id` for `Create`, `Target` for `Update`, `Delete`, `Assign`, `Route`, `ExecuteWorkflow` " +
				"and `Merge` (which also takes `SubordinateId`), `EntityMoniker` for `SetState` and `SetStateDynamicEntity`, `EmailId` for `Send`, " +
				"`DeliverIncoming` and `DeliverPromote`, `Ids` for `CreateMultiple`, `Targets` for `UpdateMultiple`. " +
				"An image registered by another tool keeps its value while the message accepts it.",
			updates: " Updates in place.",
			ownRow:  true,
		})),
		Blocks: map[string]schema.Block{
			"timeouts": timeoutsBlock(ctx),
		},
	}
}

// withStepID adds the step an image resource belongs to.
func withStepID(attrs map[string]schema.Attribute) map[string]schema.Attribute {
	attrs["step_id"] = schema.StringAttribute{
		Required:            true,
		MarkdownDescription: "ID of the `dataverse_webhook_step` the image belongs to. Changing it replaces the image.",
		PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
		Validators:          []validator.String{validators.GUID()},
	}
	return attrs
}

// ModifyPlan checks the image against its step and the step's other images, when the provider
// is configured and the step is known, so mistakes stop the plan before anything is written.
// The default name follows the alias. A step created in the same apply is checked in Create.
func (r *webhookStepImageResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data.plansForDestroy(ctx, "dataverse_webhook_step_image") {
		return
	}
	var plan, cfg webhookStepImageModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *webhookStepImageModel
	if !req.State.Raw.IsNull() {
		state = &webhookStepImageModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	if r.data != nil {
		if _, refused := r.data.refusedImages.Load(refusedImageKey(plan.StepID, plan.Alias)); refused {
			// Tainted in state, so planned as a new image. Terraform plans the configuration
			// before a destroy as well, so what is refused here is said as a warning, which a
			// destroy drops; within the apply that removed it to try again, Create reports it.
			defer func() { resp.Diagnostics = asRefusedAtApply(resp.Diagnostics) }()
		}
	}

	if cfg.Name.IsNull() {
		plan.Name = plan.Alias
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("name"), plan.Name)...)
	}
	// A new step (replacement) is checked from scratch, like a new image.
	if state != nil && !plan.StepID.Equal(state.StepID) {
		state = nil
	}
	typeChanged := state == nil || !plan.Type.Equal(state.Type)
	aliasChanged := state == nil || !plan.Alias.Equal(state.Alias)
	if typeChanged {
		// Unknown until checked against the step; Create and Update check what the plan could not.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("message_property_name"), types.StringUnknown())...)
	}

	if r.data == nil || r.data.client == nil || plan.StepID.IsUnknown() {
		return
	}
	ctx = r.data.withMasks(ctx)
	client := r.data.client
	stepID := plan.StepID.ValueString()
	if state != nil && !plan.Alias.IsUnknown() {
		if _, listed := r.data.listedImages.Load(listedImageKey(stepID, plan.Alias.ValueString())); listed {
			imageListedByStep(r.data, state.ID.ValueString(), stepID, plan.Alias.ValueString(), &resp.Diagnostics)
		}
	}
	if state != nil {
		if _, dropped := r.data.droppedImages.Load(strings.ToLower(state.ID.ValueString())); dropped {
			imageDroppedByStep(state.ID.ValueString(), stepID, state.Alias.ValueString(), &resp.Diagnostics)
			return
		}
	}
	if state == nil && r.data.claims.claimed(stepID) {
		// The step was created in this apply, and Terraform plans the image again just before
		// Create. Create makes the checks: one it fails there is kept in state (keepRefused),
		// where one failed here would refuse the image again in every later plan, a destroy's too.
		return
	}

	attrsChanged := state == nil || !plan.Attributes.Equal(state.Attributes)
	if (typeChanged && !plan.Type.IsUnknown()) || attrsChanged {
		_, gone := r.data.imagesGoneFrom.Load(strings.ToLower(stepID))
		step := readImageStep(ctx, client, stepID, gone, &resp.Diagnostics)
		if step == nil {
			return
		}
		// The step's own plan, made before this one, may change what the image is checked against.
		if planned, ok := r.data.plannedStepTriggers.Load(strings.ToLower(stepID)); ok {
			if trigger, ok := planned.(plannedTrigger); ok && !trigger.applyTo(step) {
				return // known once the step's are; Create and Update check the image
			}
		}
		if attrsChanged {
			checkColumns(ctx, client, step.Table, columnsAt(ctx, path.Root("attributes"), "", plan.Attributes, &resp.Diagnostics), &resp.Diagnostics)
		}
		if typeChanged && !plan.Type.IsUnknown() {
			t, ok := configuredImageType(plan.Type, &resp.Diagnostics)
			if !ok {
				return
			}
			prop, ok := checkImageOnStep(step, t, ownProperty(state), &resp.Diagnostics)
			if !ok {
				return
			}
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("message_property_name"), prop)...)
		}
	}
	if aliasChanged && !plan.Alias.IsUnknown() {
		lost := leftByLostApply(&r.data.claims, stepID, plan.Alias.ValueString(), state)
		// An image the step's plan removes from its images is deleted by the step's update,
		// which applies first: its alias is free by the time this image is created.
		free := func(id string) bool {
			_, dropped := r.data.droppedImages.Load(strings.ToLower(id))
			return dropped || (lost != nil && lost(id))
		}
		checkAliasFree(ctx, client, stepID, plan.Alias.ValueString(), ownID(state), free, &resp.Diagnostics)
	}
}

// imageListedByStep reports an image that its step's images attribute lists too: the two would
// undo each other's changes in every apply, and removing either would delete the image the other
// manages. An import is refused; an image already in state only warned about, so that a
// destroy, which plans the configuration first, is never stopped by it.
func imageListedByStep(data *providerData, imageID, stepID, alias string, diags *diag.Diagnostics) {
	summary := "Image managed by its step"
	detail := fmt.Sprintf("Image %s (alias %q) is one of the images that the images attribute of step %s lists. One image can be "+
		"managed in one place only: the two would undo each other's changes, and removing either would delete the image. "+
		"Keep it in the step's images and remove this dataverse_webhook_step_image (its import block, or terraform state rm "+
		"for one already in state). To manage it with this resource instead, first remove the alias from the step's images in an "+
		"apply of its own: that deletes the image, and this resource then creates it.", imageID, alias, stepID)
	if _, imported := data.importedImages.Load(strings.ToLower(imageID)); imported {
		diags.AddAttributeError(path.Root("alias"), summary, detail)
		return
	}
	diags.AddAttributeWarning(path.Root("alias"), summary, detail)
}

// imageDroppedByStep refuses an image in state (an import, mostly) that its step's plan removes
// from the step's images: the step's update deletes it, and this resource would then hold an
// image that is gone.
func imageDroppedByStep(imageID, stepID, alias string, diags *diag.Diagnostics) {
	diags.AddAttributeError(path.Root("alias"), "Image deleted by its step",
		fmt.Sprintf("Image %s (alias %q) is one this plan removes from the images attribute of step %s, and the step's "+
			"update deletes it, so this dataverse_webhook_step_image would hold an image that is gone. To move the image "+
			"out of the step's images, remove the import block (or terraform state rm this resource) and let this resource "+
			"create it: the step's update deletes the image first and this resource creates it again in the same apply, with "+
			"a moment between the two when deliveries carry no such image.", imageID, alias, stepID))
}

// ownProperty is the message property the image is registered on now, "" for a new image.
func ownProperty(state *webhookStepImageModel) string {
	if state == nil {
		return ""
	}
	return state.MessagePropertyName.ValueString()
}

func ownID(state *webhookStepImageModel) string {
	if state == nil {
		return ""
	}
	return state.ID.ValueString()
}

// plannedTrigger is what a step's plan gives it of what its images are checked against; known is
// false while any of it is unknown.
type plannedTrigger struct {
	message, table string
	stage          dataverse.StepStage
	known          bool
}

func plannedTriggerOf(plan webhookStepModel) plannedTrigger {
	stage, err := dataverse.ParseStoredStepStage(plan.Stage.ValueString())
	return plannedTrigger{message: plan.Message.ValueString(), table: plan.Table.ValueString(), stage: stage,
		known: err == nil && known(plan.Message, plan.Table, plan.Stage)}
}

// applyTo gives step the planned trigger, and reports whether it is known.
func (p plannedTrigger) applyTo(step *dataverse.Step) bool {
	if !p.known {
		return false
	}
	step.Message, step.Table, step.Stage = p.message, p.table, p.stage
	return true
}

// readImageStep reads the step an image belongs to, reporting a missing step as a mistake in step_id.
// A step this run's refresh found gone with an image of it (gone) is only a warning, as for a
// step whose webhook went (checkStepWebhook): terraform destroy plans the configuration after
// its refresh, and an error would stop it.
func readImageStep(ctx context.Context, client *dataverse.Client, stepID string, gone bool, diags *diag.Diagnostics) *dataverse.Step {
	step, err := client.GetStep(ctx, stepID)
	switch {
	case errors.Is(err, dataverse.ErrNotFound) && gone:
		diags.AddAttributeWarning(path.Root("step_id"), "Step deleted outside Terraform",
			fmt.Sprintf("No step has id %s any more, and Dataverse deleted this image with it. terraform destroy has nothing "+
				"left to delete here; an apply would fail. Set step_id to the id of an existing step, such as "+
				"dataverse_webhook_step.<name>.id, or remove the image from the configuration.", stepID))
		return nil
	case errors.Is(err, dataverse.ErrNotFound):
		diags.AddAttributeError(path.Root("step_id"), "Step not found",
			fmt.Sprintf("Dataverse has no step (sdkmessageprocessingstep) with id %s. Set step_id to the id of an existing "+
				"dataverse_webhook_step, such as dataverse_webhook_step.<name>.id.", stepID))
		return nil
	case err != nil:
		diags.AddError("Could not read the step of the image", apiErrorDetail(fmt.Sprintf("Reading step %s", stepID), err))
		return nil
	}
	if !step.HandlerIsWebhook {
		diags.AddAttributeError(path.Root("step_id"), "Not a webhook step",
			fmt.Sprintf("Step %s (%q) does not fire a webhook: its event handler %s is a plug-in type or a service endpoint "+
				"whose contract is not 8. dataverse_webhook_step_image adds images only to steps of webhooks.", step.ID, step.Name, step.EventHandlerID))
		return nil
	}
	return step
}

// imageRuleFields places the image rules' errors on the image's attributes.
var imageRuleFields = map[dataverse.RuleField]path.Path{
	dataverse.FieldStep:      path.Root("step_id"),
	dataverse.FieldImageType: path.Root("type"),
}

// configuredImageType parses the type an image's configuration names.
func configuredImageType(v types.String, diags *diag.Diagnostics) (dataverse.ImageType, bool) {
	t, err := dataverse.ParseImageType(v.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("type"), "Invalid image type", err.Error())
		return 0, false
	}
	return t, true
}

// checkImageOnStep reports an image type the step's message and stage cannot provide, with the
// fix, and returns the message property the image is registered on: keep (the image's current
// one) when the message accepts it, else the message's default.
func checkImageOnStep(step *dataverse.Step, t dataverse.ImageType, keep string, diags *diag.Diagnostics) (string, bool) {
	if err := dataverse.CheckImage(step.Message, step.Stage, t); err != nil {
		addRuleError(diags, err, imageRuleFields, fmt.Sprintf("Step %s (%q) on %s: ", step.ID, step.Name, tableLabel(step.Table)))
		return "", false
	}
	prop, _ := dataverse.ImageMessageProperty(step.Message, keep)
	return prop, true
}

// checkAliasFree reports an alias another image of the step already uses. Aliases are keys of
// PreEntityImages and PostEntityImages in the posted JSON, so they are compared exactly.
//
// An image that mine reports as this image's own (on create: one under the alias's derived ids,
// made by an apply that did not live to record it) is no other image: it is returned, for
// adoption.
func checkAliasFree(ctx context.Context, client *dataverse.Client, stepID, alias, ownID string, mine func(id string) bool, diags *diag.Diagnostics) *dataverse.StepImage {
	images, err := client.ListStepImages(ctx, stepID)
	if err != nil {
		diags.AddError("Could not check the image alias", apiErrorDetail(fmt.Sprintf("Listing the images of step %s", stepID), err))
		return nil
	}
	for _, img := range images {
		if img.EntityAlias == alias && !strings.EqualFold(img.ID, ownID) {
			if mine != nil && mine(img.ID) {
				return &img
			}
			diags.AddAttributeError(path.Root("alias"), "Image alias already in use",
				fmt.Sprintf("Step %s already has an image with alias %q (image %s, %q). The alias is the key of the image in the "+
					"body Dataverse posts, so it must be unique per step: choose another alias, or remove the other image.",
					stepID, alias, img.ID, img.Name))
			return nil
		}
	}
	return nil
}

func (r *webhookStepImageResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan webhookStepImageModel
	ctx, cancel, client := r.startOperation(ctx, req.Plan, &plan, &plan.Timeouts, opCreate, &resp.Diagnostics)
	defer cancel()
	if client == nil {
		return
	}

	stepID := plan.StepID.ValueString()
	_, retried := r.data.refusedImages.Load(refusedImageKey(plan.StepID, plan.Alias))
	if retried {
		plan.MessagePropertyName = types.StringUnknown() // refused before: everything is checked again
	}
	prop, ok := r.messageProperty(ctx, client, plan, "", &resp.Diagnostics)
	if !ok {
		keepRefused(ctx, plan, resp)
		return
	}
	imageType, err := dataverse.ParseImageType(plan.Type.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("type"), "Invalid image type", err.Error())
		return
	}
	attrs := setStrings(ctx, plan.Attributes, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	alias := plan.Alias.ValueString()
	name := plan.Name.ValueString()
	if plan.Name.IsUnknown() || plan.Name.IsNull() {
		name = alias
	}

	// The plan checked the alias against the images that existed then; images of the same step
	// created in this apply are only visible now.
	unlock := lockStepImages(r.data, stepID)
	defer unlock()
	idFor := func(n int) string { return dataverse.StepImageIDFor(stepID, alias, n) }
	mine := func(id string) bool { return isDerivedID(id, idFor) && r.data.claims.claim(id) }
	if retried {
		mine = nil // never written, so no row under its ids is its own
	}
	own := checkAliasFree(ctx, client, stepID, alias, "", mine, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		keepRefused(ctx, plan, resp)
		return
	}
	want := dataverse.StepImageCreate{
		StepID:              stepID,
		Name:                name,
		EntityAlias:         alias,
		ImageType:           imageType,
		Attributes:          attrs,
		MessagePropertyName: prop,
	}
	img, adopted := own, own != nil
	if own == nil {
		var err error
		img, adopted, err = createImageAtDerivedID(ctx, r.data, idFor, want)
		if err != nil {
			resp.Diagnostics.AddError("Could not create the step image", apiErrorDetail(fmt.Sprintf("Creating image %q on step %s", alias, stepID), err))
			return
		}
	}
	if adopted && !imageMatches(client, img, want, &resp.Diagnostics) {
		return
	}
	resp.Diagnostics.Append(setStepImageState(ctx, &plan, img)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// refusedKey marks, in private state, an image Create refused before writing anything.
const refusedKey = "refused_at_create"

// keepRefused records an image Create refused before writing it, tainted in state, so that the
// plans that follow (a destroy's among them) see an image already tried rather than a new one,
// which their checks would refuse again, blocking the destroy of the step and webhook that the
// same apply created. A check cut short by an interrupt or the timeout refused nothing, so
// nothing is kept: the next plan creates the image as planned.
func keepRefused(ctx context.Context, plan webhookStepImageModel, resp *resource.CreateResponse) {
	if ctx.Err() != nil {
		return
	}
	plan.ID = types.StringValue(refusedImageID(plan.StepID, plan.Alias))
	if plan.MessagePropertyName.IsUnknown() {
		plan.MessagePropertyName = types.StringNull()
	}
	if plan.Name.IsUnknown() {
		plan.Name = plan.Alias
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, refusedKey, []byte("true"))...)
}

// refusedImageKey names an image Create refused by its step and alias, the way the plan that
// follows (which gets no prior state for a tainted resource) can find it.
func refusedImageKey(stepID, alias types.String) string {
	return strings.ToLower(stepID.ValueString()) + "/" + alias.ValueString()
}

// privateData is what Read and Delete requests hold of the private state.
type privateData interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

// refusedAtCreate reports an image kept in state by keepRefused. The private mark does not reach
// Delete when the image is replaced (a tainted resource is planned without it), so the state is
// recognized too: refusedImageID, with no message property, which every written image has.
func refusedAtCreate(ctx context.Context, private privateData, state webhookStepImageModel) bool {
	if private != nil {
		if v, _ := private.GetKey(ctx, refusedKey); string(v) == "true" {
			return true
		}
	}
	return state.MessagePropertyName.IsNull() && strings.EqualFold(state.ID.ValueString(), refusedImageID(state.StepID, state.Alias))
}

// refusedImageID is the id in state of an image Create refused: derived from a name no alias can
// take, so no image Dataverse holds has it, not even another image with the same alias.
func refusedImageID(stepID, alias types.String) string {
	return dataverse.StepImageIDFor(stepID.ValueString(), "\x00refused "+alias.ValueString(), 0)
}

// asRefusedAtApply turns the errors of a plan of an image Create refused into warnings that say so.
func asRefusedAtApply(in diag.Diagnostics) diag.Diagnostics {
	const note = "\n\nThe last apply refused this image for this reason, and the next refuses it again unless the " +
		"configuration changes. It is a warning here so that terraform destroy can still remove the step and webhook."
	var out diag.Diagnostics
	for _, d := range in {
		if d.Severity() != diag.SeverityError {
			out.Append(d)
			continue
		}
		if at, ok := d.(diag.DiagnosticWithPath); ok {
			out.AddAttributeWarning(at.Path(), d.Summary(), d.Detail()+note)
		} else {
			out.AddWarning(d.Summary(), d.Detail()+note)
		}
	}
	return out
}

// leftByLostApply recognizes, when planning a new image, an image left under its own id by an
// apply that did not record it: Create takes that one over, so the plan must not refuse it.
func leftByLostApply(claims *rowClaims, stepID, alias string, state *webhookStepImageModel) func(id string) bool {
	if state != nil {
		return nil
	}
	return func(id string) bool {
		return isDerivedID(id, func(n int) string { return dataverse.StepImageIDFor(stepID, alias, n) }) && !claims.claimed(id)
	}
}

// imageMatches reports whether the image found under the configured image's own id is the
// configured one, refusing it otherwise.
func imageMatches(client *dataverse.Client, found *dataverse.StepImage, want dataverse.StepImageCreate, diags *diag.Diagnostics) bool {
	var diff differences
	diff.compare("name", found.Name, want.Name)
	diff.compare("type", found.ImageType, want.ImageType)
	diff.compare("message_property_name", found.MessagePropertyName, want.MessagePropertyName)
	if !dataverse.SameColumns(found.Attributes, want.Attributes) {
		diff.compare("attributes", strings.Join(found.Attributes, ","), strings.Join(want.Attributes, ","))
	}
	if len(diff) > 0 {
		refuseAdoption(diags, client, "step image", found.ID, diff)
		return false
	}
	return true
}

// messageProperty returns the planned message property, or, when the plan could not check the
// image against its step (the step was created in the same apply, or the provider was not
// configured yet), makes those checks now, columns included, with the same messages.
func (r *webhookStepImageResource) messageProperty(ctx context.Context, client *dataverse.Client, plan webhookStepImageModel, keep string, diags *diag.Diagnostics) (string, bool) {
	if !plan.MessagePropertyName.IsUnknown() {
		return plan.MessagePropertyName.ValueString(), true
	}
	step := readImageStep(ctx, client, plan.StepID.ValueString(), false, diags)
	if step == nil {
		return "", false
	}
	checkColumns(ctx, client, step.Table, columnsAt(ctx, path.Root("attributes"), "", plan.Attributes, diags), diags)
	t, ok := configuredImageType(plan.Type, diags)
	if !ok {
		return "", false
	}
	prop, ok := checkImageOnStep(step, t, keep, diags)
	return prop, ok && !diags.HasError()
}

// neverWritten reports an image Create refused, which was never written: there is nothing to
// read, check or delete. It records the image for the plan that follows.
func (r *webhookStepImageResource) neverWritten(ctx context.Context, private privateData, state webhookStepImageModel) bool {
	if !refusedAtCreate(ctx, private, state) {
		return false
	}
	r.data.refusedImages.Store(refusedImageKey(state.StepID, state.Alias), true)
	return true
}

func (r *webhookStepImageResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state webhookStepImageModel
	ctx, cancel, client := r.startOperation(ctx, req.State, &state, &state.Timeouts, opRead, &resp.Diagnostics)
	defer cancel()
	if client == nil || r.neverWritten(ctx, req.Private, state) {
		return
	}

	img, err := client.ImageFromSnapshot(ctx, state.ID.ValueString())
	if errors.Is(err, dataverse.ErrNotFound) && state.StepID.IsNull() { // an import
		importedIDNotFound(ctx, client, "dataverse_webhook_step_image", state.ID.ValueString(), &resp.Diagnostics)
		return
	}
	if !readFound(ctx, err, "step image", "Reading step image", state.ID.ValueString(), resp) {
		if errors.Is(err, dataverse.ErrNotFound) && !state.StepID.IsNull() {
			r.data.imagesGoneFrom.Store(strings.ToLower(state.StepID.ValueString()), true)
		}
		return
	}
	resp.Diagnostics.Append(setStepImageState(ctx, &state, img)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *webhookStepImageResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state webhookStepImageModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel, client := r.startOperation(ctx, req.Plan, &plan, &plan.Timeouts, opUpdate, &resp.Diagnostics)
	defer cancel()
	if client == nil {
		return
	}

	id, stepID := state.ID.ValueString(), state.StepID.ValueString()
	var in dataverse.StepImageUpdate
	if !plan.Type.Equal(state.Type) {
		t, err := dataverse.ParseImageType(plan.Type.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("type"), "Invalid image type", err.Error())
			return
		}
		in.ImageType = &t
	}
	prop, ok := r.messageProperty(ctx, client, plan, state.MessagePropertyName.ValueString(), &resp.Diagnostics)
	if !ok {
		return
	}
	plan.MessagePropertyName = types.StringValue(prop)
	if !plan.MessagePropertyName.Equal(state.MessagePropertyName) {
		in.MessagePropertyName = plan.MessagePropertyName.ValueStringPointer()
	}
	alias := plan.Alias.ValueString()
	if !plan.Alias.Equal(state.Alias) {
		in.EntityAlias = &alias
	}
	if plan.Name.IsUnknown() || plan.Name.IsNull() {
		plan.Name = types.StringValue(alias)
	}
	if !plan.Name.Equal(state.Name) {
		in.Name = plan.Name.ValueStringPointer()
	}
	if !plan.Attributes.Equal(state.Attributes) {
		attrs := setStrings(ctx, plan.Attributes, &resp.Diagnostics)
		in.Attributes = &attrs
	}
	if resp.Diagnostics.HasError() {
		return
	}

	plan.ID = state.ID
	if in == (dataverse.StepImageUpdate{}) {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	if in.EntityAlias != nil {
		unlock := lockStepImages(r.data, stepID)
		defer unlock()
		checkAliasFree(ctx, client, stepID, alias, id, nil, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	img, err := client.UpdateStepImage(ctx, id, in)
	if err != nil {
		resp.Diagnostics.AddError("Could not update the step image", apiErrorDetail(fmt.Sprintf("Updating step image %s", id), err))
		return
	}
	resp.Diagnostics.Append(setStepImageState(ctx, &plan, img)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *webhookStepImageResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state webhookStepImageModel
	ctx, cancel, client := r.startOperation(ctx, req.State, &state, &state.Timeouts, opDelete, &resp.Diagnostics)
	defer cancel()
	if client == nil || r.neverWritten(ctx, req.Private, state) {
		return
	}

	// Deleting a step (or its webhook) cascades to its images, so an image may already be gone.
	deleteUnlessTaken(ctx, &r.data.claims, client.DeleteStepImage, "step image", state.ID.ValueString(), &resp.Diagnostics)
}

func (r *webhookStepImageResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importByID(ctx, req, resp, "step image", "sdkmessageprocessingstepimageid", "The dataverse_webhook_steps data source lists the images of each step with their ids.")
	if id, _ := importTarget(req.ID); id != "" && r.data != nil {
		r.data.importedImages.Store(strings.ToLower(id), true)
	}
}

// setStepImageState copies what Dataverse holds into the model, as imageEntryFrom does for
// an image in a step's images attribute.
func setStepImageState(ctx context.Context, m *webhookStepImageModel, img *dataverse.StepImage) diag.Diagnostics {
	var diags diag.Diagnostics
	m.stepImageEntry = imageEntryFrom(ctx, m.Attributes, img, &diags)
	if !strings.EqualFold(m.StepID.ValueString(), img.StepID) {
		m.StepID = types.StringValue(strings.ToLower(img.StepID))
	}
	return diags
}
