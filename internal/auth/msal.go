package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/managedidentity"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// microsoftClouds are the authority hosts MSAL's instance discovery knows.
// Any other host (a private cloud, the emulator) is used with instance
// discovery off, which MSAL needs to accept an authority it cannot validate.
var microsoftClouds = map[string]bool{
	"login.microsoftonline.com":        true,
	"login.microsoft.com":              true,
	"login.windows.net":                true,
	"login.microsoftonline.us":         true,
	"login-us.microsoftonline.com":     true,
	"login.usgovcloudapi.net":          true,
	"login.chinacloudapi.cn":           true,
	"login.partner.microsoftonline.cn": true,
	"login.microsoftonline.de":         true,
}

// noTokenCache keeps MSAL's confidential client from serving cached tokens.
// AcquireTokenByCredential answers from MSAL's in-memory cache while the
// token has more than five minutes left, so a forced refresh after a 401
// would get the refused token back. With this accessor MSAL's cache is
// emptied before every read and never saved, so every call reaches the
// token endpoint; cachingSource is the one cache.
type noTokenCache struct{}

func (noTokenCache) Replace(_ context.Context, c cache.Unmarshaler, _ cache.ReplaceHints) error {
	return c.Unmarshal([]byte("{}"))
}

func (noTokenCache) Export(context.Context, cache.Marshaler, cache.ExportHints) error { return nil }

// newConfidentialFetcher builds the MSAL confidential client for the
// secret, certificate and OIDC methods.
func newConfidentialFetcher(cfg Config, httpClient *untrusted.Client, method Method, resource string) (fetchFunc, error) {
	title := requirementOf(method).Title
	authorityHost := strings.TrimRight(cfg.AuthorityHost, "/")
	if authorityHost == "" {
		authorityHost = DefaultAuthorityHost
	}
	hostURL, _ := url.Parse(authorityHost) // checked by ChooseMethod

	secrets := cfg.Secrets()
	var cred confidential.Credential
	var assertions *assertionSource
	switch method {
	case MethodClientSecret:
		c, err := confidential.NewCredFromSecret(cfg.ClientSecret)
		if err != nil {
			return nil, newRedactedError(fmt.Sprintf("%s authentication: %v", title, err), err, secrets...)
		}
		cred = c
	case MethodClientCertificate:
		c, err := certificateCredential(cfg)
		if err != nil {
			return nil, err
		}
		cred = c
	case MethodOIDC:
		assertions = newAssertionSource(cfg, httpClient)
		cred = confidential.NewCredFromAssertionCallback(func(ctx context.Context, _ confidential.AssertionRequestOptions) (string, error) {
			return assertions.assertion(ctx)
		})
	}

	msalClient := signInClient{next: httpClient, hosts: map[string]bool{hostOnly(hostURL): true}}
	if microsoftClouds[strings.ToLower(hostURL.Hostname())] {
		// Instance discovery may name another of them, and a region (MSAL_FORCE_REGION) a
		// host under one, such as eastus.login.microsoft.com.
		msalClient.hosts, msalClient.regional = microsoftClouds, true
	}
	options := []confidential.Option{confidential.WithCache(noTokenCache{}), confidential.WithHTTPClient(msalClient)}
	if !microsoftClouds[strings.ToLower(hostURL.Hostname())] {
		options = append(options, confidential.WithInstanceDiscovery(false))
	}
	client, err := confidential.New(authorityHost+"/"+cfg.TenantID, cfg.ClientID, cred, options...)
	if err != nil {
		return nil, newRedactedError(fmt.Sprintf("%s authentication: %v", title, err), err, secrets...)
	}

	scopes := []string{resource + "/.default"}
	return func(ctx context.Context, _ bool) (string, time.Time, error) {
		result, err := client.AcquireTokenByCredential(ctx, scopes)
		if err != nil {
			withheld := secrets
			if assertions != nil {
				withheld = append(slices.Clone(secrets), assertions.issuedAssertions()...)
			}
			e := newRedactedError(fmt.Sprintf("%s authentication failed: %s", title, describeMSALError(err)), err, withheld...)
			e.transient = isTransientTokenFailure(err)
			return "", time.Time{}, e
		}
		return result.AccessToken, result.ExpiresOn, nil
	}, nil
}

