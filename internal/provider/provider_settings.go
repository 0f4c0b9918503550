package provider

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
)

func osGetenv(name string) string { return os.Getenv(name) }

type settingKind int

const (
	stringSetting settingKind = iota
	boolSetting
	intSetting
)

// setting describes one provider attribute and the environment variables it falls back to,
// in order: the DATAVERSE_* name first, then the names the Azure tooling already uses.
type setting struct {
	name        string
	kind        settingKind
	sensitive   bool
	env         []string
	description string
}

const (
	maxRetriesDefault       = 10
	maxConcurrentDefault    = 16
	maxConcurrentCeiling    = 52 // Dataverse's per-user concurrency limit
	maxRetriesCeiling       = 50
	defaultAuthorityHostURL = "https://login.microsoftonline.com"
)

var providerSettings = []setting{
	{name: "environment_url", env: []string{"DATAVERSE_URL", "DATAVERSE_ENVIRONMENT_URL"},
		description: "URL of the Dataverse environment, such as `https://contoso.crm.dynamics.com`: `https`, a host, no path."},
	{name: "tenant_id", env: []string{"DATAVERSE_TENANT_ID", "ARM_TENANT_ID", "AZURE_TENANT_ID"},
		description: "Microsoft Entra tenant (directory) ID of the application."},
	{name: "client_id", env: []string{"DATAVERSE_CLIENT_ID", "ARM_CLIENT_ID", "AZURE_CLIENT_ID"},
		description: "Application (client) ID. With `use_msi`, the client ID of a user-assigned managed identity."},
	{name: "client_secret", sensitive: true, env: []string{"DATAVERSE_CLIENT_SECRET", "ARM_CLIENT_SECRET", "AZURE_CLIENT_SECRET"},
		description: "Client secret of the application (client secret authentication)."},
	{name: "client_certificate_path", env: []string{"DATAVERSE_CLIENT_CERTIFICATE_PATH", "ARM_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PATH"},
		description: "Path to a PEM or PKCS#12 file holding the application's certificate and private key."},
	{name: "client_certificate", sensitive: true, env: []string{"DATAVERSE_CLIENT_CERTIFICATE", "ARM_CLIENT_CERTIFICATE"},
		description: "Base64-encoded PEM or PKCS#12 content of the application's certificate and private key."},
	{name: "client_certificate_password", sensitive: true, env: []string{"DATAVERSE_CLIENT_CERTIFICATE_PASSWORD", "ARM_CLIENT_CERTIFICATE_PASSWORD", "AZURE_CLIENT_CERTIFICATE_PASSWORD"},
		description: "Password of the PKCS#12 certificate, if it has one."},
	{name: "use_oidc", kind: boolSetting, env: []string{"DATAVERSE_USE_OIDC", "ARM_USE_OIDC"},
		description: "Authenticate with an OpenID Connect token from the pipeline (workload identity federation)."},
	{name: "oidc_token", sensitive: true, env: []string{"DATAVERSE_OIDC_TOKEN", "ARM_OIDC_TOKEN"},
		description: "An OIDC token to exchange for an access token, given directly."},
	{name: "oidc_token_file_path", env: []string{"DATAVERSE_OIDC_TOKEN_FILE_PATH", "ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"},
		description: "Path to a file holding the OIDC token; read again on every token request, since such files rotate."},
	{name: "oidc_request_url", env: []string{"DATAVERSE_OIDC_REQUEST_URL", "ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"},
		description: "URL the pipeline serves OIDC tokens from: `ACTIONS_ID_TOKEN_REQUEST_URL` in GitHub Actions, " +
			"`SYSTEM_OIDCREQUESTURI` in Azure DevOps (used when `ado_pipeline_service_connection_id` is set)."},
	{name: "oidc_request_token", sensitive: true, env: []string{"DATAVERSE_OIDC_REQUEST_TOKEN", "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"},
		description: "Bearer token for `oidc_request_url`: `ACTIONS_ID_TOKEN_REQUEST_TOKEN` in GitHub Actions, " +
			"`SYSTEM_ACCESSTOKEN` in Azure DevOps (used when `ado_pipeline_service_connection_id` is set)."},
	{name: "ado_pipeline_service_connection_id", env: []string{"DATAVERSE_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID"},
		description: "ID of the Azure DevOps service connection whose workload identity federation issues the OIDC token."},
	{name: "use_msi", kind: boolSetting, env: []string{"DATAVERSE_USE_MSI", "ARM_USE_MSI"},
		description: "Authenticate with the managed identity of the machine running Terraform (system-assigned, or user-assigned when `client_id` is set)."},
	{name: "use_cli", kind: boolSetting, env: []string{"DATAVERSE_USE_CLI", "ARM_USE_CLI"},
		description: "Authenticate with the account signed in to the Azure CLI (`az login`), for use at a desk."},
	{name: "authority_host", env: []string{"DATAVERSE_AUTHORITY_HOST", "AZURE_AUTHORITY_HOST"},
		description: "Microsoft Entra authority host. Defaults to `" + defaultAuthorityHostURL + "`; sovereign clouds use " +
			"`https://login.microsoftonline.us` or `https://login.chinacloudapi.cn`."},
	{name: "request_timeout", env: []string{"DATAVERSE_REQUEST_TIMEOUT"},
		description: "Timeout of one Web API attempt, as a Go duration such as `90s` or `2m`. Defaults to `2m`."},
	{name: "max_retries", kind: intSetting, env: []string{"DATAVERSE_MAX_RETRIES"},
		description: fmt.Sprintf("Most attempts of one Web API request, the first included, when Dataverse throttles or fails transiently. Defaults to %d; at most %d.", maxRetriesDefault, maxRetriesCeiling)},
	{name: "max_concurrent_requests", kind: intSetting, env: []string{"DATAVERSE_MAX_CONCURRENT_REQUESTS"},
		description: fmt.Sprintf("Most Web API requests in flight at once from one provider process. Defaults to %d; at most %d, Dataverse's per-user limit.", maxConcurrentDefault, maxConcurrentCeiling)},
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

// Azure DevOps names its OIDC request variables differently from GitHub Actions; they apply
// only when a service connection is named, so a GitHub runner never picks them up by accident.
var adoFallbacks = map[string]string{
	"oidc_request_url":   "SYSTEM_OIDCREQUESTURI",
	"oidc_request_token": "SYSTEM_ACCESSTOKEN",
}

func (s setting) schemaAttribute() schema.Attribute {
	desc := s.description
	if len(s.env) > 0 {
		desc += " May also be set with " + envList(s.env)
		if extra, ok := adoFallbacks[s.name]; ok {
			desc += ", or `" + extra + "` in Azure DevOps"
		}
		desc += "."
	}
	switch s.kind {
	case boolSetting:
		return schema.BoolAttribute{Optional: true, MarkdownDescription: desc}
	case intSetting:
		return schema.Int64Attribute{Optional: true, MarkdownDescription: desc}
	default:
		return schema.StringAttribute{Optional: true, Sensitive: s.sensitive, MarkdownDescription: desc}
	}
}

func envList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "`" + n + "`"
	}
	return strings.Join(quoted, ", ")
}

