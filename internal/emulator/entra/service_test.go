package entra_test

import (
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is SHA-1 by definition
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/entra"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/testcert"
)

// testClock is a settable clock shared by a service and its test.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// startService serves a new Service over TLS on loopback and returns it with
// a client that trusts the server.
func startService(t *testing.T, opts entra.Options) (*entra.Service, *http.Client) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	opts.BaseURL = "https://" + srv.Listener.Addr().String()
	svc, err := entra.New(opts)
	if err != nil {
		t.Fatalf("entra.New: %v", err)
	}
	srv.Config.Handler = svc.Handler()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return svc, srv.Client()
}

type tokenAnswer struct {
	status int
	body   map[string]any
	raw    string
}

func (a tokenAnswer) errorCode() string { s, _ := a.body["error"].(string); return s }
func (a tokenAnswer) aadsts() int {
	codes, _ := a.body["error_codes"].([]any)
	if len(codes) != 1 {
		return 0
	}
	f, _ := codes[0].(float64)
	return int(f)
}

func postToken(t *testing.T, c *http.Client, endpoint string, form url.Values, basicUser, basicPass string) tokenAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(basicUser, basicPass)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	ans := tokenAnswer{status: resp.StatusCode, raw: string(raw)}
	if err := json.Unmarshal(raw, &ans.body); err != nil {
		t.Fatalf("answer is not JSON: %q", raw)
	}
	return ans
}

func getJSON(t *testing.T, c *http.Client, target string, header http.Header) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: answer is not JSON: %v", target, err)
	}
	return resp.StatusCode, body
}

type testCert struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

func newTestCert(t *testing.T, now time.Time) testCert {
	t.Helper()
	cert, key := testcert.SelfSigned(t, "dataverse-automation", now)
	return testCert{cert: cert, key: key}
}

