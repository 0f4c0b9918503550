package dataverse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// EstateFilter chooses the registrations ListEstate returns. At most one of StepID, WebhookID
// and WebhookNamePrefix is set; none means every webhook of the environment.
type EstateFilter struct {
	StepID            string // one step (which must fire a webhook) and its webhook
	WebhookID         string // one webhook
	WebhookNamePrefix string // the webhooks whose name starts with it, without case
	// Steps and Images say how deep to read: the steps of the chosen webhooks, and their images
	// (Images implies Steps).
	Steps, Images bool
}

// Estate is what a set of webhooks has registered: the webhooks, their steps, and the steps'
// images, each sorted by name then id (images by step, then name).
type Estate struct {
	Webhooks []Webhook
	Steps    []Step
	Images   []StepImage
}

// ErrNotWebhookStep marks a step whose event handler is not a webhook, such as a plug-in's.
var ErrNotWebhookStep = errors.New("dataverse: the step does not fire a webhook")

// ListEstate reads the registrations f chooses in a bounded number of paged queries, whatever
// their number: one for the webhooks, one per 40 webhooks for their steps and one per 40 steps
// for their images. It is what adopting an environment's hand-made registrations needs.
func (c *Client) ListEstate(ctx context.Context, f EstateFilter) (*Estate, error) {
	set := 0
	for _, s := range []string{f.StepID, f.WebhookID, f.WebhookNamePrefix} {
		if s != "" {
			set++
		}
	}
	if set > 1 {
		return nil, errors.New("dataverse: an estate filter takes at most one of a step id, a webhook id and a name prefix")
	}
	if f.StepID != "" {
		return c.stepEstate(ctx, f.StepID, f.Images)
	}
	est := &Estate{}
	if f.WebhookID != "" {
		w, err := c.GetWebhook(ctx, f.WebhookID)
		if err != nil {
			return nil, err
		}
		est.Webhooks = []Webhook{*w}
	} else {
		hooks, err := c.ListWebhooks(ctx, WebhookFilter{NamePrefix: f.WebhookNamePrefix})
		if err != nil {
			return nil, err
		}
		est.Webhooks = hooks
	}
	if !f.Steps && !f.Images {
		return est, nil
	}
	ids := make([]string, len(est.Webhooks))
	for i, w := range est.Webhooks {
		ids[i] = w.ID
	}
	steps, err := c.ListStepsOfWebhooks(ctx, ids)
	if err != nil {
		return nil, err
	}
	est.Steps = steps
	if f.Images {
		if err := c.addImages(ctx, est); err != nil {
			return nil, err
		}
	}
	return est, nil
}

// stepEstate is the estate of one step: the step, its webhook and, when asked, its images.
func (c *Client) stepEstate(ctx context.Context, stepID string, images bool) (*Estate, error) {
	s, err := c.GetStep(ctx, stepID)
	if err != nil {
		return nil, err
	}
	if !s.HandlerIsWebhook {
		return nil, fmt.Errorf("step %s: %w", stepID, ErrNotWebhookStep)
	}
	w, err := c.GetWebhook(ctx, s.EventHandlerID)
	if err != nil {
		return nil, err
	}
	est := &Estate{Webhooks: []Webhook{*w}, Steps: []Step{*s}}
	if images {
		if err := c.addImages(ctx, est); err != nil {
			return nil, err
		}
	}
	return est, nil
}

func (c *Client) addImages(ctx context.Context, est *Estate) error {
	if len(est.Steps) == 0 {
		return nil
	}
	ids := make([]string, len(est.Steps))
	order := map[string]int{}
	for i, s := range est.Steps {
		ids[i] = s.ID
		order[strings.ToLower(s.ID)] = i
	}
	byStep, err := c.ListImagesOfSteps(ctx, ids)
	if err != nil {
		return err
	}
	for _, images := range byStep {
		est.Images = append(est.Images, images...)
	}
	slices.SortFunc(est.Images, func(a, b StepImage) int {
		return cmp.Or(cmp.Compare(order[strings.ToLower(a.StepID)], order[strings.ToLower(b.StepID)]),
			cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return nil
}

// WebhookByID finds a webhook of the estate by id, without case.
func (e *Estate) WebhookByID(id string) (Webhook, bool) {
	for _, w := range e.Webhooks {
		if strings.EqualFold(w.ID, id) {
			return w, true
		}
	}
	return Webhook{}, false
}

// StepByID finds a step of the estate by id, without case.
func (e *Estate) StepByID(id string) (Step, bool) {
	for _, s := range e.Steps {
		if strings.EqualFold(s.ID, id) {
			return s, true
		}
	}
	return Step{}, false
}
