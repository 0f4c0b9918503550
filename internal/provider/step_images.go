package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider/validators"
)

// stepImageEntry is an image as Terraform values: an element of the images attribute of
// dataverse_webhook_step and of each step in dataverse_webhook_steps, and, with its step, a
// dataverse_webhook_step_image. imageEntryFrom fills it from what Dataverse holds.
type stepImageEntry struct {
	ID                  types.String `tfsdk:"id"`
	Alias               types.String `tfsdk:"alias"`
	Type                types.String `tfsdk:"type"`
	Attributes          types.Set    `tfsdk:"attributes"`
	Name                types.String `tfsdk:"name"`
	MessagePropertyName types.String `tfsdk:"message_property_name"`
}

// stepImageEntryType is the object type of an element of images, read from its schema.
var stepImageEntryType = types.ObjectType{AttrTypes: attributeTypes(imageAttributes(imageDescriptions{}))}

// attributeTypes are the value types of a schema's attributes.
func attributeTypes(attrs map[string]schema.Attribute) map[string]attr.Type {
	out := make(map[string]attr.Type, len(attrs))
	for name, a := range attrs {
		out[name] = a.GetType()
	}
	return out
}

func stepImagesAttribute() schema.Attribute {
	return schema.ListNestedAttribute{
		Optional: true,
		MarkdownDescription: "Images of the step, checked with the step's own message and stage when Terraform plans, even when the " +
			"step is new. A step with `images` manages exactly the images it lists; images registered on the step " +
			"otherwise (a `dataverse_webhook_step_image`, another tool) are left alone, and an alias may be used " +
			"only once among all of them. Omit `images` to leave the step's images to other tools; removing it deletes the " +
			"images it listed. An image taken out of `images` can move to a `dataverse_webhook_step_image` in the same apply, " +
			"created by that resource (not imported) after the step's update deletes it. After an import the step manages no image until an apply lists them: the images it made " +
			"through `images` are then taken over as they are. The order of the list is kept as written, so reordering it " +
			"plans a change that writes nothing. Updates in place.",
		Validators: []validator.List{validators.NonEmptyList("give the step no images of its own")},
		NestedObject: schema.NestedAttributeObject{Attributes: imageAttributes(imageDescriptions{
			id:    "The image's `sdkmessageprocessingstepimageid`.",
			alias: " The provider matches images to what Dataverse holds by alias.",
			name:  "Defaults to the alias.",
			messageProperty: "The parameter of the step's message whose row the image snapshots " +
				"(`messagepropertyname`), derived from the step's message; it follows the message when that changes.",
		})},
	}
}

// imageDescriptions are the parts of an image's attribute descriptions that differ between a
// step's images and a dataverse_webhook_step_image.
type imageDescriptions struct {
	id, alias, name, messageProperty string
	// updates ends the description of each attribute the configuration sets.
	updates string
	// ownRow is set for the resource, whose computed values are its own row's, kept from state
	// while unknown; an element of a step's images list has no state of its own to keep.
	ownRow bool
}

