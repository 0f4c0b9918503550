package entra

import (
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // x5t is defined as a SHA-1 thumbprint
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const jwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" //nolint:gosec // a protocol constant, not a credential

// clockSkew is the tolerance applied to client assertions' validity periods,
// as Entra tolerates a few minutes of difference between clocks.
const clockSkew = 5 * time.Minute

// assertionSigningMethods are the algorithms accepted on client assertions:
// MSAL signs certificate assertions with PS256, most issuers use RS256.
var assertionSigningMethods = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}

// AADSTS numbers for the failures the token endpoint reports. Where Entra
// documents no dedicated code (two credentials at once, an unknown assertion
// type) the number is the emulator's own choice.
const (
	aadMissingParameter     = 900144
	aadUnsupportedGrant     = 70003
	aadUnknownApplication   = 700016
	aadInvalidScope         = 70011
	aadScopeWithoutDefault  = 1002012
	aadUnknownResource      = 500011
	aadInvalidSecret        = 7000215
	aadNoCredential         = 7000218
	aadInvalidCredentialMix = 7000219
	aadMalformedJWT         = 50027
	aadSignature            = 700027
	aadAssertionTime        = 700024
	aadAssertionClientID    = 700021
	aadNoFederatedIssuer    = 700211
	aadNoFederatedAudience  = 700212
	aadNoFederatedRecord    = 70021
	aadInvalidAssertionType = 700010
)

func missingParameter(name string) *oauthError {
	return &oauthError{
		status: http.StatusBadRequest, code: "invalid_request", aadsts: aadMissingParameter,
		description: fmt.Sprintf("The request body must contain the following parameter: '%s'.", name),
	}
}

func (s *Service) serveToken(w http.ResponseWriter, r *http.Request) {
	s.tokenRequests.Add(1)
	token, oerr := s.handleTokenRequest(r)
	if oerr != nil {
		s.writeOAuthError(w, r, oerr)
		return
	}
	seconds := int64(s.lifetime/time.Second) - 1
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     seconds,
		"ext_expires_in": seconds,
		"access_token":   token,
	})
}

func (s *Service) handleTokenRequest(r *http.Request) (string, *oauthError) {
	tenant := r.PathValue("tenant")
	if !s.knownTenant(tenant) {
		return "", tenantNotFound(tenant)
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return "", &oauthError{status: http.StatusBadRequest, code: "invalid_request", aadsts: aadMissingParameter,
			description: "The request body must be application/x-www-form-urlencoded."}
	}
	form := r.PostForm
	grant := form.Get("grant_type")
	if grant == "" {
		return "", missingParameter("grant_type")
	}
	if grant != "client_credentials" {
		return "", &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type", aadsts: aadUnsupportedGrant,
			description: fmt.Sprintf("The app requested an unsupported grant type '%s'. The emulator supports client_credentials only.", grant)}
	}
	clientID := form.Get("client_id")
	secret := form.Get("client_secret")
	if user, pass, ok := r.BasicAuth(); ok { // client_secret_basic
		if clientID == "" {
			clientID, _ = url.QueryUnescape(user)
		}
		if secret == "" {
			secret, _ = url.QueryUnescape(pass)
		}
	}
	if clientID == "" {
		return "", missingParameter("client_id")
	}
	scope := form.Get("scope")
	if scope == "" {
		return "", missingParameter("scope")
	}
	client, ok := s.lookupClient(clientID)
	if !ok {
		return "", &oauthError{status: http.StatusBadRequest, code: "unauthorized_client", aadsts: aadUnknownApplication,
			description: fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, tenant)}
	}
	resource, oerr := resourceFromScope(scope)
	if oerr != nil {
		return "", oerr
	}
	kind, oerr := s.authenticateClient(r.Context(), tenant, clientID, client, secret, form)
	if oerr != nil {
		return "", oerr
	}
	if !strings.EqualFold(normalizeResource(resource), s.audience) {
		return "", unknownResource(resource, tenant)
	}
	token, _, err := s.issueAccessToken(tokenSubject{clientID: clientID, objectID: client.objectID, credentialKind: kind})
	if err != nil {
		return "", &oauthError{status: http.StatusInternalServerError, code: "server_error", aadsts: 90033,
			description: "A transient error has occurred while signing the token. Please try again."}
	}
	return token, nil
}

