package entra

import (
	"crypto/rsa"
	"fmt"
	"math/big"
	"net/http"
)

func (s *Service) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.serveTenantDiscovery)
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", s.serveTenantKeys)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.serveToken)
	mux.HandleFunc("GET /msi/token", s.serveManagedIdentity)
	mux.HandleFunc("GET /_oidc/.well-known/openid-configuration", s.serveIssuerDiscovery)
	mux.HandleFunc("GET /_oidc/keys", s.serveIssuerKeys)
	mux.HandleFunc("GET /_oidc/github", s.serveGitHubActions)
	mux.HandleFunc("POST /_oidc/ado", s.serveAzureDevOps)
	return mux
}

// oauthError is an error as Entra's token service reports it.
type oauthError struct {
	status      int
	code        string // the OAuth error: invalid_client, invalid_request, ...
	aadsts      int    // the AADSTS number
	description string // the text after "AADSTSnnn: "
}

func (e *oauthError) Error() string {
	return fmt.Sprintf("%s: AADSTS%d: %s", e.code, e.aadsts, e.description)
}

func (s *Service) writeOAuthError(w http.ResponseWriter, r *http.Request, e *oauthError) {
	traceID := stableGUID("trace", s.now().String(), e.description)
	correlationID := r.Header.Get("client-request-id")
	if correlationID == "" {
		correlationID = stableGUID("correlation", traceID)
	}
	timestamp := s.now().UTC().Format("2006-01-02 15:04:05Z")
	writeJSON(w, e.status, map[string]any{
		"error": e.code,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			e.aadsts, e.description, traceID, correlationID, timestamp),
		"error_codes":    []int{e.aadsts},
		"timestamp":      timestamp,
		"trace_id":       traceID,
		"correlation_id": correlationID,
		"error_uri":      fmt.Sprintf("%s/error?code=%d", s.baseURL, e.aadsts),
	})
}

func tenantNotFound(tenant string) *oauthError {
	return &oauthError{
		status: http.StatusBadRequest, code: "invalid_tenant", aadsts: 90002,
		description: fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant),
	}
}

func (s *Service) knownTenant(tenant string) bool { return tenant == s.tenantID }

func (s *Service) serveTenantDiscovery(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if !s.knownTenant(tenant) {
		s.writeOAuthError(w, r, tenantNotFound(tenant))
		return
	}
	tenantBase := s.baseURL + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.tenantIssuer(tenant),
		"token_endpoint":                        s.tokenEndpoint(tenant),
		"authorization_endpoint":                tenantBase + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         tenantBase + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  tenantBase + "/oauth2/v2.0/logout",
		"jwks_uri":                              tenantBase + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "azp", "appid", "ver"},
		"request_uri_parameter_supported":       false,
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"tenant_region_scope":                   nil,
		"cloud_instance_name":                   "emulator",
	})
}

func (s *Service) serveTenantKeys(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if !s.knownTenant(tenant) {
		s.writeOAuthError(w, r, tenantNotFound(tenant))
		return
	}
	writeJSON(w, http.StatusOK, jwks(s.tokenKey, s.tenantIssuer(tenant)))
}

func (s *Service) serveIssuerDiscovery(w http.ResponseWriter, _ *http.Request) {
	issuer := s.FederatedIssuer()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                issuer,
		"jwks_uri":                              issuer + "/keys",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public", "pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"claims_supported":                      []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf"},
	})
}

func (s *Service) serveIssuerKeys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jwks(s.issuerKey, s.FederatedIssuer()))
}

type jsonWebKey struct {
	Kty    string `json:"kty"`
	Use    string `json:"use,omitempty"`
	Alg    string `json:"alg,omitempty"`
	Kid    string `json:"kid"`
	N      string `json:"n"`
	E      string `json:"e"`
	Issuer string `json:"issuer,omitempty"`
}

type jsonWebKeySet struct {
	Keys []jsonWebKey `json:"keys"`
}

func jwks(k signingKey, issuer string) jsonWebKeySet {
	pub := &k.private.PublicKey
	return jsonWebKeySet{Keys: []jsonWebKey{{
		Kty: "RSA", Use: "sig", Alg: "RS256", Kid: k.kid,
		N: b64(pub.N.Bytes()), E: b64(big.NewInt(int64(pub.E)).Bytes()),
		Issuer: issuer,
	}}}
}

// publicKey turns a JWK back into an RSA key.
func (k jsonWebKey) publicKey() (*rsa.PublicKey, error) {
	if k.Kty != "RSA" {
		return nil, fmt.Errorf("key %q is of type %q, not RSA", k.Kid, k.Kty)
	}
	n, err := decodeB64(k.N)
	if err != nil {
		return nil, fmt.Errorf("key %q: modulus: %w", k.Kid, err)
	}
	e, err := decodeB64(k.E)
	if err != nil {
		return nil, fmt.Errorf("key %q: exponent: %w", k.Kid, err)
	}
	exp := new(big.Int).SetBytes(e)
	if !exp.IsInt64() || exp.Int64() > 1<<31-1 || exp.Int64() < 3 {
		return nil, fmt.Errorf("key %q: exponent out of range", k.Kid)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}, nil
}