func (m providerModel) values() map[string]attr.Value {
	return map[string]attr.Value{
		"environment_url":                    m.EnvironmentURL,
		"tenant_id":                          m.TenantID,
		"client_id":                          m.ClientID,
		"client_secret":                      m.ClientSecret,
		"client_certificate_path":            m.ClientCertificatePath,
		"client_certificate":                 m.ClientCertificate,
		"client_certificate_password":        m.ClientCertificatePassword,
		"use_oidc":                           m.UseOIDC,
		"oidc_token":                         m.OIDCToken,
		"oidc_token_file_path":               m.OIDCTokenFilePath,
		"oidc_request_url":                   m.OIDCRequestURL,
		"oidc_request_token":                 m.OIDCRequestToken,
		"ado_pipeline_service_connection_id": m.ADOPipelineServiceConnectionID,
		"use_msi":                            m.UseMSI,
		"use_cli":                            m.UseCLI,
		"authority_host":                     m.AuthorityHost,
		"request_timeout":                    m.RequestTimeout,
		"max_retries":                        m.MaxRetries,
		"max_concurrent_requests":            m.MaxConcurrentRequests,
	}
}

func anyUnknown(m providerModel) bool {
	for _, v := range m.values() {
		if v.IsUnknown() {
			return true
		}
	}
	return false
}

// resolvedSettings is the provider block after environment fallbacks and validation.
type resolvedSettings struct {
	auth           auth.Config
	requestTimeout time.Duration
	maxRetries     int
	maxConcurrent  int
}

