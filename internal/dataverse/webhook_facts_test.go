package dataverse

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// What the client knows of a webhook's name follows every row it sees, and answering costs no
// request.
func TestKnownWebhookNameFollowsTheRowsTheClientSees(t *testing.T) {
	t.Parallel()
	create := func(ctx context.Context, c *Client) error {
		_, err := c.CreateWebhook(ctx, WebhookCreate{ID: webhookID, Name: "orders", URL: "https://hooks.example.com/in", AuthType: AuthTypeWebhookKey})
		return err
	}
	get := func(ctx context.Context, c *Client) error {
		_, err := c.GetWebhook(ctx, webhookID)
		return err
	}
	rename := func(name string) func(ctx context.Context, c *Client) error {
		return func(ctx context.Context, c *Client) error {
			_, err := c.UpdateWebhook(ctx, webhookID, WebhookUpdate{Name: &name})
			return err
		}
	}
	tests := []struct {
		name  string
		seed  bool // the server holds webhook "orders" before the client runs
		steps []func(ctx context.Context, f *fakeAPI, c *Client) error
		ask   string // the id asked for; webhookID when empty
		// wantErr is the error the last step gives.
		wantErr     error
		want        string // "" when the name is not known
		wantWebhook bool   // the client knows the id is a webhook, name or not
	}{
		{name: "never seen", seed: true},
		{name: "created", steps: steps(create), want: "orders", wantWebhook: true},
		{name: "read", seed: true, steps: steps(get), want: "orders", wantWebhook: true},
		{
			name: "listed", seed: true, want: "orders", wantWebhook: true,
			steps: steps(func(ctx context.Context, c *Client) error {
				_, err := c.ListWebhooks(ctx, WebhookFilter{})
				return err
			}),
		},
		{
			name: "read from the snapshot", seed: true, want: "orders", wantWebhook: true,
			steps: steps(func(ctx context.Context, c *Client) error {
				_, err := c.WebhookFromSnapshot(ctx, webhookID)
				return err
			}),
		},
		{name: "renamed through the client", steps: steps(create, rename("invoices")), want: "invoices", wantWebhook: true},
		{name: "asked in upper case", steps: steps(create), ask: strings.ToUpper(webhookID), want: "orders", wantWebhook: true},
		{
			name: "renamed elsewhere, not read since", steps: []func(context.Context, *fakeAPI, *Client) error{
				func(ctx context.Context, _ *fakeAPI, c *Client) error { return create(ctx, c) },
				func(_ context.Context, f *fakeAPI, _ *Client) error {
					f.setWebhookName(webhookID, "elsewhere")
					return nil
				},
			},
			want: "orders", wantWebhook: true,
		},
		{
			name: "renamed elsewhere, then read", steps: []func(context.Context, *fakeAPI, *Client) error{
				func(ctx context.Context, _ *fakeAPI, c *Client) error { return create(ctx, c) },
				func(_ context.Context, f *fakeAPI, _ *Client) error {
					f.setWebhookName(webhookID, "elsewhere")
					return nil
				},
				func(ctx context.Context, _ *fakeAPI, c *Client) error { return get(ctx, c) },
			},
			want: "elsewhere", wantWebhook: true,
		},
		{
			name: "deleted", steps: steps(create, func(ctx context.Context, c *Client) error {
				return c.DeleteWebhook(ctx, webhookID)
			}),
		},
		{
			name: "rename of a row deleted elsewhere", wantErr: ErrNotFound,
			steps: []func(context.Context, *fakeAPI, *Client) error{
				func(ctx context.Context, _ *fakeAPI, c *Client) error { return create(ctx, c) },
				func(_ context.Context, f *fakeAPI, _ *Client) error { f.removeWebhook(webhookID); return nil },
				func(ctx context.Context, _ *fakeAPI, c *Client) error { return rename("invoices")(ctx, c) },
			},
		},
		{
			name: "no longer a webhook", seed: true, wantErr: ErrNotWebhook,
			steps: []func(context.Context, *fakeAPI, *Client) error{
				func(ctx context.Context, _ *fakeAPI, c *Client) error { return get(ctx, c) },
				func(_ context.Context, f *fakeAPI, _ *Client) error { f.addWebhook(webhookID, "orders", 2); return nil },
				func(ctx context.Context, _ *fakeAPI, c *Client) error { return get(ctx, c) },
			},
		},
		{
			// A step's expansion carries its handler's contract, not its name.
			name: "only a step of it seen", wantWebhook: true,
			steps: []func(context.Context, *fakeAPI, *Client) error{
				func(_ context.Context, f *fakeAPI, _ *Client) error {
					f.addStep(stepID, "on update", webhookID, 8)
					return nil
				},
				func(ctx context.Context, _ *fakeAPI, c *Client) error {
					_, err := c.GetStep(ctx, stepID)
					return err
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, h := newFakeHarness(t)
			if tc.seed {
				f.addWebhook(webhookID, "orders", 8)
			}
			ctx := context.Background()
			var err error
			for _, step := range tc.steps {
				err = step(ctx, f, h.client)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("last step: err = %v, want %v", err, tc.wantErr)
			}
			id := tc.ask
			if id == "" {
				id = webhookID
			}
			before := f.total()
			name, ok := h.client.KnownWebhookName(id)
			if name != tc.want || ok != (tc.want != "") {
				t.Errorf("KnownWebhookName = %q, %v; want %q, %v", name, ok, tc.want, tc.want != "")
			}
			if n := f.total() - before; n != 0 {
				t.Errorf("KnownWebhookName made %d requests, want none", n)
			}
			if got := h.client.webhooks.isWebhook(id); got != tc.wantWebhook {
				t.Errorf("known to be a webhook = %v, want %v", got, tc.wantWebhook)
			}
		})
	}
}

// steps adapts client calls that need no access to the fake server.
func steps(calls ...func(context.Context, *Client) error) []func(context.Context, *fakeAPI, *Client) error {
	out := make([]func(context.Context, *fakeAPI, *Client) error, 0, len(calls))
	for _, call := range calls {
		out = append(out, func(ctx context.Context, _ *fakeAPI, c *Client) error { return call(ctx, c) })
	}
	return out
}

// A step written after its webhook was created in the same client is completed from what the
// client knows, without reading it back.
func TestStepWriteAfterWebhookCreateNeedsNoReadBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		createWebhook bool
		wantReadBacks int
	}{
		{name: "webhook created by this client", createWebhook: true, wantReadBacks: 0},
		{name: "webhook unknown to this client", wantReadBacks: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, h := newFakeHarness(t)
			ctx := context.Background()
			if tc.createWebhook {
				if _, err := h.client.CreateWebhook(ctx, WebhookCreate{ID: webhookID, Name: "orders", URL: "https://hooks.example.com/in", AuthType: AuthTypeWebhookKey}); err != nil {
					t.Fatal(err)
				}
			} else {
				f.addWebhook(webhookID, "orders", 8)
			}
			f.addStep(stepID, "on update", webhookID, 8)
			h.client.catalog.rememberFilter(MessageFilter{MessageID: messageID, FilterID: filterID, Message: "Update", Table: "account"})
			name := "renamed"
			s, err := h.client.UpdateStep(ctx, stepID, stepChange(func(s *StepSettings) { s.Name = name }))
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != name || !s.HandlerIsWebhook || s.Message != "Update" || s.Table != "account" {
				t.Errorf("step = %+v, want renamed, on a webhook, Update of account", s)
			}
			f.wantCount(t, "GET sdkmessageprocessingsteps()", tc.wantReadBacks, "step read-backs")
		})
	}
}