// imageAttributes are an image's attributes, as a step's images and dataverse_webhook_step_image
// both declare them.
func imageAttributes(d imageDescriptions) map[string]schema.Attribute {
	var keep []planmodifier.String
	if d.ownRow {
		keep = []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	}
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{Computed: true, MarkdownDescription: d.id, PlanModifiers: keep},
		"alias": schema.StringAttribute{
			Required: true,
			MarkdownDescription: fmt.Sprintf("The key of the image in `PreEntityImages` and `PostEntityImages` "+
				"(`entityalias`), at most %d characters, unique among the images of the step.", imageAliasMax) + d.alias + d.updates,
			Validators: []validator.String{validators.TextLength(imageAliasMax)},
		},
		"type": schema.StringAttribute{
			Required: true,
			MarkdownDescription: "Which snapshot Dataverse sends: " + quotedList(dataverse.ImageTypeNames()) + ". " +
				"`PreImage` is the row before the operation (not on `Create`); `PostImage` the row after it (not on " +
				"`Delete`, and only on `PostOperation` steps); `Both` sends one of each under the same alias." + d.updates,
			Validators: []validator.String{validators.OneOf(dataverse.ImageTypeNames()...)},
		},
		"attributes": schema.SetAttribute{
			Optional:    true,
			ElementType: types.StringType,
			MarkdownDescription: "Column logical names the image carries. Omit it to send every column (mind the " +
				"256 KB limit on the body). Order does not matter, and names are written in lower case whatever their case here; changing only their case plans one update that writes the same list." + d.updates,
			Validators: []validator.Set{validators.ColumnNames("send every column")},
		},
		"name": schema.StringAttribute{
			Optional:            true,
			Computed:            true,
			MarkdownDescription: fmt.Sprintf("Name of the image, at most %d characters. ", imageNameMax) + d.name + d.updates,
			Validators:          []validator.String{validators.OptionalTextLength(imageNameMax, "the default name")},
		},
		"message_property_name": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: d.messageProperty,
			PlanModifiers:       keep,
		},
	}
}

// imageEntries returns the entries of a known images list; nil for null or unknown.
func imageEntries(ctx context.Context, l types.List, diags *diag.Diagnostics) []stepImageEntry {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	var out []stepImageEntry
	diags.Append(l.ElementsAs(ctx, &out, false)...)
	return out
}

func imagesList(ctx context.Context, entries []stepImageEntry, diags *diag.Diagnostics) types.List {
	v, d := types.ListValueFrom(ctx, stepImageEntryType, entries)
	diags.Append(d...)
	return v
}

// byAlias indexes entries with a known alias.
func byAlias(entries []stepImageEntry) map[string]stepImageEntry {
	out := map[string]stepImageEntry{}
	for _, e := range entries {
		if !e.Alias.IsUnknown() && !e.Alias.IsNull() {
			out[e.Alias.ValueString()] = e
		}
	}
	return out
}

// imagesPath is where a diagnostic about one of a step's images goes: the images attribute, with
// the detail naming the image (imageField). Terraform (1.11 to 1.14 at least) shows a diagnostic
// whose path goes into an element of a list attribute at the resource's first line, and one on
// the list at the list.
var imagesPath = path.Root("images")

// imageField names attribute of the step's image i as the configuration writes it, with its
// alias: `image "before" (images[0].type)`.
func imageField(i int, alias types.String, attribute string) string {
	if alias.IsNull() || alias.IsUnknown() {
		return fmt.Sprintf("images[%d].%s", i, attribute)
	}
	return fmt.Sprintf("image %q (images[%d].%s)", alias.ValueString(), i, attribute)
}

// checkConfiguredImages checks the configured images against each other and the step's
// message and stage, which needs no API, so it happens in ValidateConfig even for a new step.
func checkConfiguredImages(ctx context.Context, cfg webhookStepModel, diags *diag.Diagnostics) {
	entries := imageEntries(ctx, cfg.Images, diags)
	first := map[string]int{}
	for i, e := range entries {
		if e.Alias.IsUnknown() || e.Alias.IsNull() {
			continue
		}
		alias := e.Alias.ValueString()
		if j, dup := first[alias]; dup {
			diags.AddAttributeError(imagesPath, "Image alias used twice",
				fmt.Sprintf("Images %d and %d of the step (images[%d] and images[%d]) both have alias %q. The alias is the key of the image in the body "+
					"Dataverse posts, so it must be unique per step: rename one, or use type = \"Both\" for a pre- and a "+
					"post-image under one alias.", j+1, i+1, j, i, alias))
			continue
		}
		first[alias] = i
	}
	if len(entries) == 0 || !known(cfg.Message, cfg.Stage) {
		return
	}
	stage, err := dataverse.ParseStepStage(valueOr(cfg.Stage, stepDefaults.stage.String()))
	if err != nil {
		return // the stage validator reports it
	}
	stageAt := path.Root("stage")
	if cfg.Stage.IsNull() {
		stageAt = path.Root("message")
	}
	for i, e := range entries {
		if e.Type.IsUnknown() || e.Type.IsNull() {
			continue
		}
		t, err := dataverse.ParseImageType(e.Type.ValueString())
		if err != nil {
			continue // the type validator reports it
		}
		fields := map[dataverse.RuleField]path.Path{
			dataverse.FieldStep:      path.Root("message"),
			dataverse.FieldImageType: imagesPath,
		}
		// A post-image refused only because of the stage is fixed on the step's stage.
		if t != dataverse.ImageTypePreImage && stage != dataverse.StepStagePostOperation &&
			dataverse.CheckImage(cfg.Message.ValueString(), dataverse.StepStagePostOperation, t) == nil {
			fields[dataverse.FieldImageType] = stageAt
		}
		addRuleError(diags, dataverse.CheckImage(cfg.Message.ValueString(), stage, t), fields, upperFirst(imageField(i, e.Alias, "type"))+": ")
	}
}