func (r resolvedSettings) secrets() []string {
	var out []string
	for _, s := range []string{r.auth.ClientSecret, r.auth.ClientCertificate, r.auth.ClientCertificatePassword, r.auth.OIDCToken, r.auth.OIDCRequestToken} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// resolveSettings applies environment fallbacks and checks what can be checked without a network.
func resolveSettings(m providerModel, getenv func(string) string) (resolvedSettings, diag.Diagnostics) {
	var diags diag.Diagnostics
	vals := m.values()
	raw := map[string]string{}
	for _, s := range providerSettings {
		raw[s.name] = configOrEnv(vals[s.name], s.env, getenv)
	}
	if raw["ado_pipeline_service_connection_id"] != "" {
		for name, env := range adoFallbacks {
			if v := getenv(env); v != "" && vals[name].IsNull() && !hasExplicitEnv(name, getenv) {
				raw[name] = v
			}
		}
	}

	out := resolvedSettings{requestTimeout: defaultRequestTimeout, maxRetries: maxRetriesDefault, maxConcurrent: maxConcurrentDefault}

	envURL, err := normaliseEnvironmentURL(raw["environment_url"])
	if err != nil {
		diags.AddAttributeError(path.Root("environment_url"), "Invalid Dataverse environment URL", err.Error())
	}
	authority := raw["authority_host"]
	if authority == "" {
		authority = defaultAuthorityHostURL
	} else if u, perr := url.Parse(authority); perr != nil || u.Scheme != "https" || u.Host == "" {
		diags.AddAttributeError(path.Root("authority_host"), "Invalid authority host",
			fmt.Sprintf("authority_host must be an https URL with a host, such as %s.", defaultAuthorityHostURL))
	}

	bools := map[string]bool{}
	for _, name := range []string{"use_oidc", "use_msi", "use_cli"} {
		b, berr := parseBoolSetting(raw[name])
		if berr != nil {
			diags.AddAttributeError(path.Root(name), "Invalid boolean setting", fmt.Sprintf("%s: %v", name, berr))
		}
		bools[name] = b
	}

	if t := raw["request_timeout"]; t != "" {
		d, derr := time.ParseDuration(t)
		if derr != nil || d <= 0 {
			diags.AddAttributeError(path.Root("request_timeout"), "Invalid request timeout",
				fmt.Sprintf("request_timeout must be a positive Go duration such as \"90s\" or \"2m\"; got %q.", t))
		} else {
			out.requestTimeout = d
		}
	}
	if n, ok := intSettingValue(raw["max_retries"], "max_retries", 1, maxRetriesCeiling, &diags); ok {
		out.maxRetries = n
	}
	if n, ok := intSettingValue(raw["max_concurrent_requests"], "max_concurrent_requests", 1, maxConcurrentCeiling, &diags); ok {
		out.maxConcurrent = n
	}

	out.auth = auth.Config{
		EnvironmentURL:            envURL,
		TenantID:                  raw["tenant_id"],
		ClientID:                  raw["client_id"],
		AuthorityHost:             strings.TrimRight(authority, "/"),
		ClientSecret:              raw["client_secret"],
		ClientCertificatePath:     raw["client_certificate_path"],
		ClientCertificate:         raw["client_certificate"],
		ClientCertificatePassword: raw["client_certificate_password"],
		UseOIDC:                   bools["use_oidc"],
		OIDCToken:                 raw["oidc_token"],
		OIDCTokenFilePath:         raw["oidc_token_file_path"],
		OIDCRequestURL:            raw["oidc_request_url"],
		OIDCRequestToken:          raw["oidc_request_token"],
		ADOServiceConnectionID:    raw["ado_pipeline_service_connection_id"],
		UseMSI:                    bools["use_msi"],
		UseCLI:                    bools["use_cli"],
	}
	return out, diags
}

// hasExplicitEnv reports whether one of the setting's own variables is set; those beat the
// Azure DevOps fallbacks.
func hasExplicitEnv(name string, getenv func(string) string) bool {
	s, _ := settingNamed(name)
	for _, e := range s.env {
		if (strings.HasPrefix(e, "DATAVERSE_") || strings.HasPrefix(e, "ARM_")) && getenv(e) != "" {
			return true
		}
	}
	return false
}

func configOrEnv(v attr.Value, env []string, getenv func(string) string) string {
	if v != nil && !v.IsNull() && !v.IsUnknown() {
		switch tv := v.(type) {
		case types.String:
			return tv.ValueString()
		case types.Bool:
			return strconv.FormatBool(tv.ValueBool())
		case types.Int64:
			return strconv.FormatInt(tv.ValueInt64(), 10)
		}
	}
	for _, e := range env {
		if val := strings.TrimSpace(getenv(e)); val != "" {
			return val
		}
	}
	return ""
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

func intSettingValue(s, name string, lo, hi int, diags *diag.Diagnostics) (int, bool) {
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		diags.AddAttributeError(path.Root(name), "Invalid "+strings.ReplaceAll(name, "_", " "),
			fmt.Sprintf("%s must be a whole number from %d to %d; got %q.", name, lo, hi, s))
		return 0, false
	}
	return n, true
}

// normaliseEnvironmentURL accepts https://host[:port][/] and returns it without the slash.
func normaliseEnvironmentURL(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("environment_url is required: set it in the provider block or with DATAVERSE_URL, " +
			"e.g. https://contoso.crm.dynamics.com")
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse's error quotes the input, password and all.
		return "", fmt.Errorf("environment_url is not a URL; use one such as https://contoso.crm.dynamics.com")
	}
	if u.User != nil {
		return "", fmt.Errorf("environment_url must not carry a user name or password (the provider signs in with Entra ID); use %q", "https://"+u.Host)
	}
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	switch {
	case u.Scheme != "https":
		return "", fmt.Errorf("environment_url must use https, e.g. https://contoso.crm.dynamics.com; got %q", shown)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("environment_url must name a host, e.g. https://contoso.crm.dynamics.com; got %q", shown)
	case u.Path != "" && u.Path != "/":
		return "", fmt.Errorf("environment_url must not have a path (the provider adds /api/data/v9.2/); got %q, use %q",
			shown, u.Scheme+"://"+u.Host)
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("environment_url must be only scheme and host, without a query or fragment; use %q", u.Scheme+"://"+u.Host)
	}
	return u.Scheme + "://" + u.Host, nil
}
