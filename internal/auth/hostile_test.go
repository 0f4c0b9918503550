package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/entra"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// hostileTokenService is the emulator's token service with its token endpoint answered by
// answer whenever answer returns true.
func hostileTokenService(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int) bool) *emulator {
	t.Helper()
	var tokenRequests atomic.Int32
	return hostileAuthority(t, func(w http.ResponseWriter, r *http.Request) bool {
		return strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") && answer(w, r, int(tokenRequests.Add(1)))
	})
}

// hostileAuthority is an emulated authority in front of which answer sees every request; it
// answers those for which it returns true, and the emulator the rest.
func hostileAuthority(t *testing.T, answer func(w http.ResponseWriter, r *http.Request) bool) *emulator {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	svc, err := entra.New(entra.Options{BaseURL: "https://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	e := &emulator{svc: svc}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		if answer(w, r) {
			return
		}
		svc.Handler().ServeHTTP(w, r)
	})
	srv.StartTLS()
	t.Cleanup(srv.Close)
	e.client = srv.Client()
	return e
}

const hostileClientID, hostileSecret = "11111111-0000-0000-0000-0000000000ee", "Zx8Q~s3cret+with/odd&chars='<>"

func TestTokenRequestsFollowNoRedirect(t *testing.T) {
	t.Parallel()
	var stolen atomic.Int32
	thief := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
	}))
	t.Cleanup(thief.Close)
	e := hostileTokenService(t, func(w http.ResponseWriter, r *http.Request, _ int) bool {
		w.Header().Set("Location", thief.URL+"/steal?capture=query-part")
		w.WriteHeader(http.StatusTemporaryRedirect)
		return true
	})
	e.svc.RegisterSecretClient(hostileClientID, hostileSecret)
	cfg := e.config(hostileClientID)
	cfg.ClientSecret = hostileSecret
	ts := newSource(t, cfg, auth.MethodClientSecret)
	_, err := ts.Token(context.Background(), false)
	if err == nil {
		t.Fatal("a redirected token request succeeded")
	}
	if n := stolen.Load(); n != 0 {
		t.Errorf("the redirect target received %d requests", n)
	}
	msg := err.Error()
	if !strings.Contains(msg, "307") || !strings.Contains(msg, strings.TrimPrefix(thief.URL, "https://")) {
		t.Errorf("error %q does not name the status and the target host", msg)
	}
	if strings.Contains(msg, "capture") {
		t.Errorf("error %q names the redirect's query", msg)
	}
}

func TestOIDCRequestFollowsNoRedirect(t *testing.T) {
	t.Parallel()
	var stolen atomic.Int32
	thief := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
	t.Cleanup(thief.Close)
	pipeline := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+"/steal", http.StatusPermanentRedirect)
	}))
	t.Cleanup(pipeline.Close)
	e := startEmulator(t)
	cfg := e.config(hostileClientID)
	cfg.UseOIDC = true
	cfg.OIDCRequestURL = pipeline.URL + "/token?x=1"
	cfg.OIDCRequestToken = "pipeline-request-token-secret"
	cfg.HTTPClient = pipeline.Client()
	ts := newSource(t, cfg, auth.MethodOIDC)
	_, err := ts.Token(context.Background(), false)
	if err == nil || !strings.Contains(err.Error(), "308") {
		t.Fatalf("err = %v, want a refused 308", err)
	}
	if n := stolen.Load(); n != 0 {
		t.Errorf("the redirect target received %d requests", n)
	}
}

func TestTokenEndpointUnavailableOnceIsRetried(t *testing.T) {
	t.Parallel()
	e := hostileTokenService(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n > 1 {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":"temporarily_unavailable","error_description":"AADSTS50196: busy"}`))
		return true
	})
	e.svc.RegisterSecretClient(hostileClientID, hostileSecret)
	cfg := e.config(hostileClientID)
	cfg.ClientSecret = hostileSecret
	e.mustToken(t, newSource(t, cfg, auth.MethodClientSecret), false)
}

func TestTokenEndpointFailingForGoodSaysWhyItStopped(t *testing.T) {
	t.Parallel()
	e := hostileTokenService(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	e.svc.RegisterSecretClient(hostileClientID, hostileSecret)
	cfg := e.config(hostileClientID)
	cfg.ClientSecret = hostileSecret
	_, err := newSource(t, cfg, auth.MethodClientSecret).Token(context.Background(), false)
	if err == nil || !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Fatalf("err = %v, want the attempts named", err)
	}
}

