// Package auth obtains Microsoft Entra ID access tokens for a Dataverse
// environment: as an application with a client secret, a certificate or a
// federated (OIDC) token, as a managed identity, or as the Azure CLI's
// signed-in account. Tokens come from MSAL for Go (or the az command), are
// cached until a few minutes before they expire, and are fetched lazily: the
// first Token call makes the first request.
//
// Nothing secret (secrets, certificates, passwords, assertions, tokens)
// appears in the errors this package returns.
package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// TokenSource supplies bearer tokens for the environment. forceRefresh asks
// for a token that was not served from any cache, as after a 401.
type TokenSource interface {
	Token(ctx context.Context, forceRefresh bool) (string, error)
}

// Method names an authentication method.
type Method string

// The authentication methods.
const (
	MethodClientSecret      Method = "client_secret"
	MethodClientCertificate Method = "client_certificate"
	MethodOIDC              Method = "oidc"
	MethodManagedIdentity   Method = "managed_identity"
	MethodAzureCLI          Method = "azure_cli"
)

// DefaultAuthorityHost is the public cloud's Microsoft Entra authority.
const DefaultAuthorityHost = "https://login.microsoftonline.com"

// TokenExchangeAudience is the audience of the federated tokens requested
// from GitHub Actions, as Entra expects in a federated credential.
const TokenExchangeAudience = "api://AzureADTokenExchange" //nolint:gosec // an audience URI, not a credential

// Config holds the resolved authentication settings; the provider fills it
// from its attributes and their environment variables.
type Config struct {
	// EnvironmentURL is the Dataverse environment; tokens are requested for
	// the scope EnvironmentURL + "/.default" (a trailing slash is dropped).
	EnvironmentURL string

	TenantID string
	ClientID string
	// AuthorityHost defaults to DefaultAuthorityHost; sovereign clouds use
	// e.g. https://login.microsoftonline.us or https://login.chinacloudapi.cn.
	AuthorityHost string

	ClientSecret string

	// ClientCertificatePath or ClientCertificate (base64 of PEM or PKCS#12)
	// supplies a certificate with its private key.
	ClientCertificatePath     string
	ClientCertificate         string
	ClientCertificatePassword string

	UseOIDC bool
	// The federated token comes from, in this order: OIDCToken, the file at
	// OIDCTokenFilePath (read again for every request), or OIDCRequestURL
	// with OIDCRequestToken — GitHub Actions, or Azure DevOps when
	// ADOServiceConnectionID is set.
	OIDCToken              string
	OIDCTokenFilePath      string
	OIDCRequestURL         string
	OIDCRequestToken       string
	ADOServiceConnectionID string

	// UseMSI authenticates as a managed identity: user-assigned when ClientID
	// is set, otherwise system-assigned. MSIEndpoint, when set, receives every
	// managed identity request instead of the endpoint the platform announces
	// (IDENTITY_ENDPOINT) or the instance metadata service; no provider setting
	// sets it, so that tests in parallel can each point at their own emulator.
	UseMSI      bool
	MSIEndpoint string

	UseCLI bool

	// HTTPClient carries MSAL's requests and the OIDC token requests; nil
	// means MSAL's default client.
	HTTPClient *http.Client

	// CLICommand is the Azure CLI executable; default "az" from PATH.
	CLICommand string
	// Now is the clock the token cache uses; default time.Now.
	Now func() time.Time
}

// ChooseMethod picks the authentication method the configuration asks for
// and checks that its settings are complete, without any network call.
//
// A switch (UseCLI, UseMSI, UseOIDC) chooses its method outright, and
// only one may be set. Otherwise the credentials present decide, in this
// order: client certificate, client secret, OIDC. Managed identity and the
// Azure CLI are never chosen implicitly. A missing or half-given setting is
// reported as one *ConfigError naming the method and what to add.
func ChooseMethod(cfg Config) (Method, error) {
	values := cfg.values()
	req, err := chooseRequirement(values)
	if err != nil {
		return "", err
	}
	if err := req.checkPresence(values); err != nil {
		return "", err
	}
	if err := checkValues(cfg, req.Method); err != nil {
		return "", err
	}
	return req.Method, nil
}