func unknownResource(resource, tenant string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_resource", aadsts: aadUnknownResource,
		description: fmt.Sprintf("The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resource, tenant)}
}

// resourceFromScope finds the one "<resource>/.default" among the scopes;
// MSAL adds openid, offline_access and profile to every request.
func resourceFromScope(scope string) (string, *oauthError) {
	var resources []string
	for _, f := range strings.Fields(scope) {
		switch f {
		case "openid", "offline_access", "profile", "email":
			continue
		}
		resources = append(resources, f)
	}
	if len(resources) != 1 {
		return "", &oauthError{status: http.StatusBadRequest, code: "invalid_scope", aadsts: aadInvalidScope,
			description: fmt.Sprintf("The provided value for the input parameter 'scope' is not valid. The scope '%s' is not valid: name exactly one resource.", scope)}
	}
	if !strings.HasSuffix(resources[0], "/.default") {
		return "", &oauthError{status: http.StatusBadRequest, code: "invalid_scope", aadsts: aadScopeWithoutDefault,
			description: fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", resources[0])}
	}
	return strings.TrimSuffix(resources[0], "/.default"), nil
}

// authenticateClient checks the credential the request presents and returns
// the appidacr value of the token to issue.
func (s *Service) authenticateClient(ctx context.Context, tenant, clientID string, client registeredClient, secret string, form url.Values) (string, *oauthError) {
	assertion := form.Get("client_assertion")
	switch {
	case secret != "" && assertion != "":
		return "", &oauthError{status: http.StatusBadRequest, code: "invalid_request", aadsts: aadInvalidCredentialMix,
			description: "Present either 'client_secret' or 'client_assertion', not both."}
	case secret != "":
		if !slices.Contains(client.secrets, secret) {
			return "", &oauthError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: aadInvalidSecret,
				description: fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID)}
		}
		return "1", nil
	case assertion != "":
		assertionType := form.Get("client_assertion_type")
		if assertionType == "" {
			return "", missingParameter("client_assertion_type")
		}
		if assertionType != jwtBearerAssertionType {
			return "", &oauthError{status: http.StatusBadRequest, code: "invalid_request", aadsts: aadInvalidAssertionType,
				description: fmt.Sprintf("Invalid client assertion type '%s'; expected '%s'.", assertionType, jwtBearerAssertionType)}
		}
		var unverified jwt.RegisteredClaims
		if _, _, err := jwt.NewParser().ParseUnverified(assertion, &unverified); err != nil {
			return "", &oauthError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: aadMalformedJWT,
				description: "JWT token is invalid or malformed: the client assertion is not a JWT."}
		}
		if unverified.Issuer == clientID {
			if oerr := s.verifyCertificateAssertion(tenant, clientID, client, assertion); oerr != nil {
				return "", oerr
			}
		} else if oerr := s.verifyFederatedAssertion(ctx, client, assertion, unverified.Issuer); oerr != nil {
			return "", oerr
		}
		return "2", nil
	default:
		return "", &oauthError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: aadNoCredential,
			description: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
	}
}

func signatureError(reason string) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: aadSignature,
		description: fmt.Sprintf("Client assertion failed signature validation. [Reason - %s]", reason)}
}

// verifyCertificateAssertion checks an assertion the application signed with
// the private key of one of its registered certificates.
func (s *Service) verifyCertificateAssertion(tenant, clientID string, client registeredClient, assertion string) *oauthError {
	if len(client.certs) == 0 {
		return signatureError("The key was not found: the application has no certificate credential.")
	}
	var header struct {
		X5t       string `json:"x5t"`
		X5tSHA256 string `json:"x5t#S256"`
	}
	if err := decodeSegment(assertion, 0, &header); err != nil {
		return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: aadMalformedJWT,
			description: "JWT token is invalid or malformed: the client assertion header cannot be read."}
	}
	candidates := client.certs
	if header.X5t != "" || header.X5tSHA256 != "" {
		candidates = nil
		for _, cert := range client.certs {
			if thumbprintMatches(header.X5tSHA256, sha256Sum(cert.Raw)) || thumbprintMatches(header.X5t, sha1Sum(cert.Raw)) {
				candidates = append(candidates, cert)
			}
		}
		if len(candidates) == 0 {
			presented := header.X5tSHA256
			if presented == "" {
				presented = header.X5t
			}
			return signatureError(fmt.Sprintf("The key was not found., Thumbprint of key used by client: '%s'", thumbprintHex(presented)))
		}
	}
	var payload assertionPayload
	var signer *x509.Certificate
	for _, cert := range candidates {
		_, err := jwt.ParseWithClaims(assertion, &payload, func(*jwt.Token) (any, error) { return cert.PublicKey, nil },
			jwt.WithValidMethods(assertionSigningMethods), jwt.WithoutClaimsValidation())
		if err == nil {
			signer = cert
			break
		}
	}
	if signer == nil {
		return signatureError("The signature does not verify with the public key of any certificate registered for the application.")
	}
	now := s.now()
	if now.After(signer.NotAfter) || now.Before(signer.NotBefore) {
		return signatureError("The key used is expired: the certificate is outside its validity period.")
	}
	if payload.Issuer != clientID || payload.Subject != clientID {
		return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: aadAssertionClientID,
			description: "Client assertion application identifier doesn't match 'client_id' parameter. The iss and sub claims must both be the client id."}
	}
	endpoint := s.tokenEndpoint(tenant)
	if !slices.Contains(payload.Audience, endpoint) {
		return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: aadMalformedJWT,
			description: fmt.Sprintf("JWT token is invalid or malformed: the client assertion audience must be the token endpoint '%s'.", endpoint)}
	}
	return checkAssertionTime(payload, now)
}

