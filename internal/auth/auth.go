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
// from its attributes and their environment variables (see Settings).
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
	// (IDENTITY_ENDPOINT) or the instance metadata service.
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
// A switch (use_cli, use_msi, use_oidc) chooses its method outright, and
// only one may be set. Otherwise the credentials present decide, in this
// order: client certificate, client secret, OIDC. Managed identity and the
// Azure CLI are never chosen implicitly. A missing or half-given setting is
// reported as one *ConfigError naming the method and what to add.
func ChooseMethod(cfg Config) (Method, error) {
	var switches []string
	if cfg.UseCLI {
		switches = append(switches, "use_cli")
	}
	if cfg.UseMSI {
		switches = append(switches, "use_msi")
	}
	if cfg.UseOIDC {
		switches = append(switches, "use_oidc")
	}
	if len(switches) > 1 {
		return "", &ConfigError{Conflicting: switches, message: fmt.Sprintf(
			"%s each choose an authentication method; set only one of them", joinWords(switches, "and"))}
	}

	hasCertificate := cfg.ClientCertificatePath != "" || cfg.ClientCertificate != ""
	hasOIDC := cfg.OIDCToken != "" || cfg.OIDCTokenFilePath != "" || cfg.OIDCRequestURL != "" ||
		cfg.OIDCRequestToken != "" || cfg.ADOServiceConnectionID != ""
	var method Method
	switch {
	case cfg.UseCLI:
		method = MethodAzureCLI
	case cfg.UseMSI:
		method = MethodManagedIdentity
	case cfg.UseOIDC:
		method = MethodOIDC
	case hasCertificate:
		method = MethodClientCertificate
	case cfg.ClientSecret != "":
		method = MethodClientSecret
	case hasOIDC:
		method = MethodOIDC
	default:
		return "", &ConfigError{message: "no authentication method is configured: " +
			"set client_secret, client_certificate_path or client_certificate (each with tenant_id and client_id), " +
			"use_oidc with a federated token, use_msi for a managed identity, or use_cli for the Azure CLI"}
	}
	title := requirementOf(method).Title

	if method == MethodClientCertificate && cfg.ClientCertificatePath != "" && cfg.ClientCertificate != "" {
		return "", &ConfigError{Method: method, Conflicting: []string{"client_certificate_path", "client_certificate"},
			message: "client certificate authentication takes client_certificate_path or client_certificate, not both"}
	}

	var missing []string
	need := func(attribute string, value string) {
		if value == "" {
			missing = append(missing, attribute)
		}
	}
	need("environment_url", cfg.EnvironmentURL)
	switch method {
	case MethodClientCertificate:
		need("tenant_id", cfg.TenantID)
		need("client_id", cfg.ClientID)
	case MethodClientSecret:
		need("tenant_id", cfg.TenantID)
		need("client_id", cfg.ClientID)
	case MethodOIDC:
		need("tenant_id", cfg.TenantID)
		need("client_id", cfg.ClientID)
	}
	var alternatives string // what to add when none of several settings is present
	if method == MethodOIDC && cfg.OIDCToken == "" && cfg.OIDCTokenFilePath == "" {
		switch {
		case cfg.OIDCRequestURL != "" || cfg.OIDCRequestToken != "" || cfg.ADOServiceConnectionID != "":
			need("oidc_request_url", cfg.OIDCRequestURL)
			need("oidc_request_token", cfg.OIDCRequestToken)
		default:
			missing = append(missing, "oidc_token")
			alternatives = fmt.Sprintf("one of %s, %s, or %s with %s",
				describeSetting("oidc_token", false), describeSetting("oidc_token_file_path", false),
				describeSetting("oidc_request_url", false), describeSetting("oidc_request_token", false))
		}
	}
	if len(missing) > 0 {
		var parts []string
		for _, attribute := range missing {
			if attribute == "oidc_token" && alternatives != "" {
				parts = append(parts, alternatives)
				continue
			}
			parts = append(parts, describeSetting(attribute, cfg.ADOServiceConnectionID != ""))
		}
		if alternatives != "" {
			missing = append(missing, "oidc_token_file_path", "oidc_request_url", "oidc_request_token")
		}
		return "", &ConfigError{Method: method, Missing: missing,
			message: fmt.Sprintf("%s authentication needs %s", title, joinWords(parts, "and"))}
	}

	if err := checkURL("environment_url", cfg.EnvironmentURL, method); err != nil {
		return "", err
	}
	if cfg.AuthorityHost != "" {
		if err := checkURL("authority_host", cfg.AuthorityHost, method); err != nil {
			return "", err
		}
	}
	if method == MethodManagedIdentity && cfg.MSIEndpoint != "" {
		u, err := url.Parse(cfg.MSIEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", &ConfigError{Method: method, Invalid: "msi_endpoint", message: fmt.Sprintf(
				"managed identity authentication: msi_endpoint must be an http or https URL, got %s", displaySetting(cfg.MSIEndpoint))}
		}
	}
	return method, nil
}

// checkURL requires an absolute https URL without query or fragment.
func checkURL(attribute, value string, method Method) error {
	u, err := url.Parse(value)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		example := "https://contoso.crm.dynamics.com"
		if attribute == "authority_host" {
			example = DefaultAuthorityHost
		}
		return &ConfigError{Method: method, Invalid: attribute, message: fmt.Sprintf(
			"%s authentication: %s must be an https URL such as %s, got %s", requirementOf(method).Title, attribute, example, displaySetting(value))}
	}
	return nil
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
		base = &http.Client{Timeout: time.Minute}
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
