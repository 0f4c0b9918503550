package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

func osGetenv(name string) string { return os.Getenv(name) }

type settingKind int

const (
	stringSetting settingKind = iota
	boolSetting
	intSetting
)

// setting describes one provider attribute: its schema, the environment variables it falls
// back to, in order (the DATAVERSE_* name first, then the names the Azure tooling already
// uses), and where its value goes.
type setting struct {
	name string
	// auth is the authentication setting the attribute gives; "" for the client's tuning. It
	// makes the attribute a switch or not, and sensitive when it is a credential.
	auth        auth.Setting
	kind        settingKind
	env         []string
	description string
	// azureDevOpsEnv is the Azure DevOps pipeline variable that supplies the setting when a
	// service connection is named; Azure DevOps names its OIDC variables differently from
	// GitHub Actions, and a GitHub runner must not pick them up by accident.
	azureDevOpsEnv string
	// apply checks the resolved text ("" when unset) and stores it, where an authentication
	// setting is not stored as given; an error is reported on the attribute with the summary
	// invalid.
	apply   func(r *resolvedSettings, raw string) error
	invalid string
}

const (
	maxConcurrentCeiling = 52 // Dataverse's per-user concurrency limit
	maxRetriesCeiling    = 50
)

var providerSettings = []setting{
	{name: "environment_url", auth: auth.EnvironmentURL, env: []string{"DATAVERSE_URL", "DATAVERSE_ENVIRONMENT_URL"},
		description: "URL of the Dataverse environment, such as `https://contoso.crm.dynamics.com`: `https`, a host, no path.",
		apply:       applyEnvironmentURL, invalid: "Invalid Dataverse environment URL"},
	{name: "tenant_id", auth: auth.TenantID, env: []string{"DATAVERSE_TENANT_ID", "ARM_TENANT_ID", "AZURE_TENANT_ID"},
		description: "Microsoft Entra tenant (directory) ID of the application."},
	{name: "client_id", auth: auth.ClientID, env: []string{"DATAVERSE_CLIENT_ID", "ARM_CLIENT_ID", "AZURE_CLIENT_ID"},
		description: "Application (client) ID. With `use_msi`, the client ID of a user-assigned managed identity."},
	{name: "client_secret", auth: auth.ClientSecret, env: []string{"DATAVERSE_CLIENT_SECRET", "ARM_CLIENT_SECRET", "AZURE_CLIENT_SECRET"},
		description: "Client secret of the application (client secret authentication)."},
	{name: "client_certificate_path", auth: auth.ClientCertificatePath, env: []string{"DATAVERSE_CLIENT_CERTIFICATE_PATH", "ARM_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PATH"},
		description: "Path to a PEM or PKCS#12 file holding the application's certificate and private key."},
	{name: "client_certificate", auth: auth.ClientCertificate, env: []string{"DATAVERSE_CLIENT_CERTIFICATE", "ARM_CLIENT_CERTIFICATE"},
		description: "Base64-encoded PEM or PKCS#12 content of the application's certificate and private key."},
	{name: "client_certificate_password", auth: auth.ClientCertificatePassword, env: []string{"DATAVERSE_CLIENT_CERTIFICATE_PASSWORD", "ARM_CLIENT_CERTIFICATE_PASSWORD", "AZURE_CLIENT_CERTIFICATE_PASSWORD"},
		description: "Password of the PKCS#12 certificate, if it has one."},
	{name: "use_oidc", auth: auth.UseOIDC, env: []string{"DATAVERSE_USE_OIDC", "ARM_USE_OIDC"},
		description: "Authenticate with an OpenID Connect token from the pipeline (workload identity federation)."},
	{name: "oidc_token", auth: auth.OIDCToken, env: []string{"DATAVERSE_OIDC_TOKEN", "ARM_OIDC_TOKEN"},
		description: "An OIDC token to exchange for an access token, given directly."},
	{name: "oidc_token_file_path", auth: auth.OIDCTokenFilePath, env: []string{"DATAVERSE_OIDC_TOKEN_FILE_PATH", "ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"},
		description: "Path to a file holding the OIDC token; read again on every token request, since such files rotate."},
	{name: "oidc_request_url", auth: auth.OIDCRequestURL, env: []string{"DATAVERSE_OIDC_REQUEST_URL", "ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"},
		azureDevOpsEnv: "SYSTEM_OIDCREQUESTURI",
		description: "URL the pipeline serves OIDC tokens from: `ACTIONS_ID_TOKEN_REQUEST_URL` in GitHub Actions, " +
			"`SYSTEM_OIDCREQUESTURI` in Azure DevOps (used when `ado_pipeline_service_connection_id` is set)."},
	{name: "oidc_request_token", auth: auth.OIDCRequestToken, env: []string{"DATAVERSE_OIDC_REQUEST_TOKEN", "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"},
		azureDevOpsEnv: "SYSTEM_ACCESSTOKEN",
		description: "Bearer token for `oidc_request_url`: `ACTIONS_ID_TOKEN_REQUEST_TOKEN` in GitHub Actions, " +
			"`SYSTEM_ACCESSTOKEN` in Azure DevOps (used when `ado_pipeline_service_connection_id` is set)."},
	{name: azureDevOpsConnection, auth: auth.ADOServiceConnectionID, env: []string{"DATAVERSE_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID"},
		description: "ID of the Azure DevOps service connection whose workload identity federation issues the OIDC token."},
	{name: "use_msi", auth: auth.UseMSI, env: []string{"DATAVERSE_USE_MSI", "ARM_USE_MSI"},
		description: "Authenticate with the managed identity of the machine running Terraform (system-assigned, or user-assigned when `client_id` is set)."},
	{name: "use_cli", auth: auth.UseCLI, env: []string{"DATAVERSE_USE_CLI", "ARM_USE_CLI"},
		description: "Authenticate with the account signed in to the Azure CLI (`az login`), for use at a desk."},
	{name: "authority_host", auth: auth.AuthorityHost, env: []string{"DATAVERSE_AUTHORITY_HOST", "AZURE_AUTHORITY_HOST"},
		description: "Microsoft Entra authority host. Defaults to `" + auth.DefaultAuthorityHost + "`; sovereign clouds use " +
			"`https://login.microsoftonline.us` or `https://login.chinacloudapi.cn`."},
	{name: "request_timeout", env: []string{"DATAVERSE_REQUEST_TIMEOUT"},
		description: "Timeout of one Web API attempt, as a Go duration such as `90s` or `2m`. Defaults to `" + shortDuration(dataverse.DefaultRequestTimeout) + "`.",
		apply:       applyRequestTimeout, invalid: "Invalid request timeout"},
	{name: "max_retries", kind: intSetting, env: []string{"DATAVERSE_MAX_RETRIES"},
		description: fmt.Sprintf("Most attempts of one Web API request, the first included, when Dataverse throttles or fails transiently. Defaults to %d; at most %d.", dataverse.DefaultMaxRetries, maxRetriesCeiling),
		apply:       whole("max_retries", maxRetriesCeiling, func(r *resolvedSettings) *int { return &r.client.MaxRetries }), invalid: "Invalid max retries"},
	{name: "max_concurrent_requests", kind: intSetting, env: []string{"DATAVERSE_MAX_CONCURRENT_REQUESTS"},
		description: fmt.Sprintf("Most Web API requests in flight at once from one provider process. Defaults to %d; at most %d, Dataverse's per-user limit.", dataverse.DefaultMaxConcurrentRequests, maxConcurrentCeiling),
		apply:       whole("max_concurrent_requests", maxConcurrentCeiling, func(r *resolvedSettings) *int { return &r.client.MaxConcurrentRequests }), invalid: "Invalid max concurrent requests"},
}

