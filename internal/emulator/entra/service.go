// Package entra is the emulator's Microsoft Entra ID token service.
//
// It speaks the protocol the real MSAL for Go client speaks, so the provider's
// authentication code runs unchanged against it:
//
//   - OpenID discovery and signing keys for a tenant;
//   - the v2.0 token endpoint for the client-credentials grant, authenticated by
//     a client secret, a certificate-signed client assertion, or a federated
//     assertion from a registered issuer;
//   - a managed identity endpoint in the App Service (2019-08-01) and IMDS
//     (2018-02-01) styles;
//   - an OIDC issuer of its own that plays GitHub Actions, Azure DevOps or
//     Kubernetes, issuing the tokens a workload exchanges for an access token.
//
// Access tokens are RS256 JWTs with the v2.0 issuer of the tenant, which is
// also the issuer its discovery document announces.
package entra

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTenantID is the tenant the service answers for when Options.TenantID is empty.
const DefaultTenantID = "6f1f3c5e-8a2d-4b7e-9c41-2d5e7a9b0c13"

// TokenExchangeAudience is the audience a federated assertion must carry.
const TokenExchangeAudience = "api://AzureADTokenExchange" //nolint:gosec // an audience URI, not a credential

// GitHubActionsSubject is the subject of the tokens the GitHub Actions endpoint issues.
const GitHubActionsSubject = "repo:contoso/infra:ref:refs/heads/main"

// AzureDevOpsSubjectPrefix precedes the service connection id in the subject of
// the tokens the Azure DevOps endpoint issues.
const AzureDevOpsSubjectPrefix = "sc://contoso/infra/"

// Options configures a Service.
type Options struct {
	// BaseURL is the scheme and host the service is reached at, for example
	// https://127.0.0.1:PORT, without a trailing slash. It is the authority
	// host for clients and the base of every URL the service announces.
	BaseURL string
	// TenantID is the one tenant the service knows; default DefaultTenantID.
	TenantID string
	// Audience is the resource tokens are issued for: a token request's scope
	// must be "<Audience>/.default". Default: BaseURL.
	Audience string
	// TokenLifetime is how long access tokens live; default one hour.
	TokenLifetime time.Duration
	// Now is the service's clock; default time.Now.
	Now func() time.Time
	// HTTPClient fetches the discovery document and keys of federated issuers
	// other than the service's own; default a client with a 10 second timeout.
	HTTPClient *http.Client
}

// Service is the token service. Its methods are safe for concurrent use.
type Service struct {
	baseURL    string
	tenantID   string
	audience   string
	lifetime   time.Duration
	now        func() time.Time
	httpClient *http.Client

	tokenKey  signingKey // signs access tokens
	issuerKey signingKey // signs the federated issuer's tokens

	identityHeader     string
	githubRequestToken string
	adoRequestToken    string

	mu         sync.RWMutex
	clients    map[string]*registeredClient
	identities map[string]managedIdentity // by client id; "" is the system-assigned identity

	tokenRequests atomic.Int64
	mux           *http.ServeMux
}

type registeredClient struct {
	objectID  string
	secrets   []string
	certs     []*x509.Certificate
	federated []federatedCredential
}

type federatedCredential struct {
	issuer  string
	subject string
}

type managedIdentity struct {
	clientID string
	objectID string
}

type signingKey struct {
	private *rsa.PrivateKey
	kid     string
}

