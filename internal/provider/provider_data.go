package provider

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	datasourcetimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	resourcetimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
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

// operation is a resource operation: the name of its timeout and the reader of its value.
type operation struct {
	name    string
	timeout func(resourcetimeouts.Value, context.Context, time.Duration) (time.Duration, diag.Diagnostics)
}

var (
	opCreate = operation{"create", resourcetimeouts.Value.Create}
	opRead   = operation{"read", resourcetimeouts.Value.Read}
	opUpdate = operation{"update", resourcetimeouts.Value.Update}
	opDelete = operation{"delete", resourcetimeouts.Value.Delete}
)

// startOperation gets the plan or state into m, whose timeouts block t points to, and starts
// the operation op (see startCall).
func (b *resourceBase) startOperation(ctx context.Context, from modelSource, m any, t *resourcetimeouts.Value,
	op operation, diags *diag.Diagnostics) (context.Context, context.CancelFunc, *dataverse.Client) {
	return startCall(ctx, b.data, from, m, op.name, true, func(ctx context.Context) (time.Duration, diag.Diagnostics) {
		d, td := op.timeout(*t, ctx, defaultTimeout)
		if d <= 0 { // stored before timeouts were checked at plan: it would end every call at once
			d = defaultTimeout
		}
		return d, td
	}, diags)
}

// startCall gets the plan, state or configuration into m and returns the context of the call,
// its cancel, and the client. The context masks secrets in logs and ends after the timeout
// that timeout reads from m's timeouts block, once m is filled, with a cause naming that
// timeout (timeouts.<name>). The client is nil when diags hold an error.
func startCall(ctx context.Context, pd *providerData, from modelSource, m any, name string, ofResource bool,
	timeout func(context.Context) (time.Duration, diag.Diagnostics), diags *diag.Diagnostics) (context.Context, context.CancelFunc, *dataverse.Client) {
	diags.Append(from.Get(ctx, m)...)
	client := requireClient(pd, diags)
	if diags.HasError() {
		return ctx, func() {}, nil
	}
	ctx = pd.withMasks(ctx)
	t, td := timeout(ctx)
	if diags.Append(td...); diags.HasError() {
		return ctx, func() {}, nil
	}
	ctx, cancel := context.WithTimeoutCause(ctx, t, timeoutRanOut{name: name, limit: t, resource: ofResource})
	return ctx, cancel, client
}

// timeoutRanOut is why a call's context ended at its timeout: it names the timeout to raise. It
// is a context.DeadlineExceeded.
type timeoutRanOut struct {
	name     string
	limit    time.Duration
	resource bool // a resource's, not a data source's
}

func (e timeoutRanOut) Error() string {
	msg := fmt.Sprintf("the %s timeout of %s ran out; raise timeouts.%s if Dataverse needs longer", e.name, e.limit, e.name)
	if e.name == opRead.name && e.resource {
		// A refresh reads the timeouts of the state, which only an apply replaces.
		msg += " (a refresh uses the value in the state: store a raised one with terraform apply -refresh=false)"
	}
	return msg
}

func (e timeoutRanOut) Unwrap() error { return context.DeadlineExceeded }