// signInClient carries MSAL's requests for the secret, certificate and OIDC methods, and only
// to https URLs on the authority's host (or, for a Microsoft cloud, the hosts of Microsoft
// clouds). MSAL sends the credential to the token endpoint that the authority's discovery
// document names, and checks only that document's issuer: a document naming an http or
// foreign endpoint would otherwise receive the client secret or assertion.
type signInClient struct {
	next  *untrusted.Client
	hosts map[string]bool // hostOnly forms
	// regional also takes the hosts one label under them.
	regional bool
}

func (c signInClient) allowed(u *url.URL) bool {
	host := hostOnly(u)
	if c.hosts[host] {
		return true
	}
	if _, parent, ok := strings.Cut(host, "."); ok && c.regional {
		return c.hosts[parent]
	}
	return false
}

// hostOnly is a URL's lower-case host name, with its port unless that is https' own 443.
func hostOnly(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" && port != "443" {
		return host + " port " + port
	}
	return host
}

func (c signInClient) Do(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" || !c.allowed(req.URL) {
		return nil, fmt.Errorf("refused to send a sign-in request to %s://%s: the token service named an address that is not https "+
			"on the authority host, and the request would carry the credential there", req.URL.Scheme, req.URL.Host)
	}
	return c.next.Do(req) //nolint:gosec // the host is the authority's
}

func (c signInClient) CloseIdleConnections() { c.next.CloseIdleConnections() }

// newManagedIdentityFetcher builds MSAL's managed identity client.
//
// What MSAL's managedidentity package (v1.10.1) does, read from its source:
//   - it picks the protocol from the environment when the client is created:
//     IDENTITY_ENDPOINT + IDENTITY_HEADER mean App Service (GET with
//     X-IDENTITY-HEADER, api-version 2019-08-01), plus
//     IDENTITY_SERVER_THUMBPRINT Service Fabric, MSI_ENDPOINT Cloud Shell or
//     Azure ML; with none of them it calls IMDS at the fixed address
//     http://169.254.169.254 (api-version 2018-02-01, "Metadata: true");
//   - the App Service endpoint is read from IDENTITY_ENDPOINT on every request
//     and may be http or https; it has no option to name another endpoint, so
//     MSIEndpoint is applied by rewriting each request's URL (endpointOverride);
//   - its token cache is one per process, shared by all clients, and only a
//     request with claims bypasses it: a forced refresh therefore sends a
//     claims challenge for a token issued from now on;
//   - it retries 408, 429 and 5xx answers twice, a second apart.
func newManagedIdentityFetcher(cfg Config, httpClient *untrusted.Client, resource string) (fetchFunc, error) {
	id := managedidentity.SystemAssigned()
	if cfg.ClientID != "" {
		id = managedidentity.UserAssignedClientID(cfg.ClientID)
	}
	options := []managedidentity.ClientOption{managedidentity.WithHTTPClient(httpClient)}
	if cfg.MSIEndpoint != "" {
		target, _ := url.Parse(cfg.MSIEndpoint) // checked by ChooseMethod
		options = []managedidentity.ClientOption{managedidentity.WithHTTPClient(endpointOverride{target: target, next: httpClient})}
	}
	client, err := managedidentity.New(id, options...)
	if err != nil {
		return nil, newRedactedError(fmt.Sprintf("managed identity authentication: %v", err), err)
	}
	return func(ctx context.Context, force bool) (string, time.Time, error) {
		var acquireOptions []managedidentity.AcquireTokenOption
		if force {
			acquireOptions = append(acquireOptions, managedidentity.WithClaims(issuedAfterClaims(cfg.Now())))
		}
		result, err := client.AcquireToken(ctx, resource, acquireOptions...)
		if err != nil {
			return "", time.Time{}, newRedactedError("managed identity authentication failed: "+describeMSALError(err), err, identityEndpointSecrets()...)
		}
		return result.AccessToken, result.ExpiresOn, nil
	}, nil
}