// azureDevOpsConnection names the service connection whose presence switches the OIDC request
// settings to their Azure DevOps variables.
const azureDevOpsConnection = "ado_pipeline_service_connection_id"

// invalidSummary is the summary of an error in the attribute's value.
func (s setting) invalidSummary() string {
	if s.invalid == "" && s.valueKind() == boolSetting {
		return "Invalid boolean setting"
	}
	return s.invalid
}

// settingFor finds the provider setting that gives an authentication setting.
func settingFor(a auth.Setting) (setting, bool) {
	for _, s := range providerSettings {
		if a != "" && s.auth == a {
			return s, true
		}
	}
	return setting{}, false
}

// valueKind is the attribute's type: a switch of authentication is a boolean.
func (s setting) valueKind() settingKind {
	if s.auth.IsSwitch() {
		return boolSetting
	}
	return s.kind
}

// attributeOf is the provider attribute that sets a; "" when none does.
func attributeOf(a auth.Setting) string {
	s, _ := settingFor(a)
	return s.name
}

// settingNamed finds the provider setting of an attribute name.
func settingNamed(name string) (setting, bool) {
	for _, s := range providerSettings {
		if s.name == name {
			return s, true
		}
	}
	return setting{}, false
}

func (s setting) schemaAttribute() schema.Attribute {
	desc := s.description
	if len(s.env) > 0 {
		desc += " May also be set with " + envList(s.env)
		if s.azureDevOpsEnv != "" {
			desc += ", or `" + s.azureDevOpsEnv + "` in Azure DevOps"
		}
		desc += "."
	}
	switch s.valueKind() {
	case boolSetting:
		return schema.BoolAttribute{Optional: true, MarkdownDescription: desc}
	case intSetting:
		return schema.Int64Attribute{Optional: true, MarkdownDescription: desc}
	default:
		return schema.StringAttribute{Optional: true, Sensitive: s.auth.Secret(), MarkdownDescription: desc}
	}
}

