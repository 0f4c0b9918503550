package provider

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// Two steps on one webhook that fire on the same message, table, stage, mode and filtering
// columns deliver every event twice, which nobody configures on purpose. Before a step is
// created, its webhook's steps are compared with it: for a webhook this process created, the
// steps it created since (no request); otherwise one list of the webhook's steps per apply.

// webhookSteps is what this process knows of the steps of one webhook.
type webhookSteps struct {
	mu    sync.Mutex
	known bool                      // steps holds every step of the webhook
	steps map[string]dataverse.Step // by lower-case id; steps being created under "pending/N"
	// pending numbers the steps being created.
	pending int
}

func stepsOf(data *providerData, webhookID string) *webhookSteps {
	v, _ := data.stepsByWebhook.LoadOrStore(strings.ToLower(webhookID), &webhookSteps{steps: map[string]dataverse.Step{}})
	ws, _ := v.(*webhookSteps) // the map holds only these
	return ws
}

// noteNewWebhook records that a webhook was just created, so it has no step yet (a webhook
// replaced in this apply comes back under its old id, without the steps it had).
func noteNewWebhook(data *providerData, webhookID string) {
	ws := stepsOf(data, webhookID)
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.dropKnown()
	ws.known = true
}

// dropKnown forgets the steps read or created, keeping those being created.
func (ws *webhookSteps) dropKnown() {
	for key := range ws.steps {
		if !strings.HasPrefix(key, "pending/") {
			delete(ws.steps, key)
		}
	}
}

// load lists the webhook's steps unless they are known; the caller holds ws.mu.
func (ws *webhookSteps) load(ctx context.Context, client *dataverse.Client, webhookID string) error {
	if ws.known {
		return nil
	}
	list, err := client.ListWebhookSteps(ctx, webhookID)
	if err != nil {
		return err
	}
	for _, s := range list {
		ws.steps[strings.ToLower(s.ID)] = s
	}
	ws.known = true
	return nil
}

func addListingError(diags *diag.Diagnostics, webhookID string, err error) {
	diags.AddError("Could not check the webhook's steps", apiErrorDetail(fmt.Sprintf("Listing the steps of webhook %s", webhookID), err))
}

// plannedSteps records the steps one provider instance planned on each known webhook, with a
// digest of the configuration that planned each, as plannedNames does for webhook names: one
// configuration planned twice is one step (a replacement is planned again as a create), two
// configurations that fire identically on one webhook are a double delivery.
type plannedSteps struct {
	mu    sync.Mutex
	steps map[string]map[[sha256.Size]byte]plannedStep // lower-case webhook id → configuration → step
}

type plannedStep struct {
	selfID string // "" for a new step
	want   dataverse.StepCreate
}

// record notes the step a configuration plans and returns the other steps planned on its webhook.
func (p *plannedSteps) record(config tftypes.Value, step plannedStep) []plannedStep {
	key, digest := strings.ToLower(step.want.WebhookID), sha256.Sum256([]byte(config.String()))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.steps == nil {
		p.steps = map[string]map[[sha256.Size]byte]plannedStep{}
	}
	if p.steps[key] == nil {
		p.steps[key] = map[[sha256.Size]byte]plannedStep{}
	}
	p.steps[key][digest] = step
	var others []plannedStep
	for d, s := range p.steps[key] {
		if d != digest {
			others = append(others, s)
		}
	}
	return others
}

// checkPlannedTrigger refuses, at plan, a new or changed step that fires identically to another, or has the name of another,
// step of its webhook: one planned by this configuration, or one the webhook has in the
// environment (listed once per webhook per plan; steps planned here are compared as planned).
// Without firing (only the name changed), only the names are compared.
func checkPlannedTrigger(ctx context.Context, data *providerData, config tftypes.Value, want dataverse.StepCreate, selfID string, named, firing bool, diags *diag.Diagnostics) {
	at := path.Root("webhook_id")
	others := data.plannedSteps.record(config, plannedStep{selfID: selfID, want: want})
	planned := map[string]bool{}
	for _, o := range others {
		if o.selfID != "" {
			planned[strings.ToLower(o.selfID)] = true
		}
		if firing && sameTrigger(dataverse.Step{MessageID: o.want.MessageID, MessageFilterID: o.want.MessageFilterID, StepSettings: o.want.StepSettings}, want) {
			diags.AddAttributeError(at, "Two steps fire identically",
				fmt.Sprintf("Another dataverse_webhook_step in this configuration fires webhook %s on the same message, table, stage, "+
					"mode and filtering columns. Two such steps deliver every event twice: change one of them (its stage, mode or "+
					"filtering_attributes), or remove one.", want.WebhookID))
			return
		}
		if want.Name != "" && strings.EqualFold(o.want.Name, want.Name) {
			diags.AddAttributeError(path.Root("name"), "Step name used twice",
				fmt.Sprintf("Another dataverse_webhook_step in this configuration has the name %q on webhook %s. %s.",
					want.Name, want.WebhookID, uniqueNameFix(named, want.Name)))
			return
		}
	}
	if data.client == nil {
		return
	}
	ws := stepsOf(data, want.WebhookID)
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if err := ws.load(ctx, data.client, want.WebhookID); err != nil {
		if !errors.Is(err, dataverse.ErrNotFound) { // a webhook that does not exist fails the create, with its own message
			addListingError(diags, want.WebhookID, err)
		}
		return
	}
	for key, s := range ws.steps {
		if strings.HasPrefix(key, "pending/") || strings.EqualFold(s.ID, selfID) || planned[key] {
			continue
		}
		// This step's own row: left by an apply that did not live to record it (Create adopts it), or
		// the row of this step being replaced (tainted, or a replacement), which its destroy removes first.
		if selfID == "" && isDerivedID(s.ID, func(n int) string { return dataverse.StepIDFor(want, n) }) && !data.claims.claimed(s.ID) {
			continue
		}
		if firing && sameTrigger(s, want) {
			diags.AddAttributeError(at, "Another step fires identically",
				fmt.Sprintf("On webhook %s, step %s (%q) already fires on the same message, table, stage, mode and filtering "+
					"columns. Two such steps deliver every event twice: change one of them (its stage, mode or filtering_attributes), "+
					"remove one, or, if no resource of this configuration manages it, bring the existing step under Terraform with:"+
					"\n\n  terraform import <resource address> %s\n\n"+
					"If this configuration manages that step and this plan moves it to another trigger (two steps swapping "+
					"triggers), apply that step's change first, for example with -target=<its resource address>. If it is "+
					"this configuration's step under another address (a resource block renamed, or moved into a module), "+
					"add a moved block from the old address to the new one.",
					want.WebhookID, s.ID, s.Name, s.ID))
			return
		}
		if want.Name != "" && strings.EqualFold(s.Name, want.Name) {
			diags.AddAttributeError(path.Root("name"), "Step name already in use",
				fmt.Sprintf("On webhook %s, step %s already has the name %q. %s, or, if no resource of this configuration manages "+
					"that step, bring it under Terraform with:\n\n  terraform import <resource address> %s",
					want.WebhookID, s.ID, s.Name, uniqueNameFix(named, want.Name), s.ID))
			return
		}
	}
}

