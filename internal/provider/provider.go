// Package provider is the Terraform glue of the Dataverse provider: schemas,
// plan logic and conversion between Terraform values and the Web API client.
package provider

import (
	"context"
	"errors"
	"net/http"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/registry"
)

// New returns a constructor for the provider, as providerserver expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &dataverseProvider{version: version, getenv: osGetenv, destroying: destroyRun}
	}
}

type dataverseProvider struct {
	version string
	getenv  func(string) string
	// transport carries the Web API requests; nil is a copy of the standard library's. A test
	// serving the provider in process sets it to reach Dataverse through a fault proxy.
	transport http.RoundTripper
	// destroying reports a Terraform destroy run (destroy_run.go); nil is never.
	destroying func() bool
}

var _ provider.Provider = (*dataverseProvider)(nil)

func (p *dataverseProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = registry.Type
	resp.Version = p.version
}

func (p *dataverseProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	attrs := map[string]schema.Attribute{}
	for _, s := range providerSettings {
		attrs[s.name] = s.schemaAttribute()
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Registers Microsoft Dataverse webhooks and the steps that fire them, and reports the " +
			"system jobs that failed. Authenticates with Microsoft Entra ID; every setting may also come from an " +
			"environment variable, listed with each attribute.",
		Attributes: attrs,
	}
}

func (p *dataverseProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	block, diags := readProviderValues(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Unknown values (e.g. an URL computed by another resource) cannot configure a client yet;
	// Terraform calls Configure again at apply time with known values.
	if block.anyUnknown() {
		tflog.Debug(ctx, "provider configuration has unknown values; deferring client creation")
		return
	}

	s, diags := resolveSettings(block, p.getenv)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	data, err := newProviderData(s, p.version, p.transport)
	if err == nil && p.destroying != nil {
		data.destroying = p.destroying()
	}
	if err != nil {
		var authErr authSetupError
		if errors.As(err, &authErr) {
			addAuthSetupError(&resp.Diagnostics, err)
		} else {
			resp.Diagnostics.AddAttributeError(path.Root(attributeOf(auth.EnvironmentURL)), "Invalid Dataverse environment URL", err.Error())
		}
		return
	}
	ctx = data.withMasks(ctx)
	checkSignIn(ctx, data.tokens, data.method, data.credential, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	tflog.Info(ctx, "configured Dataverse client", map[string]any{
		"environment_url": s.auth.EnvironmentURL,
		"auth_method":     string(data.method),
	})
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.ListResourceData = data
	resp.ActionData = data
}

// authSetupError marks a failure to set up authentication (missing settings, an unreadable
// certificate), as opposed to a bad environment URL.
type authSetupError struct{ err error }

func (e authSetupError) Error() string { return e.err.Error() }
func (e authSetupError) Unwrap() error { return e.err }

// newProviderData builds the one client that every resource and data source of this provider
// process shares, sending through transport (nil: defaultTransport). No request is made;
// Configure then fetches the first token (checkSignIn).
func newProviderData(s resolvedSettings, version string, transport http.RoundTripper) (*providerData, error) {
	tokens, method, err := auth.NewTokenSource(s.auth)
	if err != nil {
		return nil, authSetupError{err}
	}
	cfg := s.client
	cfg.EnvironmentURL = s.auth.EnvironmentURL
	cfg.TokenSource = tokens
	if transport == nil {
		transport = defaultTransport()
	}
	cfg.HTTPClient = &http.Client{Transport: transport}
	cfg.UserAgent = "terraform-provider-dataverse/" + version
	cfg.OnRequest = logRequest
	secrets := s.auth.Secrets()
	cfg.Secrets = secrets
	client, err := dataverse.New(cfg)
	if err != nil {
		return nil, err
	}
	return &providerData{client: client, tokens: tokens, method: method, credential: s.auth.Credential(method), secrets: secrets}, nil
}

// logRequest records one Web API attempt; it never sees headers or bodies.
func logRequest(ctx context.Context, l dataverse.RequestLog) {
	// The client logs concurrent requests with one shared context, and a masked tflog context
	// rewrites its field map on every line: SetField gives this line a copy of its own.
	ctx = tflog.SetField(ctx, "attempt", l.Attempt)
	fields := map[string]any{
		"method":      l.Method,
		"path":        l.Path,
		"status":      l.Status,
		"duration_ms": l.Duration.Milliseconds(),
	}
	if l.ErrorCode != "" {
		fields["error_code"] = l.ErrorCode
	}
	if l.Err != nil {
		fields["error"] = l.Err.Error()
	}
	tflog.Debug(ctx, "Dataverse Web API request", fields)
}

func (p *dataverseProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewWebhookResource,
		NewWebhookStepResource,
		NewWebhookStepImageResource,
	}
}

func (p *dataverseProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewWebhooksDataSource,
		NewWebhookStepsDataSource,
		NewWebhookFailedJobsDataSource,
	}
}

// defaultTransport is a copy of the standard library's transport, so that settings made on it
// stay with this provider's client.
func defaultTransport() http.RoundTripper {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return http.DefaultTransport
}
