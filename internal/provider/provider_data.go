package provider

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// providerDataFrom unpacks what Configure handed to a resource or data source. It returns nil
// when the provider is not configured yet (Terraform validates before it configures).
func providerDataFrom(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *providerData, got %T; this is a bug in the provider", data))
		return nil
	}
	return pd
}

// requireClient reports a clear error when an operation needs the API but the provider
// block could not be configured (for example its URL is unknown until apply).
func requireClient(pd *providerData, diags *diag.Diagnostics) *dataverse.Client {
	if pd == nil || pd.client == nil {
		diags.AddError("Provider not configured",
			"The dataverse provider has no client: its configuration was incomplete or unknown. Check the provider block and its environment variables.")
		return nil
	}
	return pd.client
}

// lockKey locks the mutex of key (compared without case) in m and returns its unlock.
func lockKey(m *sync.Map, key string) func() {
	v, _ := m.LoadOrStore(strings.ToLower(key), &sync.Mutex{})
	mu, _ := v.(*sync.Mutex) // the map holds only mutexes
	mu.Lock()
	return mu.Unlock
}

// resourceBase holds what every resource and list resource shares: its type name and the
// provider's data.
type resourceBase struct {
	typeName string // after the provider's name, such as "_webhook"
	data     *providerData
}

func (b *resourceBase) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + b.typeName
}

func (b *resourceBase) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	b.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// modelSource is the plan or state a resource operation reads its model from.
type modelSource interface {
	Get(ctx context.Context, target any) diag.Diagnostics
}

// startOperation gets the plan or state into m, whose timeouts block t points to, and returns
// the context of the operation whose timeout pick chooses (timeouts.Value.Create, Read, Update
// or Delete), its cancel, and the client; the client is nil when diags hold an error.
func (b *resourceBase) startOperation(ctx context.Context, from modelSource, m any, t *timeouts.Value,
	pick func(timeouts.Value, context.Context, time.Duration) (time.Duration, diag.Diagnostics), diags *diag.Diagnostics) (context.Context, context.CancelFunc, *dataverse.Client) {
	diags.Append(from.Get(ctx, m)...)
	client := requireClient(b.data, diags)
	if diags.HasError() {
		return ctx, func() {}, nil
	}
	ctx, cancel := b.data.operationContext(ctx, func(ctx context.Context, d time.Duration) (time.Duration, diag.Diagnostics) {
		return pick(*t, ctx, d)
	}, diags)
	return ctx, cancel, client
}
