package provider

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider/validators"
)

// plannedNames records the webhook names planned by one provider instance, with a digest of
// the configuration that planned each. Terraform configures the provider anew for each walk
// (plan, apply, the refresh before a destroy) and may plan one resource instance more than
// once in a walk (a replacement is planned again as a create), always from the same
// configuration; so a name planned from two configurations, or for two existing webhooks, is two
// webhooks with one name. Two new webhooks of identical configuration look like one here.
type plannedNames struct {
	mu    sync.Mutex
	names map[string]map[[sha256.Size]byte]string // lower-case name → configuration → webhook id, if it exists
}

// claim records that the configuration plans name for the webhook selfID ("" for a new one)
// and reports whether another configuration did first. It returns the webhook id an earlier
// plan of the same configuration named, so the create half of a replacement knows its own
// webhook.
func (p *plannedNames) claim(name string, config tftypes.Value, selfID string) (taken bool, id string) {
	key, digest := strings.ToLower(name), sha256.Sum256([]byte(config.String()))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.names == nil {
		p.names = map[string]map[[sha256.Size]byte]string{}
	}
	configs := p.names[key]
	if configs == nil {
		configs = map[[sha256.Size]byte]string{}
		p.names[key] = configs
	}
	earlier, seen := configs[digest]
	// One configuration is two webhooks when it plans two existing ones: two imported
	// webhooks of one name and identical blocks.
	if len(configs) > 0 && (!seen || (earlier != "" && selfID != "" && !strings.EqualFold(earlier, selfID))) {
		return true, selfID
	}
	if selfID == "" {
		selfID = earlier
	}
	configs[digest] = selfID
	return false, selfID
}

// checkPlannedName refuses, at plan, a webhook name another webhook of the configuration plans
// too, or, for a new name, one a webhook of the environment already has. planned is the new
// webhook the plan creates, when its columns are known.
func checkPlannedName(ctx context.Context, data *providerData, config tftypes.Value, name, selfID string, nameChanged bool, planned *dataverse.WebhookCreate, diags *diag.Diagnostics) {
	taken, selfID := data.plannedWebhookNames.claim(name, config, selfID)
	if taken {
		detail := fmt.Sprintf("Another dataverse_webhook in this configuration has the name %q (names compare without case). "+
			"Registration tools and pipelines find webhooks by name, so give each webhook its own name.", name)
		if selfID != "" && !nameChanged {
			// Which block plans second, and so is reported, is Terraform's choice: an existing
			// webhook that keeps its name is the one to leave alone.
			detail = fmt.Sprintf("This webhook (%s) keeps the name %q it has, and another dataverse_webhook in this configuration "+
				"has that name too (names compare without case); the error may point at either block. Registration tools and "+
				"pipelines find webhooks by name: give the other block, new or renamed in this change, a name of its own.", selfID, name)
		}
		diags.AddAttributeError(path.Root("name"), "Webhook name used twice", detail)
		return
	}
	if !nameChanged || data.client == nil {
		return
	}
	existing, err := data.client.WebhooksNamedFromSnapshot(ctx, name)
	if err != nil {
		diags.AddError("Could not check the webhook name", apiErrorDetail(fmt.Sprintf("Looking up webhooks named %q", name), err))
		return
	}
	for _, w := range existing {
		if strings.EqualFold(w.ID, selfID) {
			continue
		}
		if selfID == "" && isDerivedID(w.ID, func(n int) string { return dataverse.WebhookIDFor(name, n) }) {
			if rename, renamed := data.webhookRenames.of(w.ID); renamed && !strings.EqualFold(rename.to, name) {
				// Another webhook of this configuration gives the name up in this plan.
				addNameInUse(diags, w)
				return
			}
			if _, refreshed := data.refreshedWebhooks.Load(strings.ToLower(w.ID)); refreshed {
				// A resource of this configuration holds the row: this webhook, tainted and
				// planned as a create, which the apply replaces.
				continue
			}
			// This webhook's own row, left by an apply that did not live to record it, or the
			// webhook of another configuration of that name: Create takes it over, or refuses it
			// when it differs, and so does the plan, where it can.
			planOwnRow(diags, data.client, w, planned)
			continue
		}
		addNameInUse(diags, w)
		return
	}
}

