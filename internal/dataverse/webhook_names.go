package dataverse

import (
	"context"
	"fmt"
	"strings"
)

// WebhooksNamedFromSnapshot returns the webhooks whose name equals name, compared without case
// as Dataverse compares strings. It answers from the webhook snapshot (see WebhookFromSnapshot),
// so checking the names of many webhooks costs one paged listing rather than one query each;
// when the snapshot cannot be loaded it reports why. The snapshot may miss a webhook registered elsewhere since
// it was read, in the seconds of one provider process.
func (c *Client) WebhooksNamedFromSnapshot(ctx context.Context, name string) ([]Webhook, error) {
	ready, err := c.webhookSnap.ensure(ctx, c.loadWebhookSnapshot)
	if err != nil {
		return nil, fmt.Errorf("dataverse: looking up webhooks named %q: %w", name, err)
	}
	if !ready {
		// The listing failed; asking again by name would fail the same way.
		if lerr := c.webhookSnap.failure(); lerr != nil {
			return nil, fmt.Errorf("dataverse: looking up webhooks named %q: %w", name, lerr)
		}
		return c.ListWebhooks(ctx, WebhookFilter{Name: name})
	}
	var out []Webhook
	for _, id := range c.webhookSnap.ids() {
		if w, ok := c.webhookSnap.lookup(id); ok && strings.EqualFold(w.Name, name) {
			out = append(out, w)
		}
	}
	return out, nil
}