// assertion signs a client assertion with the given method and extra header
// fields, by the certificate's key unless another key is given.
func (c testCert) assertion(t *testing.T, method jwt.SigningMethod, header map[string]any, claims jwt.MapClaims, key *rsa.PrivateKey) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	if key == nil {
		key = c.key
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (c testCert) x5tS256() string {
	sum := sha256.Sum256(c.cert.Raw)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func (c testCert) x5t() string {
	sum := sha1.Sum(c.cert.Raw) //nolint:gosec // x5t is SHA-1 by definition
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"", "127.0.0.1:8443", "https://", "https://127.0.0.1:8443/api", "ftp://x"} {
		if _, err := entra.New(entra.Options{BaseURL: base}); err == nil {
			t.Errorf("New(BaseURL %q) succeeded, want an error", base)
		}
	}
}

func TestDefaultsAndRoutes(t *testing.T) {
	t.Parallel()
	svc, err := entra.New(entra.Options{BaseURL: "https://127.0.0.1:8443/"})
	if err != nil {
		t.Fatal(err)
	}
	if svc.TenantID() != entra.DefaultTenantID {
		t.Errorf("TenantID = %q, want the default %q", svc.TenantID(), entra.DefaultTenantID)
	}
	if svc.Audience() != "https://127.0.0.1:8443" {
		t.Errorf("Audience = %q, want the base URL", svc.Audience())
	}
	if got, want := svc.ManagedIdentityEndpoint(), "https://127.0.0.1:8443/msi/token"; got != want {
		t.Errorf("ManagedIdentityEndpoint = %q, want %q", got, want)
	}
	if got, want := svc.FederatedIssuer(), "https://127.0.0.1:8443/_oidc"; got != want {
		t.Errorf("FederatedIssuer = %q, want %q", got, want)
	}
	routes := strings.Join(svc.Routes(), " ")
	for _, want := range []string{"/" + entra.DefaultTenantID + "/", "/msi/", "/_oidc/"} {
		if !strings.Contains(routes, want) {
			t.Errorf("Routes() = %q, missing %q", routes, want)
		}
	}
	if svc.IdentityHeader() == "" {
		t.Error("IdentityHeader is empty")
	}
}

func TestDiscoveryAndKeys(t *testing.T) {
	t.Parallel()
	svc, c := startService(t, entra.Options{})
	base := svc.BaseURL() + "/" + svc.TenantID()

	status, doc := getJSON(t, c, base+"/v2.0/.well-known/openid-configuration", nil)
	if status != http.StatusOK {
		t.Fatalf("discovery status %d", status)
	}
	for key, want := range map[string]string{
		"issuer":                 base + "/v2.0",
		"token_endpoint":         base + "/oauth2/v2.0/token",
		"authorization_endpoint": base + "/oauth2/v2.0/authorize",
		"jwks_uri":               base + "/discovery/v2.0/keys",
	} {
		if doc[key] != want {
			t.Errorf("discovery %s = %v, want %q", key, doc[key], want)
		}
	}

	status, keys := getJSON(t, c, base+"/discovery/v2.0/keys", nil)
	if status != http.StatusOK {
		t.Fatalf("keys status %d", status)
	}
	list, _ := keys["keys"].([]any)
	if len(list) != 1 {
		t.Fatalf("keys = %v, want one key", keys)
	}
	key, _ := list[0].(map[string]any)
	if key["kty"] != "RSA" || key["kid"] == "" || key["n"] == "" || key["e"] != "AQAB" {
		t.Errorf("key = %v, want an RSA key with kid, n and e", key)
	}

	status, body := getJSON(t, c, svc.BaseURL()+"/not-a-tenant/v2.0/.well-known/openid-configuration", nil)
	if status != http.StatusBadRequest || body["error"] != "invalid_tenant" {
		t.Errorf("unknown tenant: status %d body %v, want 400 invalid_tenant", status, body)
	}

	status, issuerDoc := getJSON(t, c, svc.FederatedIssuer()+"/.well-known/openid-configuration", nil)
	if status != http.StatusOK || issuerDoc["issuer"] != svc.FederatedIssuer() || issuerDoc["jwks_uri"] != svc.FederatedIssuer()+"/keys" {
		t.Errorf("federated issuer discovery: status %d doc %v", status, issuerDoc)
	}
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	svc, c := startService(t, entra.Options{Now: clock.Now})
	now := clock.Now()
	endpoint := svc.TokenEndpoint()
	scope := svc.Audience() + "/.default openid offline_access profile"

	const (
		secretClient    = "11111111-1111-1111-1111-111111111111"
		certClient      = "22222222-2222-2222-2222-222222222222"
		federatedClient = "33333333-3333-3333-3333-333333333333"
		secret          = "s3cr3t-value~with.symbols"
		fedSubject      = "system:serviceaccount:infra:deployer"
	)
	svc.RegisterSecretClient(secretClient, secret)
	cert := newTestCert(t, now)
	other := newTestCert(t, now)
	svc.RegisterCertificateClient(certClient, cert.cert)
	svc.RegisterFederatedClient(federatedClient, svc.FederatedIssuer(), fedSubject)

	certClaims := func(mutate func(jwt.MapClaims)) jwt.MapClaims {
		claims := jwt.MapClaims{
			"aud": endpoint, "iss": certClient, "sub": certClient, "jti": "a",
			"nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		}
		if mutate != nil {
			mutate(claims)
		}
		return claims
	}
	msalHeader := map[string]any{"x5t#S256": cert.x5tS256()}
	certForm := func(assertion string) url.Values {
		return url.Values{
			"grant_type": {"client_credentials"}, "client_id": {certClient}, "scope": {scope},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {assertion},
		}
	}
	fedForm := func(assertion string) url.Values {
		f := certForm(assertion)
		f.Set("client_id", federatedClient)
		return f
	}
	mint := func(subject, audience string, ttl time.Duration) string {
		tok, err := svc.MintFederatedToken(subject, audience, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	secretForm := func(mutate func(url.Values)) url.Values {
		f := url.Values{"grant_type": {"client_credentials"}, "client_id": {secretClient}, "client_secret": {secret}, "scope": {scope}}
		if mutate != nil {
			mutate(f)
		}
		return f
	}
	tampered := func(tok string) string {
		parts := strings.Split(tok, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		payload = []byte(strings.Replace(string(payload), fedSubject, "system:serviceaccount:infra:intruder", 1))
		parts[1] = base64.RawURLEncoding.EncodeToString(payload)
		return strings.Join(parts, ".")
	}

	tests := []struct {
		name       string
		endpoint   string
		form       url.Values
		basic      [2]string
		wantStatus int
		wantError  string
		wantAADSTS int
		wantClient string // on success, the appid of the token
	}{
		{name: "secret", form: secretForm(nil), wantStatus: 200, wantClient: secretClient},
		{name: "secret with basic authentication", form: secretForm(func(f url.Values) { f.Del("client_secret"); f.Del("client_id") }),
			basic: [2]string{secretClient, secret}, wantStatus: 200, wantClient: secretClient},
		{name: "wrong secret", form: secretForm(func(f url.Values) { f.Set("client_secret", "not-it") }),
			wantStatus: 401, wantError: "invalid_client", wantAADSTS: 7000215},
		{name: "unknown client", form: secretForm(func(f url.Values) { f.Set("client_id", "44444444-4444-4444-4444-444444444444") }),
			wantStatus: 400, wantError: "unauthorized_client", wantAADSTS: 700016},
		{name: "scope for another resource", form: secretForm(func(f url.Values) { f.Set("scope", "https://contoso.crm.dynamics.com/.default") }),
			wantStatus: 400, wantError: "invalid_resource", wantAADSTS: 500011},
		{name: "scope without .default", form: secretForm(func(f url.Values) { f.Set("scope", svc.Audience()+"/user_impersonation") }),
			wantStatus: 400, wantError: "invalid_scope", wantAADSTS: 1002012},
		{name: "two resources", form: secretForm(func(f url.Values) { f.Set("scope", svc.Audience()+"/.default https://graph.microsoft.com/.default") }),
			wantStatus: 400, wantError: "invalid_scope", wantAADSTS: 70011},
		{name: "missing client_id", form: secretForm(func(f url.Values) { f.Del("client_id") }),
			wantStatus: 400, wantError: "invalid_request", wantAADSTS: 900144},
		{name: "missing scope", form: secretForm(func(f url.Values) { f.Del("scope") }),
			wantStatus: 400, wantError: "invalid_request", wantAADSTS: 900144},
		{name: "unsupported grant", form: secretForm(func(f url.Values) { f.Set("grant_type", "password") }),
			wantStatus: 400, wantError: "unsupported_grant_type", wantAADSTS: 70003},
		{name: "no credential", form: secretForm(func(f url.Values) { f.Del("client_secret") }),
			wantStatus: 401, wantError: "invalid_client", wantAADSTS: 7000218},
		{name: "unknown tenant", endpoint: svc.BaseURL() + "/contoso.onmicrosoft.com/oauth2/v2.0/token", form: secretForm(nil),
			wantStatus: 400, wantError: "invalid_tenant", wantAADSTS: 90002},

		{name: "certificate PS256 with x5t#S256", form: certForm(cert.assertion(t, jwt.SigningMethodPS256, msalHeader, certClaims(nil), nil)),
			wantStatus: 200, wantClient: certClient},
		{name: "certificate RS256 with x5t", form: certForm(cert.assertion(t, jwt.SigningMethodRS256, map[string]any{"x5t": cert.x5t()}, certClaims(nil), nil)),
			wantStatus: 200, wantClient: certClient},
		{name: "certificate without thumbprint header", form: certForm(cert.assertion(t, jwt.SigningMethodRS256, nil, certClaims(nil), nil)),
			wantStatus: 200, wantClient: certClient},
		{name: "certificate assertion signed by another key", form: certForm(cert.assertion(t, jwt.SigningMethodPS256, msalHeader, certClaims(nil), other.key)),
			wantStatus: 401, wantError: "invalid_client", wantAADSTS: 700027},
		{name: "certificate thumbprint of an unregistered certificate", form: certForm(other.assertion(t, jwt.SigningMethodPS256, map[string]any{"x5t#S256": other.x5tS256()}, certClaims(nil), nil)),
			wantStatus: 401, wantError: "invalid_client", wantAADSTS: 700027},
		{name: "certificate assertion expired", form: certForm(cert.assertion(t, jwt.SigningMethodPS256, msalHeader, certClaims(func(c jwt.MapClaims) {
			c["nbf"] = now.Add(-2 * time.Hour).Unix()
			c["exp"] = now.Add(-time.Hour).Unix()
		}), nil)), wantStatus: 401, wantError: "invalid_client", wantAADSTS: 700024},
		{name: "certificate assertion for another audience", form: certForm(cert.assertion(t, jwt.SigningMethodPS256, msalHeader, certClaims(func(c jwt.MapClaims) {
			c["aud"] = "https://login.microsoftonline.com/" + svc.TenantID() + "/oauth2/v2.0/token"
		}), nil)), wantStatus: 401, wantError: "invalid_client", wantAADSTS: 50027},
		{name: "certificate assertion subject is not the client", form: certForm(cert.assertion(t, jwt.SigningMethodPS256, msalHeader, certClaims(func(c jwt.MapClaims) {
			c["sub"] = secretClient
		}), nil)), wantStatus: 401, wantError: "invalid_client", wantAADSTS: 700021},
		{name: "assertion that is not a JWT", form: certForm("not-a-jwt"), wantStatus: 401, wantError: "invalid_client", wantAADSTS: 50027},
		{name: "wrong assertion type", form: func() url.Values {
			f := certForm(cert.assertion(t, jwt.SigningMethodPS256, msalHeader, certClaims(nil), nil))
			f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
			return f
		}(), wantStatus: 400, wantError: "invalid_request"},
		{name: "secret and assertion together", form: func() url.Values {
			f := certForm(cert.assertion(t, jwt.SigningMethodPS256, msalHeader, certClaims(nil), nil))
			f.Set("client_secret", secret)
			return f
		}(), wantStatus: 400, wantError: "invalid_request"},

		{name: "federated", form: fedForm(mint(fedSubject, entra.TokenExchangeAudience, 5*time.Minute)), wantStatus: 200, wantClient: federatedClient},
		{name: "federated with another subject", form: fedForm(mint("system:serviceaccount:infra:other", entra.TokenExchangeAudience, 5*time.Minute)),
			wantStatus: 400, wantError: "invalid_request", wantAADSTS: 70021},
		{name: "federated with another audience", form: fedForm(mint(fedSubject, "https://github.com/contoso", 5*time.Minute)),
			wantStatus: 400, wantError: "invalid_request", wantAADSTS: 700212},
		{name: "federated tampered", form: fedForm(tampered(mint(fedSubject, entra.TokenExchangeAudience, 5*time.Minute))),
			wantStatus: 401, wantError: "invalid_client", wantAADSTS: 700027},
		{name: "federated to a client that does not trust the issuer", form: func() url.Values {
			f := fedForm(mint(fedSubject, entra.TokenExchangeAudience, 5*time.Minute))
			f.Set("client_id", secretClient)
			return f
		}(), wantStatus: 400, wantError: "invalid_request", wantAADSTS: 700211},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := endpoint
			if tc.endpoint != "" {
				target = tc.endpoint
			}
			ans := postToken(t, c, target, tc.form, tc.basic[0], tc.basic[1])
			if ans.status != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", ans.status, tc.wantStatus, ans.raw)
			}
			if strings.Contains(ans.raw, secret) {
				t.Errorf("answer contains the client secret: %s", ans.raw)
			}
			if tc.wantStatus != 200 {
				if ans.errorCode() != tc.wantError {
					t.Errorf("error %q, want %q; body %s", ans.errorCode(), tc.wantError, ans.raw)
				}
				if tc.wantAADSTS != 0 && ans.aadsts() != tc.wantAADSTS {
					t.Errorf("error_codes %v, want [%d]", ans.body["error_codes"], tc.wantAADSTS)
				}
				desc, _ := ans.body["error_description"].(string)
				if !strings.HasPrefix(desc, "AADSTS") || !strings.Contains(desc, "\r\nTrace ID: ") {
					t.Errorf("error_description %q is not in Entra's shape", desc)
				}
				return
			}
			if ans.body["token_type"] != "Bearer" || ans.body["expires_in"] != float64(3599) || ans.body["ext_expires_in"] != float64(3599) {
				t.Errorf("success answer %s lacks Bearer / expires_in 3599", ans.raw)
			}
			tok, _ := ans.body["access_token"].(string)
			claims, err := svc.VerifyAccessToken(tok, "")
			if err != nil {
				t.Fatalf("VerifyAccessToken on an issued token: %v", err)
			}
			if claims.ClientID != tc.wantClient || claims.TenantID != svc.TenantID() || claims.Audience != svc.Audience() ||
				claims.ObjectID == "" || claims.Subject != claims.ObjectID || !claims.ExpiresAt.Equal(now.Add(time.Hour)) {
				t.Errorf("claims %+v: want appid %s, tenant, audience, oid == sub, exp one hour from now", claims, tc.wantClient)
			}
		})
	}
}

func TestFederatedAssertionFromAnotherIssuer(t *testing.T) {
	t.Parallel()
	// Another service plays an external identity provider (a Kubernetes
	// cluster, say); the token service fetches its keys through discovery.
	external, externalClient := startService(t, entra.Options{TenantID: "99999999-9999-9999-9999-999999999999"})
	svc, c := startService(t, entra.Options{HTTPClient: externalClient})
	const clientID = "55555555-5555-5555-5555-555555555555"
	svc.RegisterFederatedClient(clientID, external.FederatedIssuer()+"/", "system:serviceaccount:infra:deployer")

	form := func(assertion string) url.Values {
		return url.Values{
			"grant_type": {"client_credentials"}, "client_id": {clientID}, "scope": {svc.Audience() + "/.default"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion},
		}
	}
	good, err := external.MintFederatedToken("system:serviceaccount:infra:deployer", entra.TokenExchangeAudience, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if ans := postToken(t, c, svc.TokenEndpoint(), form(good), "", ""); ans.status != http.StatusOK {
		t.Fatalf("external federated assertion: status %d body %s", ans.status, ans.raw)
	}

	// A token the service minted itself carries its own issuer, which the client does not trust.
	own, err := svc.MintFederatedToken("system:serviceaccount:infra:deployer", entra.TokenExchangeAudience, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if ans := postToken(t, c, svc.TokenEndpoint(), form(own), "", ""); ans.status != http.StatusBadRequest || ans.aadsts() != 700211 {
		t.Fatalf("untrusted issuer: status %d body %s, want 400 AADSTS700211", ans.status, ans.raw)
	}
}

func TestFederatedAssertionExpired(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	svc, c := startService(t, entra.Options{Now: clock.Now})
	const clientID = "66666666-6666-6666-6666-666666666666"
	svc.RegisterFederatedClient(clientID, svc.FederatedIssuer(), entra.GitHubActionsSubject)
	tok, err := svc.MintFederatedToken(entra.GitHubActionsSubject, entra.TokenExchangeAudience, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	ans := postToken(t, c, svc.TokenEndpoint(), url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID}, "scope": {svc.Audience() + "/.default"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {tok},
	}, "", "")
	if ans.status != http.StatusUnauthorized || ans.aadsts() != 700024 {
		t.Fatalf("expired federated assertion: status %d body %s, want 401 AADSTS700024", ans.status, ans.raw)
	}
}

func TestManagedIdentityEndpoint(t *testing.T) {
	t.Parallel()
	svc, c := startService(t, entra.Options{})
	const userAssigned = "77777777-7777-7777-7777-777777777777"
	svc.RegisterManagedIdentity("")
	svc.RegisterManagedIdentity(userAssigned)

	appService := http.Header{"X-Identity-Header": {svc.IdentityHeader()}}
	imds := http.Header{"Metadata": {"true"}}
	query := func(apiVersion string, extra ...string) string {
		q := url.Values{"api-version": {apiVersion}, "resource": {svc.Audience()}}
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		return svc.ManagedIdentityEndpoint() + "?" + q.Encode()
	}
	tests := []struct {
		name       string
		target     string
		header     http.Header
		wantStatus int
		wantClient string
	}{
		{"app service system-assigned", query("2019-08-01"), appService, 200, svc.SystemAssignedClientID()},
		{"app service user-assigned", query("2019-08-01", "client_id", userAssigned), appService, 200, userAssigned},
		{"imds system-assigned", query("2018-02-01"), imds, 200, svc.SystemAssignedClientID()},
		{"imds user-assigned", query("2018-02-01", "client_id", userAssigned), imds, 200, userAssigned},
		{"app service wrong identity header", query("2019-08-01"), http.Header{"X-Identity-Header": {"guess"}}, 401, ""},
		{"app service wrong api-version", query("2017-09-01", "client_id", userAssigned), appService, 400, ""},
		{"imds without Metadata header", query("2018-02-01"), nil, 400, ""},
		{"unknown user-assigned identity", query("2019-08-01", "client_id", "88888888-8888-8888-8888-888888888888"), appService, 400, ""},
		{"resource id selection", query("2019-08-01", "mi_res_id", "/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z"), appService, 400, ""},
		{"another resource", query("2019-08-01", "resource", "https://contoso.crm.dynamics.com"), appService, 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body := getJSON(t, c, tc.target, tc.header)
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %v", status, tc.wantStatus, body)
			}
			if tc.wantStatus != 200 {
				for _, v := range body {
					if s, ok := v.(string); ok && strings.Contains(s, svc.IdentityHeader()) {
						t.Errorf("error answer reveals the identity header: %v", body)
					}
				}
				return
			}
			if body["token_type"] != "Bearer" || body["client_id"] != tc.wantClient {
				t.Errorf("answer %v: want Bearer for client %s", body, tc.wantClient)
			}
			if _, ok := body["expires_on"].(string); !ok {
				t.Errorf("expires_on %v is not a string of Unix seconds", body["expires_on"])
			}
			tok, _ := body["access_token"].(string)
			claims, err := svc.VerifyAccessToken(tok, svc.Audience())
			if err != nil {
				t.Fatalf("VerifyAccessToken: %v", err)
			}
			if claims.ClientID != tc.wantClient {
				t.Errorf("token appid %q, want %q", claims.ClientID, tc.wantClient)
			}
		})
	}
}

func TestWorkloadIdentityRequestEndpoints(t *testing.T) {
	t.Parallel()
	svc, c := startService(t, entra.Options{})
	const clientID = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
	svc.RegisterFederatedClient(clientID, svc.FederatedIssuer(), entra.GitHubActionsSubject)
	svc.RegisterFederatedClient(clientID, svc.FederatedIssuer(), entra.AzureDevOpsSubjectPrefix+"conn-1")

	exchange := func(t *testing.T, assertion string) tokenAnswer {
		return postToken(t, c, svc.TokenEndpoint(), url.Values{
			"grant_type": {"client_credentials"}, "client_id": {clientID}, "scope": {svc.Audience() + "/.default"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion},
		}, "", "")
	}

	t.Run("github actions", func(t *testing.T) {
		t.Parallel()
		requestURL, requestToken := svc.GitHubActionsRequest()
		if !strings.Contains(requestURL, "?") {
			t.Fatalf("request URL %q carries no query; clients append &audience=", requestURL)
		}
		status, body := getJSON(t, c, requestURL+"&audience="+url.QueryEscape(entra.TokenExchangeAudience), http.Header{"Authorization": {"bearer " + requestToken}})
		if status != 200 {
			t.Fatalf("status %d body %v", status, body)
		}
		tok, _ := body["value"].(string)
		if ans := exchange(t, tok); ans.status != 200 {
			t.Fatalf("exchange: status %d body %s", ans.status, ans.raw)
		}
		if status, _ := getJSON(t, c, requestURL, http.Header{"Authorization": {"bearer wrong"}}); status != http.StatusUnauthorized {
			t.Errorf("wrong request token: status %d, want 401", status)
		}
	})

	t.Run("azure devops", func(t *testing.T) {
		t.Parallel()
		requestURL, accessToken := svc.AzureDevOpsRequest()
		post := func(target, bearer string) (int, map[string]any) {
			req, _ := http.NewRequest(http.MethodPost, target, nil)
			req.Header.Set("Authorization", "Bearer "+bearer)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			return resp.StatusCode, body
		}
		status, body := post(requestURL+"?api-version=7.1&serviceConnectionId=conn-1", accessToken)
		if status != 200 {
			t.Fatalf("status %d body %v", status, body)
		}
		tok, _ := body["oidcToken"].(string)
		if ans := exchange(t, tok); ans.status != 200 {
			t.Fatalf("exchange: status %d body %s", ans.status, ans.raw)
		}
		status, body = post(requestURL+"?api-version=7.1&serviceConnectionId=conn-2", accessToken)
		if status != 200 {
			t.Fatalf("status %d body %v", status, body)
		}
		tok, _ = body["oidcToken"].(string)
		if ans := exchange(t, tok); ans.status != 400 || ans.aadsts() != 70021 {
			t.Errorf("a connection without a federated credential: status %d body %s, want 400 AADSTS70021", ans.status, ans.raw)
		}
		if status, _ := post(requestURL+"?api-version=7.1&serviceConnectionId=conn-1", "wrong"); status != http.StatusUnauthorized {
			t.Errorf("wrong system access token: status %d, want 401", status)
		}
		if status, _ := post(requestURL+"?api-version=7.1", accessToken); status != http.StatusBadRequest {
			t.Errorf("missing serviceConnectionId: status %d, want 400", status)
		}
	})
}

func TestVerifyAccessToken(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	svc, c := startService(t, entra.Options{Now: clock.Now, TokenLifetime: 30 * time.Minute})
	stranger, _ := startService(t, entra.Options{Audience: svc.Audience()})
	const clientID = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
	svc.RegisterSecretClient(clientID, "pw")
	stranger.RegisterSecretClient(clientID, "pw")

	issue := func(s *entra.Service) string {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {"pw"}, "scope": {s.Audience() + "/.default"}}
		ans := postToken(t, c, s.TokenEndpoint(), form, "", "")
		if ans.status != 200 {
			t.Fatalf("token: status %d body %s", ans.status, ans.raw)
		}
		tok, _ := ans.body["access_token"].(string)
		return tok
	}
	good := issue(svc)
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tamperedPayload := strings.Replace(string(payload), clientID, "cccccccc-cccc-cccc-cccc-cccccccccccc", 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(tamperedPayload)) + "." + parts[2]

	tests := []struct {
		name     string
		token    string
		audience string
		advance  time.Duration
		wantErr  error
	}{
		{name: "good", token: good, audience: svc.Audience()},
		{name: "good with trailing slash and other case", token: good, audience: strings.ToUpper(svc.Audience()) + "/"},
		{name: "wrong audience", token: good, audience: "https://contoso.crm.dynamics.com", wantErr: entra.ErrTokenAudience},
		{name: "tampered", token: tampered, wantErr: entra.ErrTokenSignature},
		{name: "signed by another service", token: issue(stranger), wantErr: entra.ErrTokenSignature},
		{name: "malformed", token: "abc.def", wantErr: entra.ErrTokenMalformed},
		{name: "expired", token: good, advance: 31 * time.Minute, wantErr: entra.ErrTokenExpired},
	}
	// Subtests run in order: the last one moves the shared clock.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock.Advance(tc.advance)
			claims, err := svc.VerifyAccessToken(tc.token, tc.audience)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("VerifyAccessToken: %v", err)
				}
				if claims.ClientID != clientID || claims.TenantID != svc.TenantID() || claims.Issuer != svc.Issuer() {
					t.Errorf("claims %+v", claims)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), tc.token) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestTokenRequestsCountedUnderConcurrency(t *testing.T) {
	t.Parallel()
	svc, c := startService(t, entra.Options{})
	svc.RegisterSecretClient("dddddddd-dddd-dddd-dddd-dddddddddddd", "pw")
	svc.RegisterManagedIdentity("")
	const workers, perWorker = 8, 5
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				if w%2 == 0 {
					form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"dddddddd-dddd-dddd-dddd-dddddddddddd"}, "client_secret": {"pw"}, "scope": {svc.Audience() + "/.default"}}
					req, _ := http.NewRequest(http.MethodPost, svc.TokenEndpoint(), strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					if resp, err := c.Do(req); err == nil {
						resp.Body.Close()
					}
				} else {
					req, _ := http.NewRequest(http.MethodGet, svc.ManagedIdentityEndpoint()+"?api-version=2019-08-01&resource="+url.QueryEscape(svc.Audience()), nil)
					req.Header.Set("X-IDENTITY-HEADER", svc.IdentityHeader())
					if resp, err := c.Do(req); err == nil {
						resp.Body.Close()
					}
				}
				// Discovery is not a token request and must not be counted.
				if resp, err := c.Get(svc.BaseURL() + "/" + svc.TenantID() + "/v2.0/.well-known/openid-configuration"); err == nil {
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	if got := svc.TokenRequests(); got != workers*perWorker {
		t.Fatalf("TokenRequests = %d, want %d", got, workers*perWorker)
	}
	svc.ResetCounters()
	if got := svc.TokenRequests(); got != 0 {
		t.Fatalf("TokenRequests after ResetCounters = %d, want 0", got)
	}
}
