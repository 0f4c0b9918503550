package auth

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Setting describes one provider setting that authentication reads: its
// attribute name and the environment variables that supply it when the
// attribute is not set, in the order they are consulted.
type Setting struct {
	Attribute   string
	EnvVars     []string
	Sensitive   bool
	Description string
	// AzureDevOpsEnvVar is the Azure DevOps pipeline variable that supplies
	// the setting when ado_pipeline_service_connection_id is set.
	AzureDevOpsEnvVar string
}

var settings = []Setting{
	{Attribute: "environment_url", EnvVars: []string{"DATAVERSE_URL", "DATAVERSE_ENVIRONMENT_URL"},
		Description: "URL of the Dataverse environment, such as https://contoso.crm.dynamics.com. Tokens are requested for the scope <environment_url>/.default."},
	{Attribute: "tenant_id", EnvVars: []string{"DATAVERSE_TENANT_ID", "ARM_TENANT_ID", "AZURE_TENANT_ID"},
		Description: "Microsoft Entra tenant (directory) ID of the application."},
	{Attribute: "client_id", EnvVars: []string{"DATAVERSE_CLIENT_ID", "ARM_CLIENT_ID", "AZURE_CLIENT_ID"},
		Description: "Application (client) ID; with use_msi, the client ID of a user-assigned managed identity."},
	{Attribute: "client_secret", EnvVars: []string{"DATAVERSE_CLIENT_SECRET", "ARM_CLIENT_SECRET", "AZURE_CLIENT_SECRET"}, Sensitive: true,
		Description: "Client secret of the application."},
	{Attribute: "client_certificate_path", EnvVars: []string{"DATAVERSE_CLIENT_CERTIFICATE_PATH", "ARM_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PATH"},
		Description: "Path of a PEM (certificate and unencrypted private key) or PKCS#12 file holding the application's certificate."},
	{Attribute: "client_certificate", EnvVars: []string{"DATAVERSE_CLIENT_CERTIFICATE", "ARM_CLIENT_CERTIFICATE"}, Sensitive: true,
		Description: "Base64 of a PEM or PKCS#12 certificate with its private key; an alternative to client_certificate_path."},
	{Attribute: "client_certificate_password", EnvVars: []string{"DATAVERSE_CLIENT_CERTIFICATE_PASSWORD", "ARM_CLIENT_CERTIFICATE_PASSWORD", "AZURE_CLIENT_CERTIFICATE_PASSWORD"}, Sensitive: true,
		Description: "Password of a PKCS#12 certificate; leave unset for a certificate without one."},
	{Attribute: "use_oidc", EnvVars: []string{"DATAVERSE_USE_OIDC", "ARM_USE_OIDC"},
		Description: "Authenticate with a federated (OIDC) token from GitHub Actions, Azure DevOps, Kubernetes or another trusted issuer."},
	{Attribute: "oidc_token", EnvVars: []string{"DATAVERSE_OIDC_TOKEN", "ARM_OIDC_TOKEN"}, Sensitive: true,
		Description: "A federated ID token to exchange for an access token."},
	{Attribute: "oidc_token_file_path", EnvVars: []string{"DATAVERSE_OIDC_TOKEN_FILE_PATH", "ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"},
		Description: "Path of a file holding a federated ID token; it is read again for every token request, so it may rotate."},
	{Attribute: "oidc_request_url", EnvVars: []string{"DATAVERSE_OIDC_REQUEST_URL", "ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"},
		AzureDevOpsEnvVar: "SYSTEM_OIDCREQUESTURI",
		Description:       "URL to request a federated ID token from: GitHub Actions' ACTIONS_ID_TOKEN_REQUEST_URL, or Azure DevOps' SYSTEM_OIDCREQUESTURI with ado_pipeline_service_connection_id."},
	{Attribute: "oidc_request_token", EnvVars: []string{"DATAVERSE_OIDC_REQUEST_TOKEN", "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}, Sensitive: true,
		AzureDevOpsEnvVar: "SYSTEM_ACCESSTOKEN",
		Description:       "Bearer token for oidc_request_url: GitHub Actions' ACTIONS_ID_TOKEN_REQUEST_TOKEN or Azure DevOps' SYSTEM_ACCESSTOKEN."},
	{Attribute: "ado_pipeline_service_connection_id", EnvVars: []string{"DATAVERSE_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID"},
		Description: "ID of the Azure DevOps service connection whose federated credential to use; makes oidc_request_url an Azure DevOps endpoint."},
	{Attribute: "use_msi", EnvVars: []string{"DATAVERSE_USE_MSI", "ARM_USE_MSI"},
		Description: "Authenticate as the managed identity of the Azure resource Terraform runs on (system-assigned, or user-assigned with client_id)."},
	{Attribute: "use_cli", EnvVars: []string{"DATAVERSE_USE_CLI", "ARM_USE_CLI"},
		Description: "Authenticate as the account signed in to the Azure CLI (az login)."},
	{Attribute: "authority_host", EnvVars: []string{"DATAVERSE_AUTHORITY_HOST", "AZURE_AUTHORITY_HOST"},
		Description: "Microsoft Entra authority host: https://login.microsoftonline.com (default), https://login.microsoftonline.us (US Government) or https://login.chinacloudapi.cn (China)."},
}

// Settings lists the settings authentication reads, with the environment
// variables that supply each one.
func Settings() []Setting {
	out := make([]Setting, len(settings))
	for i, s := range settings {
		s.EnvVars = slices.Clone(s.EnvVars)
		out[i] = s
	}
	return out
}

// EnvVars returns the environment variables that supply an attribute, in the
// order they are consulted; nil for an unknown attribute.
func EnvVars(attribute string) []string {
	for _, s := range settings {
		if s.Attribute == attribute {
			return slices.Clone(s.EnvVars)
		}
	}
	return nil
}

// describeSetting names an attribute with its environment variables, as in
// "tenant_id (or DATAVERSE_TENANT_ID / ARM_TENANT_ID / AZURE_TENANT_ID)";
// for Azure DevOps, with the pipeline variable that supplies it there.
func describeSetting(attribute string, azureDevOps bool) string {
	vars := EnvVars(attribute)
	if azureDevOps {
		for _, s := range settings {
			if s.Attribute == attribute && s.AzureDevOpsEnvVar != "" {
				vars = []string{s.AzureDevOpsEnvVar}
			}
		}
	}
	if len(vars) == 0 {
		return attribute
	}
	return fmt.Sprintf("%s (or %s)", attribute, strings.Join(vars, " / "))
}

// MethodRequirement tells what one authentication method needs.
type MethodRequirement struct {
	Method Method
	// Title names the method in messages, e.g. "client certificate".
	Title string
	// Switch is the attribute that selects the method explicitly; empty for
	// methods chosen by the credentials present.
	Switch string
	// ChosenBy lists the attributes whose presence chooses the method when no
	// switch is set.
	ChosenBy []string
	// Required lists the attributes that must all be set.
	Required []string
	// OneOf lists alternatives of which at least one must be set; an entry
	// "a+b" needs both a and b.
	OneOf []string
	// ExclusiveOneOf forbids setting more than one of the OneOf alternatives.
	ExclusiveOneOf bool
	// Implies maps an attribute to the OneOf alternative its presence asks for.
	Implies map[string]string
	// Optional lists attributes the method also reads.
	Optional []string
}

var methodRequirements = []MethodRequirement{
	{Method: MethodClientCertificate, Title: "client certificate",
		ChosenBy:       []string{"client_certificate_path", "client_certificate"},
		Required:       []string{"environment_url", "tenant_id", "client_id"},
		OneOf:          []string{"client_certificate_path", "client_certificate"},
		ExclusiveOneOf: true,
		Optional:       []string{"client_certificate_password", "authority_host"}},
	{Method: MethodClientSecret, Title: "client secret",
		ChosenBy: []string{"client_secret"},
		Required: []string{"environment_url", "tenant_id", "client_id", "client_secret"},
		Optional: []string{"authority_host"}},
	{Method: MethodOIDC, Title: "OIDC", Switch: "use_oidc",
		ChosenBy: []string{"oidc_token", "oidc_token_file_path", "oidc_request_url", "oidc_request_token", "ado_pipeline_service_connection_id"},
		Required: []string{"environment_url", "tenant_id", "client_id"},
		OneOf:    []string{"oidc_token", "oidc_token_file_path", "oidc_request_url+oidc_request_token"},
		Implies:  map[string]string{"ado_pipeline_service_connection_id": "oidc_request_url+oidc_request_token"},
		Optional: []string{"ado_pipeline_service_connection_id", "authority_host"}},
	{Method: MethodManagedIdentity, Title: "managed identity", Switch: "use_msi",
		Required: []string{"environment_url"},
		Optional: []string{"client_id"}},
	{Method: MethodAzureCLI, Title: "Azure CLI", Switch: "use_cli",
		Required: []string{"environment_url"},
		Optional: []string{"tenant_id"}},
}

// switchOrder is the order the switches are named in when more than one is set.
var switchOrder = []string{"use_cli", "use_msi", "use_oidc"}

// Methods lists the authentication methods in the order NewTokenSource
// considers them when no switch (use_cli, use_msi, use_oidc) is set.
// Managed identity and the Azure CLI are only ever chosen by their switch.
func Methods() []MethodRequirement {
	out := make([]MethodRequirement, len(methodRequirements))
	for i, m := range methodRequirements {
		m.ChosenBy = slices.Clone(m.ChosenBy)
		m.Required = slices.Clone(m.Required)
		m.OneOf = slices.Clone(m.OneOf)
		m.Optional = slices.Clone(m.Optional)
		m.Implies = maps.Clone(m.Implies)
		out[i] = m
	}
	return out
}

func requirementOf(m Method) MethodRequirement {
	for _, r := range methodRequirements {
		if r.Method == m {
			return r
		}
	}
	return MethodRequirement{Method: m, Title: string(m)}
}

// ConfigError reports an authentication setting that is missing, conflicts
// with another, or has a bad value. Its message names the method and the
// provider attributes (with their environment variables) to fix.
type ConfigError struct {
	// Method is the method being configured; empty when none could be chosen.
	Method Method
	// Missing lists the attributes to set.
	Missing []string
	// Conflicting lists attributes that cannot be set together.
	Conflicting []string
	// Invalid is the attribute whose value is wrong.
	Invalid string

	message string
}

func (e *ConfigError) Error() string { return e.message }

// Attributes lists the attributes the error is about, each once: the invalid
// one, then the missing, then the conflicting. Empty when no method could be
// chosen, since any of several would do.
func (e *ConfigError) Attributes() []string {
	var out []string
	for _, a := range append(append([]string{e.Invalid}, e.Missing...), e.Conflicting...) {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// joinWords joins items as "a", "a and b", "a, b and c".
func joinWords(items []string, conjunction string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	default:
		return strings.Join(items[:len(items)-1], ", ") + " " + conjunction + " " + items[len(items)-1]
	}
}