// uniqueNameFix says how to give a step a name no other step of its webhook has.
func uniqueNameFix(named bool, name string) string {
	switch {
	case named:
		return "Names of the steps of one webhook are unique: choose another name"
	case dataverse.TextLength(name) >= dataverse.MaxStepNameLength-1: // a cut may stop short of a character that takes 2 units
		return fmt.Sprintf("Names of the steps of one webhook are unique, and this is the default name (<webhook>: <message> "+
			"of <table>) cut to the %d characters a step name holds, as the webhook's name is long: steps of this webhook "+
			"then share it whatever their message and table. Set name on this step, or shorten the webhook's name",
			dataverse.MaxStepNameLength)
	}
	return "Names of the steps of one webhook are unique, and this is the default name " +
		"(<webhook>: <message> of <table>), which steps on one message and table share: set name on this step"
}

// forgetWebhookSteps drops what is known of a webhook's steps after a step changed or left it.
// Steps being created are kept.
func forgetWebhookSteps(data *providerData, webhookIDs ...string) {
	for _, id := range webhookIDs {
		ws := stepsOf(data, id)
		ws.mu.Lock()
		ws.known = false
		ws.dropKnown()
		ws.mu.Unlock()
	}
}

// reserveTrigger refuses want when another step of its webhook fires identically or, for a name
// given in the configuration (named), has its name; otherwise it records want until release is
// called with the outcome of the create (nil: nothing made). Default names may repeat: two Update
// steps of one table that filter on different columns get the same one.
func reserveTrigger(ctx context.Context, data *providerData, want dataverse.StepCreate, named bool, diags *diag.Diagnostics) (release func(created *dataverse.Step), ok bool) {
	client := data.client
	ws := stepsOf(data, want.WebhookID)
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if err := ws.load(ctx, client, want.WebhookID); err != nil {
		addListingError(diags, want.WebhookID, err)
		return nil, false
	}
	for _, s := range ws.steps {
		// A row under one of this step's own ids is this step, left by an earlier attempt.
		if isDerivedID(s.ID, func(n int) string { return dataverse.StepIDFor(want, n) }) && !data.claims.claimed(s.ID) {
			continue
		}
		other := fmt.Sprintf("step %s (%q)", s.ID, s.Name)
		if strings.HasPrefix(s.ID, "pending/") {
			other = fmt.Sprintf("step %q, created in this apply,", s.Name)
		}
		// A step made outside this configuration (by another tool, or by an older version of this
		// provider under a random id) can be brought under it.
		importHint := ""
		if !strings.HasPrefix(s.ID, "pending/") {
			importHint = ", or bring the existing step under Terraform with:\n\n  terraform import <resource address> " + s.ID
		}
		if strings.EqualFold(s.Name, want.Name) {
			diags.AddError("Step name already in use", fmt.Sprintf("On webhook %s, %s already has the name %q. %s%s",
				want.WebhookID, other, want.Name, uniqueNameFix(named, want.Name), importHint))
			return nil, false
		}
		if sameTrigger(s, want) {
			diags.AddError("Another step fires identically",
				fmt.Sprintf("On webhook %s, %s already fires on the same message, table, stage, mode and filtering columns "+
					"as step %q. Two such steps deliver every event twice: change one of them, or remove one%s", want.WebhookID, other, want.Name, importHint))
			return nil, false
		}
	}
	ws.pending++
	key := fmt.Sprintf("pending/%d", ws.pending)
	pending := dataverse.Step{ID: key, StepSettings: want.StepSettings, MessageID: want.MessageID, MessageFilterID: want.MessageFilterID}
	ws.steps[key] = pending
	return func(created *dataverse.Step) {
		ws.mu.Lock()
		defer ws.mu.Unlock()
		delete(ws.steps, key)
		if created != nil {
			ws.steps[strings.ToLower(created.ID)] = *created
		}
	}, true
}
