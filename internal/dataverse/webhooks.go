package dataverse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const setServiceEndpoints = "serviceendpoints"

// Webhook is a serviceendpoint row with contract 8. The auth value is write-only on the server;
// IsAuthValueSet is the only sign of it.
type Webhook struct {
	ID, Name, URL, Description string
	AuthType                   AuthType
	IsAuthValueSet             bool
	CreatedOn, ModifiedOn      time.Time
}

// WebhookCreate describes a new webhook.
type WebhookCreate struct {
	ID                 string // optional; a random v4 GUID is generated when empty
	Name, URL          string
	Description        string
	AuthType           AuthType
	AuthValue          string // already encoded with EncodeAuthValue
	SolutionUniqueName string // optional; adds the webhook to that unmanaged solution
}

// WebhookUpdate lists the columns to change; nil leaves a column unchanged.
type WebhookUpdate struct {
	Name, URL, Description *string
	AuthType               *AuthType
	AuthValue              *string
}

// WebhookFilter narrows ListWebhooks. Name matches exactly, NamePrefix with startswith; both may
// be set; both empty lists every webhook.
type WebhookFilter struct {
	Name, NamePrefix string
}

// CreateWebhook creates the serviceendpoint row with contract 8, Json message format, no user
// claim and normal connection mode, and returns it as stored.
func (c *Client) CreateWebhook(ctx context.Context, in WebhookCreate) (created *Webhook, err error) {
	id, err := idOrNew("webhook id", in.ID)
	if err != nil {
		return nil, err
	}
	defer func() { c.recordWebhook(created, err, id) }()
	if in.Name == "" {
		return nil, errors.New("dataverse: a webhook needs a name")
	}
	if in.URL == "" {
		return nil, errors.New("dataverse: a webhook needs a URL")
	}
	if err := checkSolution(in.SolutionUniqueName); err != nil {
		return nil, err
	}
	if !in.AuthType.valid() {
		return nil, fmt.Errorf("dataverse: %s is not a webhook auth type", in.AuthType)
	}
	row := map[string]any{
		"serviceendpointid": id,
		"name":              in.Name,
		"url":               in.URL,
		"contract":          contractWebhook,
		"messageformat":     messageFormatJSON,
		"userclaim":         userClaimNone,
		"connectionmode":    connectionModeNormal,
		"authtype":          int(in.AuthType),
	}
	if in.Description != "" {
		row["description"] = in.Description
	}
	if in.AuthValue != "" {
		row["authvalue"] = in.AuthValue
	}
	r, err := rowRequest(http.MethodPost, setServiceEndpoints, row, webhookColumns)
	if err != nil {
		return nil, err
	}
	r.solution, r.secrets = in.SolutionUniqueName, AuthValueSecrets(in.AuthType, in.AuthValue)
	return createRow(ctx, c, r, id, c.GetWebhook, c.webhookFromRow)
}

// GetWebhook reads one webhook from the server, on every call. A missing row gives an error matching ErrNotFound; a
// serviceendpoint that is not a webhook gives one matching ErrNotWebhook.
func (c *Client) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	if err := checkID("webhook id", id); err != nil {
		return nil, err
	}
	var row serviceEndpointRow
	if err := c.getEntity(ctx, entityPath(setServiceEndpoints, id), query{}.with("$select", joinColumns(webhookColumns)), &row); err != nil {
		c.recordWebhook(nil, err, id)
		return nil, err
	}
	w, err := c.webhookFromRow(row)
	c.recordWebhook(w, err, id)
	return w, err
}

// UpdateWebhook changes the given columns of an existing webhook (never creating one) and
// returns the row as stored. A missing row gives an error matching ErrNotFound.
func (c *Client) UpdateWebhook(ctx context.Context, id string, in WebhookUpdate) (updated *Webhook, err error) {
	if err := checkID("webhook id", id); err != nil {
		return nil, err
	}
	defer func() { c.recordWebhook(updated, err, id) }()
	p := newRowChanges()
	p.required("name", in.Name, "a webhook needs a name")
	p.required("url", in.URL, "a webhook needs a URL")
	p.clearable("description", in.Description)
	setChoice(p, "authtype", in.AuthType, "a webhook auth type")
	if p.err != nil {
		return nil, p.err
	}
	var secrets []string
	if in.AuthValue != nil {
		p.row["authvalue"] = *in.AuthValue
		t := AuthTypeHTTPHeader // either pair type decodes the settings form
		if in.AuthType != nil {
			t = *in.AuthType
		}
		secrets = AuthValueSecrets(t, *in.AuthValue)
	}
	return updateRow(ctx, c, entityPath(setServiceEndpoints, id), p.row, webhookColumns, secrets,
		func(ctx context.Context) (*Webhook, error) { return c.GetWebhook(ctx, id) }, c.webhookFromRow)
}

// DeleteWebhook deletes the webhook and, by cascade, its steps. A missing row gives an error
// matching ErrNotFound; the caller decides whether that is a failure.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	if err := checkID("webhook id", id); err != nil {
		return err
	}
	defer c.forgetWebhookAndSteps(id)
	return c.delete(ctx, entityPath(setServiceEndpoints, id))
}

// ListWebhooks returns the webhooks that match f, sorted by name then id, as the server lists
// them on every call.
func (c *Client) ListWebhooks(ctx context.Context, f WebhookFilter) ([]Webhook, error) {
	filter := "contract eq " + strconv.Itoa(contractWebhook)
	if f.Name != "" {
		filter += " and name eq " + QuoteString(f.Name)
	}
	if f.NamePrefix != "" {
		filter += " and startswith(name," + QuoteString(f.NamePrefix) + ")"
	}
	rows, err := getCollection[serviceEndpointRow](ctx, c, &request{
		path:  setServiceEndpoints,
		query: query{}.with("$select", joinColumns(webhookColumns)).with("$filter", filter),
	}, 0)
	if err != nil {
		return nil, err
	}
	out := make([]Webhook, 0, len(rows))
	for _, row := range rows {
		w, err := c.webhookFromRow(row)
		if err != nil {
			return nil, err
		}
		// Dataverse runs startswith as a SQL LIKE, where _ % and [ in the prefix may match
		// other characters: keep only the rows that truly start with it.
		if f.NamePrefix != "" && !strings.HasPrefix(strings.ToLower(w.Name), strings.ToLower(f.NamePrefix)) {
			continue
		}
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b Webhook) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (c *Client) webhookFromRow(row serviceEndpointRow) (*Webhook, error) {
	if row.Contract != contractWebhook {
		c.webhooks.forget(row.ID)
		return nil, fmt.Errorf("dataverse: service endpoint %s has contract %d: %w", row.ID, row.Contract, ErrNotWebhook)
	}
	c.webhooks.learn(row.ID, row.Name)
	return &Webhook{
		ID:             row.ID,
		Name:           row.Name,
		URL:            row.URL,
		Description:    row.Description,
		AuthType:       AuthType(row.AuthType),
		IsAuthValueSet: row.IsAuthValueSet,
		CreatedOn:      timeOrZero(row.CreatedOn),
		ModifiedOn:     timeOrZero(row.ModifiedOn),
	}, nil
}

func (c *Client) delete(ctx context.Context, path string) error {
	_, err := c.do(ctx, &request{method: http.MethodDelete, path: path})
	return err
}

// nullIfEmpty maps "" to JSON null: Dataverse stores an empty string column as null anyway.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
