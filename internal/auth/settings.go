package auth

import (
	"maps"
	"slices"
	"strings"
)

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
// provider attributes to fix.
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
	// render, when set, writes the message naming each attribute with describe.
	render func(describe DescribeAttribute) string
}

// DescribeAttribute names an attribute in a message, as the provider wants it shown (with
// its environment variables, say); azureDevOps tells that an Azure DevOps service connection
// is configured.
type DescribeAttribute func(attribute string, azureDevOps bool) string

func attributeName(attribute string, _ bool) string { return attribute }

func (e *ConfigError) Error() string { return e.Explain(attributeName) }

// Explain returns the message with each attribute named by describe.
func (e *ConfigError) Explain(describe DescribeAttribute) string {
	if e.render != nil {
		return e.render(describe)
	}
	return e.message
}

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
