package provider

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"

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
	return v.(*webhookSteps)
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
	if !ws.known {
		list, err := client.ListWebhookSteps(ctx, want.WebhookID)
		if err != nil {
			diags.AddError("Could not check the webhook's steps", apiErrorDetail(fmt.Sprintf("Listing the steps of webhook %s", want.WebhookID), err))
			return nil, false
		}
		for _, s := range list {
			ws.steps[strings.ToLower(s.ID)] = s
		}
		ws.known = true
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
		if named && strings.EqualFold(s.Name, want.Name) {
			diags.AddError("Step name already in use",
				fmt.Sprintf("On webhook %s, %s already has the name %q. Names of the steps of one webhook are unique: choose another name%s",
					want.WebhookID, other, want.Name, importHint))
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
	pending := dataverse.Step{ID: key, Name: want.Name, MessageID: want.MessageID, MessageFilterID: want.MessageFilterID,
		Mode: want.Mode, Stage: want.Stage, FilteringAttributes: want.FilteringAttributes}
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
