package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Setting names one user-given setting of Config in method requirements and configuration
// errors. Its text is the Config field's name; a caller shows settings to its users in its own
// terms (the provider, as attributes and environment variables) through ConfigError.Explain.
type Setting string

// The settings of Config that a user gives.
const (
	EnvironmentURL            Setting = "EnvironmentURL"
	TenantID                  Setting = "TenantID"
	ClientID                  Setting = "ClientID"
	AuthorityHost             Setting = "AuthorityHost"
	ClientSecret              Setting = "ClientSecret"
	ClientCertificatePath     Setting = "ClientCertificatePath"
	ClientCertificate         Setting = "ClientCertificate"
	ClientCertificatePassword Setting = "ClientCertificatePassword"
	UseOIDC                   Setting = "UseOIDC"
	OIDCToken                 Setting = "OIDCToken"
	OIDCTokenFilePath         Setting = "OIDCTokenFilePath" //nolint:gosec // the name of a setting, not a credential
	OIDCRequestURL            Setting = "OIDCRequestURL"
	OIDCRequestToken          Setting = "OIDCRequestToken"
	ADOServiceConnectionID    Setting = "ADOServiceConnectionID"
	UseMSI                    Setting = "UseMSI"
	UseCLI                    Setting = "UseCLI"
)

// settingField is where a setting lives in Config: a text, or a switch.
type settingField struct {
	setting Setting
	text    func(*Config) *string
	on      func(*Config) *bool
	// secret marks a credential, which no error or log may show.
	secret bool
}

var settingFields = []settingField{
	{setting: EnvironmentURL, text: func(c *Config) *string { return &c.EnvironmentURL }},
	{setting: TenantID, text: func(c *Config) *string { return &c.TenantID }},
	{setting: ClientID, text: func(c *Config) *string { return &c.ClientID }},
	{setting: AuthorityHost, text: func(c *Config) *string { return &c.AuthorityHost }},
	{setting: ClientSecret, secret: true, text: func(c *Config) *string { return &c.ClientSecret }},
	{setting: ClientCertificatePath, text: func(c *Config) *string { return &c.ClientCertificatePath }},
	{setting: ClientCertificate, secret: true, text: func(c *Config) *string { return &c.ClientCertificate }},
	{setting: ClientCertificatePassword, secret: true, text: func(c *Config) *string { return &c.ClientCertificatePassword }},
	{setting: UseOIDC, on: func(c *Config) *bool { return &c.UseOIDC }},
	{setting: OIDCToken, secret: true, text: func(c *Config) *string { return &c.OIDCToken }},
	{setting: OIDCTokenFilePath, text: func(c *Config) *string { return &c.OIDCTokenFilePath }},
	{setting: OIDCRequestURL, text: func(c *Config) *string { return &c.OIDCRequestURL }},
	{setting: OIDCRequestToken, secret: true, text: func(c *Config) *string { return &c.OIDCRequestToken }},
	{setting: ADOServiceConnectionID, text: func(c *Config) *string { return &c.ADOServiceConnectionID }},
	{setting: UseMSI, on: func(c *Config) *bool { return &c.UseMSI }},
	{setting: UseCLI, on: func(c *Config) *bool { return &c.UseCLI }},
}

func fieldOf(s Setting) (settingField, bool) {
	i := slices.IndexFunc(settingFields, func(f settingField) bool { return f.setting == s })
	if i < 0 {
		return settingField{}, false
	}
	return settingFields[i], true
}

// Secret reports whether the setting is a credential, which no error or log may show.
func (s Setting) Secret() bool {
	f, _ := fieldOf(s)
	return f.secret
}

// IsSwitch reports whether the setting turns a method on, rather than holding a text.
func (s Setting) IsSwitch() bool {
	f, _ := fieldOf(s)
	return f.on != nil
}

// Set stores value in the setting; a switch takes "true" or "false", and "" leaves it off.
func (c *Config) Set(s Setting, value string) error {
	f, ok := fieldOf(s)
	switch {
	case !ok:
		return fmt.Errorf("auth.Config has no setting %q", s)
	case f.on != nil:
		if value != "" && value != "true" && value != "false" {
			return fmt.Errorf("%s is a switch: want true or false, got %q", s, value)
		}
		*f.on(c) = value == "true"
	default:
		*f.text(c) = value
	}
	return nil
}

// values reads every setting as text: a switch that is on reads "true", anything unset "".
func (c Config) values() map[Setting]string {
	out := make(map[Setting]string, len(settingFields))
	for _, f := range settingFields {
		switch {
		case f.on != nil && *f.on(&c):
			out[f.setting] = "true"
		case f.text != nil:
			out[f.setting] = *f.text(&c)
		}
	}
	return out
}

// Secrets lists the credentials that are set, for redaction.
func (c Config) Secrets() []string {
	var out []string
	for _, f := range settingFields {
		if f.secret && *f.text(&c) != "" {
			out = append(out, *f.text(&c))
		}
	}
	return out
}