func TestEchoedClientSecretIsWithheldInAnyEncoding(t *testing.T) {
	t.Parallel()
	echoes := map[string]func(string) string{
		"raw":         func(s string) string { return s },
		"URL-encoded": url.QueryEscape,
		"JSON-escaped": func(s string) string {
			b, _ := json.Marshal(s)
			return strings.Trim(strings.ReplaceAll(string(b), "&", `\u0026`), `"`)
		},
		"XML entities": func(s string) string {
			var b strings.Builder
			for _, r := range s {
				fmt.Fprintf(&b, "&#%d;", r)
			}
			return b.String()
		},
		"prefix": func(s string) string { return s[:8] },
	}
	for name, encode := range echoes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := hostileTokenService(t, func(w http.ResponseWriter, r *http.Request, _ int) bool {
				_ = r.ParseForm()
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				desc := "AADSTS7000215: Invalid client secret provided: " + encode(r.PostForm.Get("client_secret"))
				_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": desc})
				return true
			})
			e.svc.RegisterSecretClient(hostileClientID, hostileSecret)
			cfg := e.config(hostileClientID)
			cfg.ClientSecret = hostileSecret
			_, err := newSource(t, cfg, auth.MethodClientSecret).Token(context.Background(), false)
			if err == nil {
				t.Fatal("no error")
			}
			if untrusted.EchoesSecret(err.Error(), []string{hostileSecret}) {
				t.Errorf("error holds part of the client secret: %q", err)
			}
			if !strings.Contains(err.Error(), "client secret authentication failed") {
				t.Errorf("error %q lost its own words", err)
			}
		})
	}
}

func TestEnvironmentURLPasswordIsNeverEchoed(t *testing.T) {
	t.Parallel()
	_, err := auth.ChooseMethod(auth.Config{EnvironmentURL: "http://admin:hunter2-pass@contoso.crm.dynamics.com/?sig=abc", TenantID: "t", ClientID: "c", ClientSecret: "s"})
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "sig=") {
		t.Errorf("error %q echoes the URL's password or query", err)
	}
}

// MSAL posts the credential to the token endpoint that the authority's discovery document
// names; a document naming an http or foreign endpoint must not receive the client secret.
func TestTokenEndpointOffTheAuthorityHostIsRefused(t *testing.T) {
	t.Parallel()
	var stolen atomic.Int32
	thief := func(w http.ResponseWriter, r *http.Request) { stolen.Add(1); w.WriteHeader(http.StatusBadRequest) }
	plainThief := httptest.NewServer(http.HandlerFunc(thief))
	t.Cleanup(plainThief.Close)
	tlsThief := httptest.NewTLSServer(http.HandlerFunc(thief))
	t.Cleanup(tlsThief.Close)
	for name, endpoint := range map[string]func(authority string) string{
		"http on another port":  func(string) string { return plainThief.URL + "/t/oauth2/v2.0/token" },
		"https on another host": func(string) string { return tlsThief.URL + "/t/oauth2/v2.0/token" },
		"http on the authority host": func(authority string) string {
			return "http://" + strings.TrimPrefix(authority, "https://") + "/t/oauth2/v2.0/token"
		},
	} {
		t.Run(name, func(t *testing.T) { // in turn: the count of stolen requests is checked after them
			srv := httptest.NewUnstartedServer(nil)
			svc, err := entra.New(entra.Options{BaseURL: "https://" + srv.Listener.Addr().String()})
			if err != nil {
				t.Fatal(err)
			}
			srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasSuffix(r.URL.Path, "/openid-configuration") {
					svc.Handler().ServeHTTP(w, r)
					return
				}
				rec := httptest.NewRecorder()
				svc.Handler().ServeHTTP(rec, r)
				var doc map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
					t.Errorf("discovery document: %v", err)
				}
				doc["token_endpoint"] = endpoint(svc.BaseURL())
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(doc)
			})
			srv.StartTLS()
			t.Cleanup(srv.Close)
			svc.RegisterSecretClient(hostileClientID, hostileSecret)
			cfg := auth.Config{
				EnvironmentURL: svc.Audience(), TenantID: svc.TenantID(), ClientID: hostileClientID,
				AuthorityHost: svc.BaseURL(), HTTPClient: srv.Client(), ClientSecret: hostileSecret,
			}
			_, err = newSource(t, cfg, auth.MethodClientSecret).Token(context.Background(), false)
			if err == nil || !strings.Contains(err.Error(), "refused to send a sign-in request") {
				t.Errorf("err = %v, want the request refused", err)
			}
			if err != nil && untrusted.EchoesSecret(err.Error(), []string{hostileSecret}) {
				t.Errorf("error holds part of the client secret: %q", err)
			}
		})
	}
	if n := stolen.Load(); n != 0 {
		t.Errorf("the foreign endpoints received %d requests", n)
	}
}