// planImages fills the computed parts of the planned images: the id of an image already
// registered under the alias, the default name and the message property the step's message
// takes, so the plan shows what apply writes.
func planImages(ctx context.Context, plan, cfg webhookStepModel, state *webhookStepModel, diags *diag.Diagnostics) types.List {
	entries := imageEntries(ctx, plan.Images, diags)
	configured := imageEntries(ctx, cfg.Images, diags)
	if entries == nil || len(configured) != len(entries) {
		return plan.Images
	}
	var prior map[string]stepImageEntry
	if state != nil {
		prior = byAlias(imageEntries(ctx, state.Images, diags))
	}
	for i, e := range entries {
		e.ID = types.StringUnknown()
		e.MessagePropertyName = types.StringUnknown()
		keep := ""
		if old, existed := prior[e.Alias.ValueString()]; existed && !e.Alias.IsUnknown() {
			e.ID = old.ID
			keep = old.MessagePropertyName.ValueString()
		}
		// An unset name follows the alias (Terraform proposes the name the element had before).
		if configured[i].Name.IsNull() {
			e.Name = e.Alias
		}
		if !plan.Message.IsUnknown() {
			if prop, ok := dataverse.ImageMessageProperty(plan.Message.ValueString(), keep); ok {
				e.MessagePropertyName = types.StringValue(prop)
			}
		}
		entries[i] = e
	}
	return imagesList(ctx, entries, diags)
}

// checkAliasesFree refuses an alias of the configured images that an image the step does not
// manage already uses on the step.
func checkAliasesFree(ctx context.Context, client *dataverse.Client, stepID string, plan, state []stepImageEntry, diags *diag.Diagnostics) {
	if len(plan) == 0 {
		return
	}
	owned := ownedImageIDs(state)
	images, err := client.ListStepImages(ctx, stepID)
	if err != nil {
		diags.AddError("Could not check the image aliases", apiErrorDetail(fmt.Sprintf("Listing the images of step %s", stepID), err))
		return
	}
	for _, img := range images {
		if owned[strings.ToLower(img.ID)] {
			continue
		}
		// An image this step made through images, under the id of that kind, which the state
		// does not hold (an import, or an apply that did not live to record it): the apply
		// takes it over (createOwnedImage).
		if isDerivedID(img.ID, func(n int) string { return dataverse.StepOwnedImageIDFor(stepID, img.EntityAlias, n) }) {
			continue
		}
		for i, e := range plan {
			if e.Alias.ValueString() == img.EntityAlias && !e.Alias.IsUnknown() {
				diags.AddAttributeError(imagesPath, "Image alias already in use",
					fmt.Sprintf("Step %s already has an image with alias %q (image %s, %q) that this step does not manage (images[%d].alias). The alias "+
						"is the key of the image in the body Dataverse posts, so it must be unique per step: choose another alias, "+
						"or remove the other image (or its dataverse_webhook_step_image; when this same plan removes that resource, remove "+
						"it in an apply of its own first, for example with -target). To bring that image under Terraform as it "+
						"is, leave it out of images and import it as a dataverse_webhook_step_image:\n\n  terraform import <resource address> %s",
						stepID, img.EntityAlias, img.ID, img.Name, i, img.ID))
			}
		}
	}
}

