package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	srv := httptest.NewUnstartedServer(nil)
	svc, err := entra.New(entra.Options{BaseURL: "https://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	e := &emulator{svc: svc}
	var tokenRequests atomic.Int32
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
			if answer(w, r, int(tokenRequests.Add(1))) {
				return
			}
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