func envList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "`" + n + "`"
	}
	return strings.Join(quoted, ", ")
}

// shortDuration spells a whole number of minutes or seconds as a Go duration ("2m", "90s").
func shortDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return strconv.Itoa(int(d/time.Second)) + "s"
}

// providerValues is the provider block's values by attribute name; an attribute that is
// missing is null.
type providerValues map[string]attr.Value

// readProviderValues reads the provider block by the table's attribute names, so that a new
// setting needs no field of a model struct.
func readProviderValues(ctx context.Context, config tfsdk.Config) (providerValues, diag.Diagnostics) {
	var block types.Object
	diags := config.Get(ctx, &block)
	return providerValues(block.Attributes()), diags
}

func (b providerValues) anyUnknown() bool {
	for _, v := range b {
		if v.IsUnknown() {
			return true
		}
	}
	return false
}

// resolvedSettings is the provider block after environment fallbacks and validation.
type resolvedSettings struct {
	auth auth.Config
	// client holds the client's tuning; a field left zero takes the client's default.
	client dataverse.Config
}

// resolveSettings applies environment fallbacks and checks what can be checked without a network.
func resolveSettings(block providerValues, getenv func(string) string) (resolvedSettings, diag.Diagnostics) {
	var diags diag.Diagnostics
	connection, _ := settingNamed(azureDevOpsConnection)
	adoConnection, _ := configOrEnv(block[connection.name], connection.env, getenv)
	azureDevOps := adoConnection != ""
	var out resolvedSettings
	for _, s := range providerSettings {
		v := block[s.name]
		raw, from := configOrEnv(v, s.env, getenv)
		if azureDevOps && s.azureDevOpsEnv != "" && (v == nil || v.IsNull()) && !hasExplicitEnv(s, getenv) {
			if ado := getenv(s.azureDevOpsEnv); ado != "" {
				raw, from = ado, s.azureDevOpsEnv
			}
		}
		if err := s.store(&out, raw); err != nil {
			detail := err.Error()
			if from != "" {
				// The attribute is not in the configuration: say where the value came from.
				detail += " (The value comes from the environment variable " + from + ".)"
			}
			diags.AddAttributeError(path.Root(s.name), s.invalidSummary(), detail)
		}
	}
	return out, diags
}

// invalidValue is the detail of an attribute error, written as the sentences users read.
type invalidValue string

func (e invalidValue) Error() string { return string(e) }