func ownedImageIDs(entries []stepImageEntry) map[string]bool {
	owned := map[string]bool{}
	for _, e := range entries {
		if id := e.ID.ValueString(); id != "" {
			owned[strings.ToLower(id)] = true
		}
	}
	return owned
}

// syncImages makes the step's managed images what the plan lists, matched by alias: removed
// aliases are deleted first (freeing their aliases), then changed ones updated and new ones
// created. It returns the images as stored, keeping those written before an error so that
// state matches Dataverse.
func syncImages(ctx context.Context, data *providerData, stepID string, want, have []stepImageEntry, diags *diag.Diagnostics) []stepImageEntry {
	client := data.client
	wanted, had := byAlias(want), byAlias(have)
	var kept []stepImageEntry
	for _, h := range have {
		if _, keep := wanted[h.Alias.ValueString()]; keep {
			continue
		}
		if err := client.DeleteStepImage(ctx, h.ID.ValueString()); err != nil && !errors.Is(err, dataverse.ErrNotFound) {
			diags.AddError("Could not delete a step image", apiErrorDetail(fmt.Sprintf("Deleting image %q of step %s", h.Alias.ValueString(), stepID), err))
			// What is left stays in state, so the next apply tries again.
			return append(kept, have...)
		}
	}
	out := make([]stepImageEntry, 0, len(want))
	for i, w := range want {
		alias := w.Alias.ValueString()
		old, existed := had[alias]
		// An unchanged type is not sent, so a stored one without a name (kept by ignore_changes)
		// is left as it is.
		var t dataverse.ImageType
		var err error
		if !existed || !w.Type.Equal(old.Type) {
			if t, err = dataverse.ParseImageType(w.Type.ValueString()); err != nil {
				diags.AddAttributeError(imagesPath, "Invalid image type", upperFirst(imageField(i, w.Alias, "type"))+": "+err.Error())
				return append(out, remaining(want[i:], had)...)
			}
		}
		attrs := setStrings(ctx, w.Attributes, diags)
		name := w.Name.ValueString()
		if w.Name.IsNull() || w.Name.IsUnknown() {
			name = alias
		}
		prop := w.MessagePropertyName.ValueString()
		var img *dataverse.StepImage
		if existed {
			in := dataverse.StepImageUpdate{}
			if !w.Type.Equal(old.Type) {
				in.ImageType = &t
			}
			if name != old.Name.ValueString() {
				in.Name = &name
			}
			if prop != "" && prop != old.MessagePropertyName.ValueString() {
				in.MessagePropertyName = &prop
			}
			if !dataverse.SameColumns(attrs, setStrings(ctx, old.Attributes, diags)) {
				in.Attributes = &attrs
			}
			if in == (dataverse.StepImageUpdate{}) {
				old.Attributes = w.Attributes
				out = append(out, old)
				continue
			}
			img, err = client.UpdateStepImage(ctx, old.ID.ValueString(), in)
		} else {
			img, err = createOwnedImage(ctx, data, dataverse.StepImageCreate{
				StepID: stepID, Name: name, EntityAlias: alias, ImageType: t, Attributes: attrs, MessagePropertyName: prop,
			})
		}
		if err != nil {
			diags.AddError("Could not write a step image", apiErrorDetail(fmt.Sprintf("Writing image %q of step %s", alias, stepID), err))
			return append(out, remaining(want[i:], had)...)
		}
		out = append(out, imageEntryFrom(ctx, w.Attributes, img, diags))
	}
	return out
}

// remaining is what state holds of the images an interrupted sync did not reach: those that
// existed before, as they were.
func remaining(want []stepImageEntry, had map[string]stepImageEntry) []stepImageEntry {
	var out []stepImageEntry
	for _, w := range want {
		if old, ok := had[w.Alias.ValueString()]; ok {
			out = append(out, old)
		}
	}
	return out
}

