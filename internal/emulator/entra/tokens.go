package entra

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Errors VerifyAccessToken wraps, so a caller can tell a client why its token was refused.
var (
	ErrTokenMalformed   = errors.New("access token is malformed")
	ErrTokenSignature   = errors.New("access token signature is invalid")
	ErrTokenExpired     = errors.New("access token is expired")
	ErrTokenNotYetValid = errors.New("access token is not valid yet")
	ErrTokenAudience    = errors.New("access token audience is wrong")
	ErrTokenIssuer      = errors.New("access token issuer is wrong")
)

// AccessTokenClaims is what VerifyAccessToken learns from a valid token.
type AccessTokenClaims struct {
	Subject   string // sub: the service principal's object id for an application token
	ClientID  string // appid (and azp): the application or managed identity client id
	ObjectID  string // oid
	TenantID  string // tid
	Audience  string // aud
	Issuer    string // iss
	IssuedAt  time.Time
	NotBefore time.Time
	ExpiresAt time.Time
}

// accessTokenPayload is the wire form of an access token's claims.
type accessTokenPayload struct {
	registeredClaims
	AppID    string `json:"appid"`
	AZP      string `json:"azp"`
	TenantID string `json:"tid"`
	ObjectID string `json:"oid"`
}

// registeredClaims are the claims of RFC 7519 that the service reads from a token it verifies,
// as jwt.Claims; the checks are the service's own, made after parsing.
type registeredClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.ClaimStrings `json:"aud"`
	ExpiresAt *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
}

func (c *registeredClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }
func (c *registeredClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt, nil }
func (c *registeredClaims) GetNotBefore() (*jwt.NumericDate, error)      { return c.NotBefore, nil }
func (c *registeredClaims) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c *registeredClaims) GetSubject() (string, error)                  { return c.Subject, nil }
func (c *registeredClaims) GetAudience() (jwt.ClaimStrings, error)       { return c.Audience, nil }

// tokenSubject is who an access token is issued to.
type tokenSubject struct {
	clientID string
	objectID string
	// credentialKind is appidacr: "1" for a secret, "2" for a certificate or
	// assertion, "2" for a managed identity too.
	credentialKind string
}

// issueAccessToken signs an access token for the service's audience and
// returns it with its expiry.
func (s *Service) issueAccessToken(sub tokenSubject) (string, time.Time, error) {
	now := s.now()
	exp := now.Add(s.lifetime)
	jti, err := randomString(16)
	if err != nil {
		return "", time.Time{}, err
	}
	claims := jwt.MapClaims{
		"aud":      s.audience,
		"iss":      s.Issuer(),
		"iat":      now.Unix(),
		"nbf":      now.Unix(),
		"exp":      exp.Unix(),
		"appid":    sub.clientID,
		"azp":      sub.clientID,
		"appidacr": sub.credentialKind,
		"azpacr":   sub.credentialKind,
		"idtyp":    "app",
		"oid":      sub.objectID,
		"sub":      sub.objectID,
		"tid":      s.tenantID,
		"uti":      jti,
		"ver":      "2.0",
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = s.tokenKey.kid
	signed, err := tok.SignedString(s.tokenKey.private)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("entra: signing an access token: %w", err)
	}
	return signed, exp, nil
}

// VerifyAccessToken checks a bearer token the way the Web API must: its
// RS256 signature by this service, its issuer, its validity period by the
// service's clock, and its audience (the service's Audience when audience is
// empty; a trailing slash and letter case are ignored). Errors wrap one of
// the ErrToken* values and never contain the token.
func (s *Service) VerifyAccessToken(raw, audience string) (*AccessTokenClaims, error) {
	var payload accessTokenPayload
	_, err := jwt.ParseWithClaims(raw, &payload, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != s.tokenKey.kid {
			return nil, errNoKey
		}
		return &s.tokenKey.private.PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, fmt.Errorf("%w: it is not a signed JWT", ErrTokenMalformed)
	case errors.Is(err, errNoKey):
		return nil, fmt.Errorf("%w: it was not signed by a key of this token service", ErrTokenSignature)
	default:
		return nil, fmt.Errorf("%w: the signature does not verify", ErrTokenSignature)
	}

	if payload.Issuer != s.Issuer() {
		return nil, fmt.Errorf("%w: got %q, want %q", ErrTokenIssuer, payload.Issuer, s.Issuer())
	}
	if payload.ExpiresAt == nil {
		return nil, fmt.Errorf("%w: it has no exp claim", ErrTokenMalformed)
	}
	now := s.now()
	if !now.Before(payload.ExpiresAt.Time) {
		return nil, fmt.Errorf("%w: it expired at %s", ErrTokenExpired, payload.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if payload.NotBefore != nil && now.Before(payload.NotBefore.Time) {
		return nil, fmt.Errorf("%w: it is valid from %s", ErrTokenNotYetValid, payload.NotBefore.UTC().Format(time.RFC3339))
	}
	want := normalizeResource(audience)
	if want == "" {
		want = s.audience
	}
	matched := ""
	for _, aud := range payload.Audience {
		if strings.EqualFold(normalizeResource(aud), want) {
			matched = aud
			break
		}
	}
	if matched == "" {
		return nil, fmt.Errorf("%w: it is for %q, not %q", ErrTokenAudience, strings.Join(payload.Audience, ", "), want)
	}
	claims := &AccessTokenClaims{
		Subject:   payload.Subject,
		ClientID:  payload.AppID,
		ObjectID:  payload.ObjectID,
		TenantID:  payload.TenantID,
		Audience:  matched,
		Issuer:    payload.Issuer,
		ExpiresAt: payload.ExpiresAt.Time,
	}
	if claims.ClientID == "" {
		claims.ClientID = payload.AZP
	}
	if payload.IssuedAt != nil {
		claims.IssuedAt = payload.IssuedAt.Time
	}
	if payload.NotBefore != nil {
		claims.NotBefore = payload.NotBefore.Time
	}
	return claims, nil
}

// MintFederatedToken issues a token from the service's own OIDC issuer
// (FederatedIssuer), as GitHub Actions, Azure DevOps or a Kubernetes service
// account token would be: the assertion a federated client presents.
func (s *Service) MintFederatedToken(subject, audience string, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	return s.mintFederatedToken(subject, audience, ttl, nil)
}

func (s *Service) mintFederatedToken(subject, audience string, ttl time.Duration, extra map[string]any) (string, error) {
	now := s.now()
	jti, err := randomString(16)
	if err != nil {
		return "", err
	}
	claims := jwt.MapClaims{
		"iss": s.FederatedIssuer(),
		"sub": subject,
		"aud": audience,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(ttl).Unix(),
		"jti": jti,
	}
	for k, v := range extra {
		claims[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = s.issuerKey.kid
	signed, err := tok.SignedString(s.issuerKey.private)
	if err != nil {
		return "", fmt.Errorf("entra: signing a federated token: %w", err)
	}
	return signed, nil
}

// decodeB64 accepts the URL and standard alphabets, padded or not: MSAL
// writes x5t#S256 in the standard alphabet, JOSE says base64url.
func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "+/") {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.RawURLEncoding.DecodeString(s)
}