// A federated token read from a file or fetched from the pipeline is as secret as a configured
// one: while it is valid, its payload and signature sign in as the workload (the header is
// public), so a token service echoing any part of it must have that withheld.
func TestEchoedAssertionIsWithheld(t *testing.T) {
	t.Parallel()
	const header = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9"
	const payload = "eyJzdWIiOiJyZXBvOmNvbnRvc28vaW5mcmE6cmVmOnJlZnMvaGVhZHMvbWFpbiJ9"
	const signature = "c2lnbmF0dXJlLW9mLXRoZS1waXBlbGluZS10b2tlbi0wMTIzNDU2Nzg5"
	const assertion = header + "." + payload + "." + signature
	echoes := map[string]func(string) string{
		"whole":                 func(a string) string { return a },
		"payload and signature": func(a string) string { return a[strings.Index(a, ".")+1:] },
		"signature":             func(a string) string { return a[strings.LastIndex(a, ".")+1:] },
		"dots as spaces":        func(a string) string { return strings.ReplaceAll(a, ".", " ") },
	}
	sources := map[string]func(t *testing.T, cfg *auth.Config){
		"token file": func(t *testing.T, cfg *auth.Config) {
			file := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(file, []byte(assertion+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg.OIDCTokenFilePath = file
		},
		"GitHub Actions": func(t *testing.T, cfg *auth.Config) {
			// httptest's TLS servers share one certificate, which the token service's client trusts.
			pipeline := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = json.NewEncoder(w).Encode(map[string]string{"value": assertion})
			}))
			t.Cleanup(pipeline.Close)
			cfg.OIDCRequestURL = pipeline.URL + "/idtoken?api-version=2.0"
			cfg.OIDCRequestToken = "pipeline-request-token"
		},
	}
	for sourceName, source := range sources {
		for echoName, echo := range echoes {
			t.Run(sourceName+"/"+echoName, func(t *testing.T) {
				t.Parallel()
				e := hostileTokenService(t, func(w http.ResponseWriter, r *http.Request, _ int) bool {
					_ = r.ParseForm()
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client",
						"error_description": "AADSTS700213: No matching federated identity record found for presented assertion " + echo(r.PostForm.Get("client_assertion"))})
					return true
				})
				cfg := e.config(hostileClientID)
				cfg.UseOIDC = true
				source(t, &cfg)
				_, err := newSource(t, cfg, auth.MethodOIDC).Token(context.Background(), false)
				if err == nil {
					t.Fatal("no error")
				}
				if untrusted.EchoesSecret(err.Error(), []string{payload, signature}) {
					t.Errorf("error holds part of the assertion: %q", err)
				}
				if !strings.Contains(err.Error(), "authentication failed") {
					t.Errorf("error %q lost its own words", err)
				}
			})
		}
	}
}