// New creates a service with freshly generated signing keys.
func New(o Options) (*Service, error) {
	base := strings.TrimRight(o.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" {
		return nil, fmt.Errorf("entra: BaseURL must be a scheme and host such as https://127.0.0.1:8443, got %q", o.BaseURL)
	}
	s := &Service{
		baseURL:    base,
		tenantID:   o.TenantID,
		audience:   normalizeResource(o.Audience),
		lifetime:   o.TokenLifetime,
		now:        o.Now,
		httpClient: o.HTTPClient,
		clients:    map[string]*registeredClient{},
		identities: map[string]managedIdentity{},
	}
	if s.tenantID == "" {
		s.tenantID = DefaultTenantID
	}
	if s.audience == "" {
		s.audience = base
	}
	if s.lifetime <= 0 {
		s.lifetime = time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.httpClient == nil {
		s.httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	if s.tokenKey, err = newSigningKey(); err != nil {
		return nil, err
	}
	if s.issuerKey, err = newSigningKey(); err != nil {
		return nil, err
	}
	for _, secret := range []*string{&s.identityHeader, &s.githubRequestToken, &s.adoRequestToken} {
		if *secret, err = randomString(32); err != nil {
			return nil, err
		}
	}
	s.mux = s.routes()
	return s, nil
}

func newSigningKey() (signingKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return signingKey{}, fmt.Errorf("entra: generating a signing key: %w", err)
	}
	return signingKey{private: key, kid: keyThumbprint(&key.PublicKey)}, nil
}

// keyThumbprint is the RFC 7638 JWK thumbprint, used as the key id.
func keyThumbprint(pub *rsa.PublicKey) string {
	canonical := fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`, b64(big.NewInt(int64(pub.E)).Bytes()), b64(pub.N.Bytes()))
	sum := sha256.Sum256([]byte(canonical))
	return b64(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randomString(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("entra: reading random bytes: %w", err)
	}
	return b64(buf), nil
}

// stableGUID derives a GUID-shaped identifier from its parts, so object ids
// stay the same across restarts of the emulator.
func stableGUID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	sum[6] = (sum[6] & 0x0f) | 0x50 // version 5 layout
	sum[8] = (sum[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

func normalizeResource(r string) string { return strings.TrimRight(r, "/") }

// Handler serves every route of the service; paths are absolute, so mount it at "/".
func (s *Service) Handler() http.Handler { return s.mux }

// Routes lists the path prefixes the service owns, for a caller that shares
// its server with other handlers. The handler also answers requests for any
// other tenant segment, as Entra does, with AADSTS90002.
func (s *Service) Routes() []string {
	return []string{"/" + s.tenantID + "/", "/msi/", "/_oidc/"}
}

// TenantID is the tenant the service issues tokens for.
func (s *Service) TenantID() string { return s.tenantID }

// BaseURL is the authority host clients use.
func (s *Service) BaseURL() string { return s.baseURL }

// Audience is the resource the service issues tokens for.
func (s *Service) Audience() string { return s.audience }

// Issuer is the iss claim of the access tokens the service issues.
func (s *Service) Issuer() string { return s.tenantIssuer(s.tenantID) }

func (s *Service) tenantIssuer(tenant string) string {
	return s.baseURL + "/" + tenant + "/v2.0"
}

// TokenEndpoint is the tenant's v2.0 token endpoint, the audience a
// certificate-signed client assertion must carry.
func (s *Service) TokenEndpoint() string { return s.tokenEndpoint(s.tenantID) }

func (s *Service) tokenEndpoint(tenant string) string {
	return s.baseURL + "/" + tenant + "/oauth2/v2.0/token"
}

// RegisterSecretClient registers an application that authenticates with a client secret.
// Registering more secrets for the same client adds to them, as an app registration can hold several.
func (s *Service) RegisterSecretClient(clientID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clientLocked(clientID)
	c.secrets = append(c.secrets, secret)
}

// RegisterCertificateClient registers an application that authenticates with
// client assertions signed by the private key of cert.
func (s *Service) RegisterCertificateClient(clientID string, cert *x509.Certificate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clientLocked(clientID)
	c.certs = append(c.certs, cert)
}

// RegisterFederatedClient registers a federated identity credential: the
// application accepts assertions from issuer with that subject and the
// audience api://AzureADTokenExchange.
func (s *Service) RegisterFederatedClient(clientID, issuer, subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clientLocked(clientID)
	c.federated = append(c.federated, federatedCredential{issuer: strings.TrimRight(issuer, "/"), subject: subject})
}

func (s *Service) clientLocked(clientID string) *registeredClient {
	c, ok := s.clients[clientID]
	if !ok {
		c = &registeredClient{objectID: stableGUID("service principal", s.tenantID, clientID)}
		s.clients[clientID] = c
	}
	return c
}

func (s *Service) lookupClient(clientID string) (registeredClient, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.clients[clientID]
	if !ok {
		return registeredClient{}, false
	}
	return registeredClient{
		objectID:  c.objectID,
		secrets:   append([]string(nil), c.secrets...),
		certs:     append([]*x509.Certificate(nil), c.certs...),
		federated: append([]federatedCredential(nil), c.federated...),
	}, true
}

// RegisterManagedIdentity makes a managed identity available at the managed
// identity endpoint: a user-assigned one with that client id, or with "" the
// system-assigned identity (whose client id SystemAssignedClientID returns).
func (s *Service) RegisterManagedIdentity(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := managedIdentity{clientID: clientID, objectID: stableGUID("managed identity", s.tenantID, clientID)}
	if clientID == "" {
		id.clientID = s.SystemAssignedClientID()
	}
	s.identities[clientID] = id
}

// SystemAssignedClientID is the client (application) id of the system-assigned identity.
func (s *Service) SystemAssignedClientID() string {
	return stableGUID("system-assigned identity", s.tenantID)
}

// IdentityHeader is the secret the App Service style endpoint expects in X-IDENTITY-HEADER.
func (s *Service) IdentityHeader() string { return s.identityHeader }

// ManagedIdentityEndpoint is the managed identity endpoint (IDENTITY_ENDPOINT).
func (s *Service) ManagedIdentityEndpoint() string { return s.baseURL + "/msi/token" }

// FederatedIssuer is the service's own OIDC issuer, with discovery and keys under it.
func (s *Service) FederatedIssuer() string { return s.baseURL + "/_oidc" }

// TokenRequests counts the token endpoint and managed identity requests,
// successful or not, since New or the last ResetCounters.
func (s *Service) TokenRequests() int64 { return s.tokenRequests.Load() }

// ResetCounters sets the request counters to zero.
func (s *Service) ResetCounters() { s.tokenRequests.Store(0) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var errNoKey = errors.New("no key with that id")