// store checks the resolved text ("" when unset) and keeps it in r: through the setting's own
// apply, or else as the authentication setting it gives.
func (s setting) store(r *resolvedSettings, raw string) error {
	if s.apply != nil {
		return s.apply(r, raw)
	}
	if s.valueKind() == boolSetting {
		on, err := parseBoolSetting(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		raw = strconv.FormatBool(on)
	}
	return r.auth.Set(s.auth, raw)
}

// whole stores a whole number from 1 to ceiling; unset keeps the default.
func whole(name string, ceiling int, field func(*resolvedSettings) *int) func(*resolvedSettings, string) error {
	return func(r *resolvedSettings, raw string) error {
		if raw == "" {
			return nil
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > ceiling {
			return invalidValue(fmt.Sprintf("%s must be a whole number from %d to %d; got %q.", name, 1, ceiling, raw))
		}
		*field(r) = n
		return nil
	}
}

func applyEnvironmentURL(r *resolvedSettings, raw string) error {
	u, err := normaliseEnvironmentURL(raw)
	r.auth.EnvironmentURL = u
	return err
}

func applyRequestTimeout(r *resolvedSettings, raw string) error {
	if raw == "" {
		return nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return invalidValue(fmt.Sprintf("request_timeout must be a positive Go duration such as \"90s\" or \"2m\"; got %q.", raw))
	}
	r.client.RequestTimeout = d
	return nil
}

// hasExplicitEnv reports whether one of the setting's own variables is set; those beat the
// Azure DevOps fallbacks.
func hasExplicitEnv(s setting, getenv func(string) string) bool {
	for _, e := range s.env {
		if (strings.HasPrefix(e, "DATAVERSE_") || strings.HasPrefix(e, "ARM_")) && getenv(e) != "" {
			return true
		}
	}
	return false
}

// configOrEnv is the attribute's value, or else the first of env that is set, with the name of
// that variable ("" for the configuration's value, or none).
func configOrEnv(v attr.Value, env []string, getenv func(string) string) (value, from string) {
	if v != nil && !v.IsNull() && !v.IsUnknown() {
		switch tv := v.(type) {
		case types.String:
			return tv.ValueString(), ""
		case types.Bool:
			return strconv.FormatBool(tv.ValueBool()), ""
		case types.Int64:
			return strconv.FormatInt(tv.ValueInt64(), 10), ""
		}
	}
	for _, e := range env {
		if val := strings.TrimSpace(getenv(e)); val != "" {
			return val, e
		}
	}
	return "", ""
}

func parseBoolSetting(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("want true or false, got %q", s)
	}
	return b, nil
}

// normaliseEnvironmentURL checks the URL by the client's rule (dataverse.ParseEnvironmentURL)
// and says what is wrong in terms of the provider's settings. The provider takes https only:
// Entra ID issues tokens for https resources, so plain http, which the client takes to this
// machine, could never sign in.
func normaliseEnvironmentURL(s string) (string, error) {
	const example = "https://contoso.crm.dynamics.com"
	u, err := dataverse.ParseEnvironmentURL(s)
	if err == nil && !strings.HasPrefix(u, "https://") {
		err = &dataverse.EnvironmentURLError{Problem: dataverse.EnvironmentURLNotHTTPS, Shown: u}
	}
	var bad *dataverse.EnvironmentURLError
	if !errors.As(err, &bad) {
		return u, err
	}
	// A host, with or without a port, given without its scheme: the fix is the same value with it.
	if trimmed := strings.TrimSpace(s); bad.Problem != dataverse.EnvironmentURLMissing && !strings.Contains(trimmed, "://") {
		if fixed, err := dataverse.ParseEnvironmentURL("https://" + trimmed); err == nil {
			return "", fmt.Errorf("environment_url needs its scheme: use %q", fixed)
		}
	}
	switch bad.Problem {
	case dataverse.EnvironmentURLMissing:
		return "", fmt.Errorf("environment_url is required: set it in the provider block or with DATAVERSE_URL, e.g. %s", example)
	case dataverse.EnvironmentURLNotAURL:
		return "", fmt.Errorf("environment_url is not a URL; use one such as %s", example)
	case dataverse.EnvironmentURLUserInfo:
		return "", fmt.Errorf("environment_url must not carry a user name or password (the provider signs in with Entra ID); use %q",
			"https://"+bad.Host)
	case dataverse.EnvironmentURLNotHTTPS:
		return "", fmt.Errorf("environment_url must use https, e.g. %s; got %q", example, bad.Shown)
	case dataverse.EnvironmentURLNoHost:
		return "", fmt.Errorf("environment_url must name a host, e.g. %s; got %q", example, bad.Shown)
	case dataverse.EnvironmentURLPath:
		// The fix offered is one the provider takes: https, even where the client takes http.
		return "", fmt.Errorf("environment_url must not have a path (the provider adds %s); got %q, use %q", dataverse.APIPath, bad.Shown, "https://"+bad.Host)
	default:
		return "", fmt.Errorf("environment_url must be only scheme and host, without a query or fragment; use %q", "https://"+bad.Host)
	}
}