// verifyFederatedAssertion checks an assertion issued by an external identity
// provider against the application's federated identity credentials.
func (s *Service) verifyFederatedAssertion(ctx context.Context, client registeredClient, assertion, issuer string) *oauthError {
	issuer = strings.TrimRight(issuer, "/")
	var trusted []federatedCredential
	for _, fc := range client.federated {
		if fc.issuer == issuer {
			trusted = append(trusted, fc)
		}
	}
	if len(trusted) == 0 {
		return &oauthError{status: http.StatusBadRequest, code: "invalid_request", aadsts: aadNoFederatedIssuer,
			description: fmt.Sprintf("No matching federated identity record found for presented assertion issuer '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", issuer)}
	}
	keys, err := s.issuerKeys(ctx, issuer)
	if err != nil {
		return signatureError(fmt.Sprintf("The signing keys of issuer '%s' could not be fetched: %v", issuer, err))
	}
	var payload assertionPayload
	_, err = jwt.ParseWithClaims(assertion, &payload, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		for _, k := range keys {
			if kid == "" || k.Kid == kid {
				return k.publicKey()
			}
		}
		return nil, errNoKey
	}, jwt.WithValidMethods(assertionSigningMethods), jwt.WithoutClaimsValidation())
	if err != nil {
		return signatureError(fmt.Sprintf("The assertion is not signed by a key that issuer '%s' publishes.", issuer))
	}
	if oerr := checkAssertionTime(payload, s.now()); oerr != nil {
		return oerr
	}
	if !slices.Contains(payload.Audience, TokenExchangeAudience) {
		return &oauthError{status: http.StatusBadRequest, code: "invalid_request", aadsts: aadNoFederatedAudience,
			description: fmt.Sprintf("No matching federated identity record found for presented assertion audience '%s'. Please note that the matching is done using a case-sensitive comparison. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", strings.Join(payload.Audience, ", "))}
	}
	for _, fc := range trusted {
		if fc.subject == payload.Subject {
			return nil
		}
	}
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request", aadsts: aadNoFederatedRecord,
		description: fmt.Sprintf("No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'. Assertion Audience: '%s'.", issuer, payload.Subject, strings.Join(payload.Audience, ", "))}
}

// assertionPayload is the wire form of a client assertion's claims.
type assertionPayload struct {
	registeredClaims
}

func checkAssertionTime(p assertionPayload, now time.Time) *oauthError {
	format := func(d *jwt.NumericDate) string {
		if d == nil {
			return "(none)"
		}
		return d.UTC().Format("01/02/2006 15:04:05")
	}
	valid := p.ExpiresAt != nil && now.Before(p.ExpiresAt.Add(clockSkew)) &&
		(p.NotBefore == nil || !now.Add(clockSkew).Before(p.NotBefore.Time))
	if valid {
		return nil
	}
	return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: aadAssertionTime,
		description: fmt.Sprintf("Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s.",
			now.UTC().Format("01/02/2006 15:04:05"), format(p.NotBefore), format(p.ExpiresAt))}
}

// issuerKeys returns the signing keys of a federated issuer: the service's
// own without a round trip, any other from its OIDC discovery document.
func (s *Service) issuerKeys(ctx context.Context, issuer string) ([]jsonWebKey, error) {
	if issuer == s.FederatedIssuer() {
		return jwks(s.issuerKey, issuer).Keys, nil
	}
	var discovery struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := s.getJSON(ctx, issuer+"/.well-known/openid-configuration", &discovery); err != nil {
		return nil, err
	}
	if discovery.JWKSURI == "" {
		return nil, errors.New("its discovery document names no jwks_uri")
	}
	var set jsonWebKeySet
	if err := s.getJSON(ctx, discovery.JWKSURI, &set); err != nil {
		return nil, err
	}
	return set.Keys, nil
}

func (s *Service) getJSON(ctx context.Context, target string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s answered %s", target, resp.Status)
	}
	return json.Unmarshal(body, v)
}

// decodeSegment decodes one dot-separated part of a JWT as JSON.
func decodeSegment(token string, index int, v any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	raw, err := decodeB64(parts[index])
	if err != nil {
		return err
	}
	return json.NewDecoder(bytes.NewReader(raw)).Decode(v)
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
func sha1Sum(b []byte) []byte   { s := sha1.Sum(b); return s[:] } //nolint:gosec // x5t is SHA-1 by definition

func thumbprintMatches(presented string, want []byte) bool {
	if presented == "" {
		return false
	}
	got, err := decodeB64(presented)
	return err == nil && bytes.Equal(got, want)
}

func thumbprintHex(presented string) string {
	b, err := decodeB64(presented)
	if err != nil {
		return presented
	}
	return strings.ToUpper(hex.EncodeToString(b))
}