// planOwnRow reports, at plan, the webhook found under the id the planned webhook is created
// with: refused as the apply would refuse it when it differs from the plan, else a warning that
// the apply takes it over, since nothing tells an interrupted apply's row from another
// configuration's webhook of the same name.
func planOwnRow(diags *diag.Diagnostics, client *dataverse.Client, found dataverse.Webhook, planned *dataverse.WebhookCreate) {
	if planned != nil {
		if diff := webhookDifferences(found, *planned); len(diff) > 0 {
			refuseAdoption(diags, client, "webhook", found.ID, diff, dataverse.AuthValueSecrets(planned.AuthType, planned.AuthValue)...)
			return
		}
	}
	diags.AddAttributeWarning(path.Root("name"), "Existing webhook taken over",
		fmt.Sprintf("Dataverse already holds a webhook named %q with id %s, the id this provider gives a new webhook of "+
			"that name. An apply of this configuration that stopped before saving its state leaves such a webhook, and "+
			"this apply takes it over and sends it the configured secret.\n\nIf another Terraform configuration manages "+
			"this webhook, the two would manage one webhook and overwrite each other's secret: give this one another "+
			"name, or run terraform state rm on it in the other configuration first. If this configuration had the webhook "+
			"under another address (a resource block renamed, or moved into a module), add a moved block from the old "+
			"address to the new one instead.", found.Name, found.ID))
}

// addNameInUse reports the webhook that already has the name, with how to import it, and how to
// trade names between two webhooks of the configuration, which one apply cannot do: it runs the
// renames in no fixed order, and two webhooks would share a name in between.
func addNameInUse(diags *diag.Diagnostics, w dataverse.Webhook) {
	diags.AddAttributeError(path.Root("name"), "Webhook name already in use",
		fmt.Sprintf("A webhook named %q already exists with id %s. Choose another name, or, if no resource of this "+
			"configuration manages that webhook, bring it under Terraform with:\n\n  terraform import <resource address> %s\n\nor an import block with id = %q.\n\n"+
			"If that webhook is in this configuration and gives the name up in this plan (two webhooks trading names), "+
			"rename in two applies: first give each of the two a temporary name, then the names you want.",
			w.Name, w.ID, w.ID, w.ID))
}

// nearestWebhookName is a " Did you mean …?" hint naming the webhook whose name is closest to
// name, from the one listing of every webhook; "" when none is close or the listing fails.
func nearestWebhookName(ctx context.Context, client *dataverse.Client, name string) string {
	all, err := client.ListWebhooks(ctx, dataverse.WebhookFilter{})
	if err != nil {
		return ""
	}
	names := make([]string, len(all))
	for i, w := range all {
		names[i] = w.Name
	}
	if c := validators.Closest(name, names); c != "" {
		return fmt.Sprintf(" Did you mean %q?", c)
	}
	return ""
}

// webhookRename is a webhook's name in state and the one its plan gives it.
type webhookRename struct{ from, to string }

// plannedRenames are the webhook renames a run plans, by webhook id.
type plannedRenames struct {
	mu   sync.Mutex
	byID map[string]webhookRename // lower-case webhook id → rename
}

func (p *plannedRenames) record(webhookID, from, to string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byID == nil {
		p.byID = map[string]webhookRename{}
	}
	p.byID[strings.ToLower(webhookID)] = webhookRename{from: from, to: to}
}

func (p *plannedRenames) of(webhookID string) (webhookRename, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.byID[strings.ToLower(webhookID)]
	return r, ok
}

// any reports whether the run plans a rename at all.
func (p *plannedRenames) any() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byID) > 0
}