// providerData is what resources and data sources receive from Configure.
type providerData struct {
	client *dataverse.Client
	tokens auth.TokenSource
	method auth.Method
	// credential is the setting that carries the method's credential, where a failed sign-in
	// points.
	credential auth.Setting
	// secrets are masked in every log line written with a context from withMasks.
	secrets []string
	// plannedWebhookNames catches two webhooks of one configuration with the same name.
	plannedWebhookNames plannedNames
	// plannedSteps catches two steps of one webhook that would fire identically.
	plannedSteps plannedSteps
	// webhookRenames are the renames this run plans, which the default names of the webhooks'
	// steps follow. A webhook plans before its steps, which depend on it.
	webhookRenames plannedRenames
	// claims holds the rows the resources of this provider created or adopted (adopt.go).
	claims rowClaims
	// stepsByWebhook is what is known of each webhook's steps (step_identity.go).
	stepsByWebhook sync.Map // lower-case webhook id → *webhookSteps
	// webhookNameLocks serializes the name check and the write of webhooks of one name.
	webhookNameLocks sync.Map // lower-case name → *sync.Mutex
	// imageLocks serializes the alias check and the write of images on one step.
	imageLocks sync.Map // lower-case step id → *sync.Mutex
	// refusedImages are the images Create refused that this plan refreshed or this apply removed.
	refusedImages sync.Map // refusedImageKey → true
	// plannedStepTriggers are the message, table and stage this run plans for existing steps that
	// change them, which the plans of their images, made after the step's, check against.
	plannedStepTriggers sync.Map // lower-case step id → plannedTrigger
	// refreshedWebhooks are the webhooks this run's refresh read from a state: a row under a
	// derived id among them belongs to a resource of the configuration, such as a tainted
	// webhook planned as a create, not to an interrupted apply or another configuration.
	refreshedWebhooks sync.Map // lower-case webhook id → true
	// stepsGoneFrom are the webhooks of the steps this run's refresh found deleted, as Dataverse
	// deletes a webhook's steps with it.
	stepsGoneFrom sync.Map // lower-case webhook id → true
	// imagesGoneFrom are the steps of the images this run's refresh found deleted, as Dataverse
	// deletes a step's images with it.
	imagesGoneFrom sync.Map // lower-case step id → true
	// listedImages are the aliases that existing steps' images attributes plan in this run
	// (listedImageKey), and importedImages the images this run imports: an image resource
	// imported onto a listed alias would be managed twice.
	listedImages   sync.Map // listedImageKey → true
	importedImages sync.Map // lower-case image id → true
	// droppedImages are the images that existing steps' plans remove from their images
	// attribute, which the steps' updates delete before the images that refer to them apply.
	droppedImages sync.Map // lower-case image id → true
	// destroying marks a Terraform destroy run, whose plan of the configuration only refreshes
	// the state (destroy_run.go).
	destroying bool
}

// plansForDestroy reports that this plan is the one a destroy makes of the configuration before
// it destroys, whose creates and updates Terraform discards: the plan checks are skipped, so that
// none stops the destroy.
func (d *providerData) plansForDestroy(ctx context.Context, resource string) bool {
	if d == nil || !d.destroying {
		return false
	}
	tflog.Debug(ctx, "destroy run: the plan checks are skipped", map[string]any{"resource": resource})
	return true
}

// listedImageKey names an alias of a step; aliases compare exactly, as Dataverse keys the
// posted images by them.
func listedImageKey(stepID, alias string) string {
	return strings.ToLower(stepID) + "/" + alias
}

// withMasks returns ctx with every known secret masked in tflog output.
func (d *providerData) withMasks(ctx context.Context) context.Context {
	if len(d.secrets) == 0 {
		return ctx
	}
	ctx = tflog.MaskAllFieldValuesStrings(ctx, d.secrets...)
	return tflog.MaskMessageStrings(ctx, d.secrets...)
}

// dataSourceBase holds what every data source shares: its type name and the provider's data.
type dataSourceBase struct {
	typeName string // after the provider's name, such as "_webhooks"
	data     *providerData
}

func (d *dataSourceBase) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + d.typeName
}

func (d *dataSourceBase) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// startRead reads the configuration into model, whose timeouts block t points to, and starts
// the read (see startCall).
func (d *dataSourceBase) startRead(ctx context.Context, config tfsdk.Config, model any, t *datasourcetimeouts.Value, diags *diag.Diagnostics) (context.Context, context.CancelFunc, *dataverse.Client) {
	return startCall(ctx, d.data, config, model, "read", false, func(ctx context.Context) (time.Duration, diag.Diagnostics) {
		return t.Read(ctx, defaultDataSourceReadTimeout)
	}, diags)
}