// identityEndpointSecrets are the values that MSAL reads from the environment and sends to an
// identity endpoint as a header (App Service's IDENTITY_HEADER, Cloud Shell's and Azure ML's
// MSI_SECRET), which an endpoint echoing them must not put into an error.
func identityEndpointSecrets() []string {
	var out []string
	for _, name := range []string{"IDENTITY_HEADER", "MSI_SECRET"} {
		if v := os.Getenv(name); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// issuedAfterClaims is the claims challenge for a token issued no earlier
// than t, the form Entra uses to ask a client for a fresh token.
func issuedAfterClaims(t time.Time) string {
	return fmt.Sprintf(`{"access_token":{"nbf":{"essential":true,"value":"%d"}}}`, t.Unix())
}

// endpointOverride sends every managed identity request to one endpoint,
// keeping the query MSAL built (api-version, resource, client_id).
type endpointOverride struct {
	target *url.URL
	next   *untrusted.Client
}

func (o endpointOverride) Do(req *http.Request) (*http.Response, error) {
	redirected := req.Clone(req.Context())
	u := *o.target
	query := o.target.Query()
	for k, v := range req.URL.Query() {
		query[k] = v
	}
	u.RawQuery = query.Encode()
	redirected.URL = &u
	redirected.Host = u.Host
	return o.next.Do(redirected) //nolint:gosec // the endpoint is the configured MSIEndpoint
}

func (o endpointOverride) CloseIdleConnections() { o.next.CloseIdleConnections() }

// describeMSALError turns an MSAL error into one line: the HTTP status and
// the service's own error text when the answer carried one.
func describeMSALError(err error) string {
	message := untrusted.PlainText(err.Error())
	var call msalerrors.CallErr
	if !errors.As(err, &call) || call.Resp == nil {
		return message
	}
	answer := struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		Message          string `json:"message"` // App Service identity endpoint
	}{}
	if raw := err.Error(); strings.Contains(raw, "\n{") {
		_ = json.Unmarshal([]byte(raw[strings.Index(raw, "\n{")+1:]), &answer)
	}
	text := answer.ErrorDescription
	if text == "" {
		text = answer.Message
	}
	if text == "" {
		return message
	}
	// Entra appends trace and correlation ids on further lines; keep them on one.
	text = untrusted.PlainText(text)
	endpoint := ""
	if call.Req != nil {
		// The path comes from the authority's discovery document.
		endpoint = untrusted.PlainText(call.Req.URL.Scheme+"://"+call.Req.URL.Host+call.Req.URL.Path) + " "
	}
	code := ""
	if answer.Error != "" {
		code = " " + untrusted.PlainText(answer.Error)
	}
	return fmt.Sprintf("%sanswered %d%s: %s", endpoint, call.Resp.StatusCode, code, text)
}

// isTransientTokenFailure reports whether a failed token request is worth another try: the token
// service answered 408, 429 or a 5xx other than 501, or the connection failed on the way. A
// redirect, an oversized answer, a certificate failure or the caller's context ending is not.
func isTransientTokenFailure(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var call msalerrors.CallErr
	if errors.As(err, &call) && call.Resp != nil {
		switch call.Resp.StatusCode {
		case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var redirect *untrusted.RedirectError
	var tooLarge *untrusted.TooLargeError
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	if errors.As(err, &redirect) || errors.As(err, &tooLarge) || errors.As(err, &certErr) || errors.As(err, &unknownAuthority) || errors.As(err, &hostErr) {
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