// MSAL sends App Service's IDENTITY_HEADER to the identity endpoint; an endpoint echoing it
// must not put it into the error. Not parallel: it sets the environment MSAL reads.
func TestEchoedIdentityHeaderIsWithheld(t *testing.T) {
	const identityHeader = "5b0c3e7a-9f14-4d2b-b8e6-0a71c9d3e452"
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request",
			"error_description": "X-IDENTITY-HEADER " + r.Header.Get("X-Identity-Header") + " is not valid"})
	}))
	t.Cleanup(endpoint.Close)
	t.Setenv("IDENTITY_ENDPOINT", endpoint.URL+"/msi/token")
	t.Setenv("IDENTITY_HEADER", identityHeader)
	ts, _, err := auth.NewTokenSource(auth.Config{EnvironmentURL: "https://contoso.crm.dynamics.com", UseMSI: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.Token(context.Background(), false)
	if err == nil {
		t.Fatal("no error")
	}
	if untrusted.EchoesSecret(err.Error(), []string{identityHeader}) {
		t.Errorf("error holds part of IDENTITY_HEADER: %q", err)
	}
	if !strings.Contains(err.Error(), "managed identity authentication failed") {
		t.Errorf("error %q lost its own words", err)
	}
}

// Text a token endpoint or a pipeline's ID token endpoint answers with reaches sign-in errors as
// plain text: terminal escapes and other control characters are dropped, so a hostile endpoint
// cannot clear the screen, forge a link or print a fake success.
// signInWithTheSecret registers the hostile client with e and signs in with its secret.
func signInWithTheSecret(t *testing.T, e *emulator) error {
	t.Helper()
	e.svc.RegisterSecretClient(hostileClientID, hostileSecret)
	cfg := e.config(hostileClientID)
	cfg.ClientSecret = hostileSecret
	_, err := newSource(t, cfg, auth.MethodClientSecret).Token(context.Background(), false)
	return err
}

func TestServerTextInSignInErrorsIsPlain(t *testing.T) {
	t.Parallel()
	const forged = "\x1b[2J\x1b[32mSigned in OK\x1b]8;;https://evil.example\x07here\x1b]8;;\x07\u202e"
	clean := func(t *testing.T, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		if strings.ContainsAny(err.Error(), "\x1b\x07\u202e\u009b") {
			t.Errorf("error carries control characters: %q", err)
		}
		if !strings.Contains(err.Error(), "Signed in OK") {
			t.Errorf("error %q lost the server's words themselves", err)
		}
	}
	for name, answer := range map[string]map[string]string{
		"token endpoint":              {"error": "invalid_client", "error_description": "AADSTS7000215: " + forged},
		"token endpoint's error code": {"error": "invalid_client" + forged, "error_description": "AADSTS7000215"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := hostileTokenService(t, func(w http.ResponseWriter, r *http.Request, _ int) bool {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_ = json.NewEncoder(w).Encode(answer)
				return true
			})
			clean(t, signInWithTheSecret(t, e))
		})
	}
	// The token endpoint's path comes from the authority's discovery document.
	t.Run("discovered token endpoint", func(t *testing.T) {
		t.Parallel()
		const hostilePath = "/oauth2/v2.0/%1B%5B2J%E2%80%AESigned%20in%20OK"
		var e *emulator
		e = hostileAuthority(t, func(w http.ResponseWriter, r *http.Request) bool {
			switch {
			case strings.HasSuffix(r.URL.Path, "/openid-configuration"):
				rec := httptest.NewRecorder()
				e.svc.Handler().ServeHTTP(rec, r)
				var doc map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
					t.Errorf("discovery document: %v", err)
				}
				tokenEndpoint, _ := doc["token_endpoint"].(string)
				doc["token_endpoint"] = strings.Replace(tokenEndpoint, "/oauth2/v2.0/token", hostilePath, 1)
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(doc)
			case r.Method == http.MethodPost && strings.Contains(r.URL.Path, "Signed in OK"):
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "AADSTS900144"})
			default:
				return false
			}
			return true
		})
		clean(t, signInWithTheSecret(t, e))
	})
	t.Run("pipeline ID token endpoint", func(t *testing.T) {
		t.Parallel()
		pipeline := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Header values cannot carry ESC, but may carry C1 controls and overrides.
			w.Header().Set("X-Vss-E2eid", "Signed in OK\u202e\u009b2J")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, forged)
		}))
		t.Cleanup(pipeline.Close)
		e := startEmulator(t)
		cfg := e.config(hostileClientID)
		cfg.UseOIDC = true
		cfg.OIDCRequestURL = pipeline.URL + "/token?x=1"
		cfg.OIDCRequestToken = "pipeline-request-token-secret"
		cfg.HTTPClient = pipeline.Client()
		_, err := newSource(t, cfg, auth.MethodOIDC).Token(context.Background(), false)
		clean(t, err)
	})
}