// imageEntryFrom is what Dataverse holds of an image as Terraform values. Attributes keep the
// spelling of priorAttrs when they name the same columns, so the stored comma list's order and
// case never cause a diff.
func imageEntryFrom(ctx context.Context, priorAttrs types.Set, img *dataverse.StepImage, diags *diag.Diagnostics) stepImageEntry {
	return stepImageEntry{
		ID:                  types.StringValue(img.ID),
		Alias:               types.StringValue(img.EntityAlias),
		Type:                types.StringValue(img.ImageType.String()),
		Attributes:          columnSet(ctx, priorAttrs, img.Attributes, diags),
		Name:                types.StringValue(img.Name),
		MessagePropertyName: types.StringValue(img.MessagePropertyName),
	}
}

// readManagedImages refreshes the images the step manages, in their order, from what Dataverse
// holds: an image deleted elsewhere leaves the list (the next plan registers it again).
func readManagedImages(ctx context.Context, client *dataverse.Client, stepID string, prior types.List, diags *diag.Diagnostics) types.List {
	entries := imageEntries(ctx, prior, diags)
	if entries == nil {
		return prior
	}
	images, err := client.ImagesOfStepFromSnapshot(ctx, stepID)
	if err != nil {
		diags.AddError("Could not read the step's images", apiErrorDetail(fmt.Sprintf("Listing the images of step %s", stepID), err))
		return prior
	}
	stored := map[string]*dataverse.StepImage{}
	for i := range images {
		stored[strings.ToLower(images[i].ID)] = &images[i]
	}
	out := make([]stepImageEntry, 0, len(entries))
	for _, e := range entries {
		if img, ok := stored[strings.ToLower(e.ID.ValueString())]; ok {
			out = append(out, imageEntryFrom(ctx, e.Attributes, img, diags))
		}
	}
	return imagesList(ctx, out, diags)
}

// unmanagedImages filters out of images those the step manages.
func unmanagedImages(images []dataverse.StepImage, managed []stepImageEntry) []dataverse.StepImage {
	owned := ownedImageIDs(managed)
	out := images[:0:0]
	for _, img := range images {
		if !owned[strings.ToLower(img.ID)] {
			out = append(out, img)
		}
	}
	return out
}

// createImageAtDerivedID creates want under the first of idFor's ids that no other row holds.
// An image found at one with the same step and alias, left by an apply that did not live to
// record it, is returned instead, as adopted.
func createImageAtDerivedID(ctx context.Context, data *providerData, idFor func(int) string, want dataverse.StepImageCreate) (*dataverse.StepImage, bool, error) {
	client := data.client
	return createDerived(ctx, &data.claims, idFor, func(id string) (*dataverse.StepImage, error) {
		in := want
		in.ID = id
		return client.CreateStepImage(ctx, in)
	}, func(id string) (*dataverse.StepImage, bool, error) {
		found, err := client.GetStepImage(ctx, id)
		return found, err == nil && strings.EqualFold(found.StepID, want.StepID) && found.EntityAlias == want.EntityAlias, err
	})
}

// createOwnedImage creates an image the step manages under the id derived from its step and
// alias. One found there was left by an apply that did not live to record it: the step owns its
// images, so it is brought to the configuration rather than created a second time.
func createOwnedImage(ctx context.Context, data *providerData, want dataverse.StepImageCreate) (*dataverse.StepImage, error) {
	idFor := func(n int) string { return dataverse.StepOwnedImageIDFor(want.StepID, want.EntityAlias, n) }
	img, adopted, err := createImageAtDerivedID(ctx, data, idFor, want)
	if err != nil || !adopted {
		return img, err
	}
	return data.client.UpdateStepImage(ctx, img.ID, dataverse.StepImageUpdate{
		Name: &want.Name, ImageType: &want.ImageType, Attributes: &want.Attributes, MessagePropertyName: &want.MessagePropertyName,
	})
}