// chooseRequirement picks the method by its switch, or else by the first method in
// methodRequirements whose credentials are present.
func chooseRequirement(values map[Setting]string) (methodRequirement, error) {
	var switches []Setting
	for _, s := range switchOrder {
		if values[s] != "" {
			switches = append(switches, s)
		}
	}
	if len(switches) > 1 {
		return methodRequirement{}, &ConfigError{Conflicting: switches, render: func(describe DescribeSetting) string {
			return joinWords(describeAll(switches, describe, false), "and") + " each choose an authentication method; set only one of them"
		}}
	}
	for _, r := range methodRequirements {
		if len(switches) == 1 && r.Switch == switches[0] {
			return r, nil
		}
	}
	for _, r := range methodRequirements {
		if len(switches) == 0 && anySet(values, r.ChosenBy) {
			return r, nil
		}
	}
	return methodRequirement{}, &ConfigError{render: func(describe DescribeSetting) string {
		name := func(s Setting) string { return describe(s, false) }
		return fmt.Sprintf("no authentication method is configured: set %s, %s or %s (each with %s and %s), "+
			"%s with a federated token, %s for a managed identity, or %s for the Azure CLI",
			name(ClientSecret), name(ClientCertificatePath), name(ClientCertificate), name(TenantID), name(ClientID),
			name(UseOIDC), name(UseMSI), name(UseCLI))
	}}
}

// checkPresence reports the settings the method needs that are missing, or
// alternatives set together that exclude each other.
func (r methodRequirement) checkPresence(values map[Setting]string) error {
	var given [][]Setting
	for _, alt := range r.OneOf {
		if allSet(values, alt) {
			given = append(given, alt)
		}
	}
	if r.ExclusiveOneOf && len(given) > 1 {
		return &ConfigError{Method: r.Method, Conflicting: slices.Concat(given...), render: func(describe DescribeSetting) string {
			return fmt.Sprintf("%s authentication takes %s, not both", r.Title, joinWords(describeAlternatives(given, describe), "or"))
		}}
	}
	missing, alternatives := r.missing(values, len(given) > 0)
	if len(missing) == 0 && len(alternatives) == 0 {
		return nil
	}
	azureDevOps := values[ADOServiceConnectionID] != ""
	return &ConfigError{Method: r.Method, Missing: append(slices.Clone(missing), slices.Concat(alternatives...)...),
		render: func(describe DescribeSetting) string {
			parts := describeAll(missing, describe, azureDevOps)
			if len(alternatives) > 0 {
				described := describeAlternatives(alternatives, describe)
				last := len(described) - 1
				parts = append(parts, "one of "+strings.Join(described[:last], ", ")+", or "+described[last])
			}
			return fmt.Sprintf("%s authentication needs %s", r.Title, joinWords(parts, "and"))
		}}
}

// missing lists the settings the method needs that are unset; alternatives, when no OneOf
// alternative is complete or begun, any one of which would do.
func (r methodRequirement) missing(values map[Setting]string, alternativeGiven bool) (missing []Setting, alternatives [][]Setting) {
	for _, s := range r.Required {
		if values[s] == "" {
			missing = append(missing, s)
		}
	}
	if len(r.OneOf) == 0 || alternativeGiven {
		return missing, nil
	}
	alt, ok := r.startedAlternative(values)
	if !ok {
		return missing, r.OneOf
	}
	for _, s := range alt {
		if values[s] == "" {
			missing = append(missing, s)
		}
	}
	return missing, nil
}

// describeAlternatives writes each alternative as "a", or "a with b" when it takes two settings.
func describeAlternatives(alternatives [][]Setting, describe DescribeSetting) []string {
	described := make([]string, len(alternatives))
	for i, alt := range alternatives {
		described[i] = strings.Join(describeAll(alt, describe, false), " with ")
	}
	return described
}

// startedAlternative finds the OneOf alternative of which some part is set, or
// which a set setting implies.
func (r methodRequirement) startedAlternative(values map[Setting]string) ([]Setting, bool) {
	for _, alt := range r.OneOf {
		if anySet(values, alt) {
			return alt, true
		}
	}
	for s, alt := range r.Implies {
		if values[s] != "" {
			return alt, true
		}
	}
	return nil, false
}

func anySet(values map[Setting]string, settings []Setting) bool {
	return slices.ContainsFunc(settings, func(s Setting) bool { return values[s] != "" })
}

func allSet(values map[Setting]string, settings []Setting) bool {
	return !slices.ContainsFunc(settings, func(s Setting) bool { return values[s] == "" })
}

// checkValues checks the form of the URL settings the method reads.
func checkValues(cfg Config, method Method) error {
	if err := checkURL(EnvironmentURL, cfg.EnvironmentURL, method); err != nil {
		return err
	}
	if cfg.AuthorityHost != "" {
		if err := checkURL(AuthorityHost, cfg.AuthorityHost, method); err != nil {
			return err
		}
	}
	if method == MethodOIDC && cfg.OIDCRequestURL != "" {
		if err := checkRequestURL(cfg.OIDCRequestURL, method); err != nil {
			return err
		}
	}
	if cfg.TenantID != "" && method != MethodManagedIdentity && !tenantPattern.MatchString(cfg.TenantID) {
		return &ConfigError{Method: method, Invalid: TenantID, render: func(describe DescribeSetting) string {
			return fmt.Sprintf("%s authentication: %s must be the directory (tenant) ID, a GUID, or one of the tenant's domains "+
				"such as contoso.onmicrosoft.com; got %d characters that are neither (not shown: a secret set in the wrong place "+
				"would be)", requirementOf(method).Title, describe(TenantID, false), len([]rune(cfg.TenantID)))
		}}
	}
	return nil
}