// methodRequirement tells what one authentication method needs.
type methodRequirement struct {
	Method Method
	// Title names the method in messages, e.g. "client certificate".
	Title string
	// Switch is the setting that selects the method explicitly; empty for methods chosen by
	// the credentials present.
	Switch Setting
	// ChosenBy lists the settings whose presence chooses the method when no switch is set.
	ChosenBy []Setting
	// Required lists the settings that must all be set.
	Required []Setting
	// OneOf lists alternatives of which at least one must be set in full.
	OneOf [][]Setting
	// ExclusiveOneOf forbids setting more than one of the OneOf alternatives.
	ExclusiveOneOf bool
	// Implies maps a setting to the OneOf alternative its presence asks for.
	Implies map[Setting][]Setting
}

var methodRequirements = []methodRequirement{
	{Method: MethodClientCertificate, Title: "client certificate",
		ChosenBy:       []Setting{ClientCertificatePath, ClientCertificate},
		Required:       []Setting{EnvironmentURL, TenantID, ClientID},
		OneOf:          [][]Setting{{ClientCertificatePath}, {ClientCertificate}},
		ExclusiveOneOf: true},
	{Method: MethodClientSecret, Title: "client secret",
		ChosenBy: []Setting{ClientSecret},
		Required: []Setting{EnvironmentURL, TenantID, ClientID, ClientSecret}},
	{Method: MethodOIDC, Title: "OIDC", Switch: UseOIDC,
		ChosenBy: []Setting{OIDCToken, OIDCTokenFilePath, OIDCRequestURL, OIDCRequestToken, ADOServiceConnectionID},
		Required: []Setting{EnvironmentURL, TenantID, ClientID},
		OneOf:    [][]Setting{{OIDCToken}, {OIDCTokenFilePath}, {OIDCRequestURL, OIDCRequestToken}},
		Implies:  map[Setting][]Setting{ADOServiceConnectionID: {OIDCRequestURL, OIDCRequestToken}}},
	{Method: MethodManagedIdentity, Title: "managed identity", Switch: UseMSI,
		Required: []Setting{EnvironmentURL}},
	{Method: MethodAzureCLI, Title: "Azure CLI", Switch: UseCLI,
		Required: []Setting{EnvironmentURL}},
}

// Credential is the setting that carries c's credential for method m, where a failed sign-in
// points: the switch that selects m when c sets it, else the first of the settings that choose
// m that c sets (a certificate's path or its inline value, say), else the switch, else the first
// setting that would choose m.
func (c Config) Credential(m Method) Setting {
	r := requirementOf(m)
	v := c.values()
	if r.Switch != "" && v[r.Switch] != "" {
		return r.Switch
	}
	for _, s := range r.ChosenBy {
		if v[s] != "" {
			return s
		}
	}
	if r.Switch == "" && len(r.ChosenBy) > 0 {
		return r.ChosenBy[0]
	}
	return r.Switch
}

// switchOrder is the order the switches are named in when more than one is set.
var switchOrder = []Setting{UseCLI, UseMSI, UseOIDC}

func requirementOf(m Method) methodRequirement {
	for _, r := range methodRequirements {
		if r.Method == m {
			return r
		}
	}
	return methodRequirement{Method: m, Title: string(m)}
}

// ConfigError reports a setting that is missing, conflicts with another, or has a bad value.
// Its message names the method and the settings to fix.
type ConfigError struct {
	// Method is the method being configured; empty when none could be chosen.
	Method Method
	// Missing lists the settings to set.
	Missing []Setting
	// Conflicting lists settings that cannot be set together.
	Conflicting []Setting
	// Invalid is the setting whose value is wrong.
	Invalid Setting

	// render writes the message, naming each setting with describe.
	render func(describe DescribeSetting) string
}

// DescribeSetting names a setting in a message, as the caller wants it shown (as a provider
// attribute with its environment variables, say); azureDevOps tells that an Azure DevOps
// service connection is configured.
type DescribeSetting func(s Setting, azureDevOps bool) string

func settingName(s Setting, _ bool) string { return string(s) }

func (e *ConfigError) Error() string { return e.Explain(settingName) }

// Explain returns the message with each setting named by describe.
func (e *ConfigError) Explain(describe DescribeSetting) string {
	if e.render == nil {
		return "authentication is not configured correctly"
	}
	return e.render(describe)
}

// Settings lists the settings the error is about, each once: the invalid one, then the
// missing, then the conflicting. Empty when no method could be chosen, since any of several
// would do.
func (e *ConfigError) Settings() []Setting {
	var out []Setting
	for _, s := range append(append([]Setting{e.Invalid}, e.Missing...), e.Conflicting...) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// describeAll names each setting with describe.
func describeAll(settings []Setting, describe DescribeSetting, azureDevOps bool) []string {
	out := make([]string, len(settings))
	for i, s := range settings {
		out[i] = describe(s, azureDevOps)
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