// tenantPattern is a tenant's GUID or domain name. The tenant becomes a segment of the authority
// URL and an argument of az, where a slash, a query or a leading dash would mean something else.
var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// checkRequestURL requires the pipeline's ID token request URL to be https: the request carries
// the pipeline's request token, which mints ID tokens for the job. Its query is the pipeline's
// own (GitHub sends api-version=2.0).
func checkRequestURL(value string, method Method) error {
	u, err := url.Parse(value)
	if err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && u.Fragment == "" {
		return nil
	}
	return &ConfigError{Method: method, Invalid: OIDCRequestURL, render: func(describe DescribeSetting) string {
		return fmt.Sprintf("%s authentication: %s must be an https URL, as the pipeline gives it (ACTIONS_ID_TOKEN_REQUEST_URL, or "+
			"Azure DevOps' SYSTEM_OIDCREQUESTURI); the request carries the pipeline's request token; got %s",
			requirementOf(method).Title, describe(OIDCRequestURL, false), displaySetting(value))
	}}
}

// checkURL requires an absolute https URL without query or fragment.
func checkURL(s Setting, value string, method Method) error {
	u, err := url.Parse(value)
	if err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && u.RawQuery == "" && u.Fragment == "" {
		return nil
	}
	example := "https://contoso.crm.dynamics.com"
	if s == AuthorityHost {
		example = DefaultAuthorityHost
	}
	return &ConfigError{Method: method, Invalid: s, render: func(describe DescribeSetting) string {
		return fmt.Sprintf("%s authentication: %s must be an https URL such as %s, got %s",
			requirementOf(method).Title, describe(s, false), example, displaySetting(value))
	}}
}

// maxTokenAnswerBytes bounds any answer of a token service; real ones are a few kilobytes.
const maxTokenAnswerBytes = 1 << 20

// NewTokenSource chooses the authentication method (see ChooseMethod) and
// returns a caching token source for it. It reads a configured certificate
// but makes no network call: the first token is fetched by the first Token.
func NewTokenSource(cfg Config) (TokenSource, Method, error) {
	method, err := ChooseMethod(cfg)
	if err != nil {
		return nil, "", err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	resource := strings.TrimRight(cfg.EnvironmentURL, "/")
	base := cfg.HTTPClient
	if base == nil {
		base = defaultTokenHTTPClient(method)
	}
	// Entra ID, the managed identity endpoints and the pipelines' token services never redirect
	// these requests: a followed 307 would replay the client secret or assertion elsewhere.
	httpClient := untrusted.NewClient(base, maxTokenAnswerBytes)
	var fetch fetchFunc
	switch method {
	case MethodClientSecret, MethodClientCertificate, MethodOIDC:
		fetch, err = newConfidentialFetcher(cfg, httpClient, method, resource)
	case MethodManagedIdentity:
		fetch, err = newManagedIdentityFetcher(cfg, httpClient, resource)
	case MethodAzureCLI:
		fetch = newCLIFetcher(cfg, resource)
	}
	if err != nil {
		return nil, "", err
	}
	return newCachingSource(fetch, cfg.Now), method, nil
}

// defaultTokenHTTPClient carries the token requests of method when the caller gives no client.
func defaultTokenHTTPClient(method Method) *http.Client {
	c := &http.Client{Timeout: time.Minute}
	if method == MethodManagedIdentity {
		// The identity endpoints are on this machine or link-local (IMDS at 169.254.169.254, over
		// http): a proxy from HTTP_PROXY would see the access token they answer with.
		transport := http.DefaultTransport.(*http.Transport).Clone() //nolint:forcetypeassert // the standard library's
		transport.Proxy = nil
		c.Transport = transport
	}
	return c
}

// displaySetting quotes a URL setting for an error without its user information, query or
// fragment, any of which may hold a credential; text that does not parse as a URL is not shown.
func displaySetting(value string) string {
	u, err := url.Parse(value)
	if err != nil || u.Opaque != "" {
		return "a value that is not an absolute URL"
	}
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		shown += " (its user information, query or fragment not shown)"
	}
	return fmt.Sprintf("%q", shown)
}
