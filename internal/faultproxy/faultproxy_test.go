package faultproxy

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
)

// host is a TLS server standing for Dataverse, counting what reaches it.
type host struct {
	srv     *httptest.Server
	reached atomic.Int64
}

func newHost(t *testing.T) *host {
	t.Helper()
	h := &host{}
	h.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.reached.Add(1)
		w.Header().Set("OData-Version", "4.0")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" host="+r.Host)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// through starts a proxy opening h with opts, and a client that reaches h through it and trusts
// only the proxy's certificate for h.
func through(t *testing.T, h *host, opts Options) (*Proxy, *http.Client) {
	t.Helper()
	ca, err := emulator.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	opts.Host = h.srv.Listener.Addr().String()
	if opts.TLS, err = ca.ServerTLSConfig(""); err != nil {
		t.Fatal(err)
	}
	opts.Upstream = h.srv.Client().Transport
	p, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM())
	proxyURL, _ := url.Parse(p.URL())
	client := &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyURL(proxyURL),
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
	}}
	t.Cleanup(client.CloseIdleConnections)
	return p, client
}

func send(t *testing.T, c *http.Client, method, rawURL string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, strings.NewReader(`{"name":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res, string(body), err
}

func TestProxy_passesRequestsOnUnchanged(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	p, c := through(t, h, Options{})
	res, body, err := send(t, c, http.MethodPost, h.srv.URL+"/api/data/v9.2/serviceendpoints?$select=name")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusCreated || res.Header.Get("OData-Version") != "4.0" {
		t.Errorf("answer %d, OData-Version %q; want the host's 201 and its headers", res.StatusCode, res.Header.Get("OData-Version"))
	}
	if want := "POST /api/data/v9.2/serviceendpoints?$select=name host=" + h.srv.Listener.Addr().String(); body != want {
		t.Errorf("the host saw %q, want %q", body, want)
	}
	if st := p.Stats(); st != (Stats{Requests: 1}) {
		t.Errorf("stats %+v, want one request passed", st)
	}
}

func TestProxy_faultsAndThrottlesWithoutReachingTheHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		opts      Options
		want      func(status int) bool
		wantStats Stats
	}{
		{"fault", Options{FaultRate: 1}, func(s int) bool { return s == 502 || s == 503 || s == 504 }, Stats{Requests: 1, Faults: 1}},
		{"throttle", Options{ThrottleRate: 1}, func(s int) bool { return s == http.StatusTooManyRequests }, Stats{Requests: 1, Throttled: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHost(t)
			p, c := through(t, h, tc.opts)
			res, body, err := send(t, c, http.MethodGet, h.srv.URL+"/api/data/v9.2/WhoAmI")
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(res.StatusCode) {
				t.Errorf("answer %d %q", res.StatusCode, body)
			}
			if tc.name == "throttle" && (res.Header.Get("Retry-After") != "1" || !strings.Contains(body, `"code":"0x80072322"`)) {
				t.Errorf("429 with Retry-After %q and body %q; want 1 and Dataverse's request-count code", res.Header.Get("Retry-After"), body)
			}
			if n := h.reached.Load(); n != 0 {
				t.Errorf("%d requests reached the host", n)
			}
			if st := p.Stats(); st != tc.wantStats {
				t.Errorf("stats %+v, want %+v", st, tc.wantStats)
			}
		})
	}
}

func TestProxy_dropsTheAnswerOfACommittedWrite(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	p, c := through(t, h, Options{DropAfterCommitRate: 1})
	if _, _, err := send(t, c, http.MethodPost, h.srv.URL+"/api/data/v9.2/serviceendpoints"); err == nil {
		t.Error("the write was answered; want its answer lost")
	}
	if n := h.reached.Load(); n != 1 {
		t.Errorf("the write reached the host %d times, want once: it must commit before its answer is lost", n)
	}
	// Reads are never dropped.
	if res, _, err := send(t, c, http.MethodGet, h.srv.URL+"/api/data/v9.2/serviceendpoints"); err != nil || res.StatusCode != http.StatusCreated {
		t.Errorf("a read after the drop: %v", err)
	}
	if st := p.Stats(); st != (Stats{Requests: 2, Dropped: 1}) {
		t.Errorf("stats %+v, want two requests, one dropped", st)
	}
}

// The token service, on the same host or another, is never faulted; another host is tunneled
// with its own certificate, unopened.
func TestProxy_leavesAllButTheWebAPIAlone(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	p, c := through(t, h, Options{FaultRate: 1, ThrottleRate: 1, DropAfterCommitRate: 1})
	res, _, err := send(t, c, http.MethodPost, h.srv.URL+"/tenant/oauth2/v2.0/token")
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("token request on the opened host: %v", err)
	}

	other := newHost(t)
	proxyURL, _ := url.Parse(p.URL())
	direct := other.srv.Client()
	direct.Transport.(*http.Transport).Proxy = http.ProxyURL(proxyURL) //nolint:forcetypeassert // httptest's own transport
	res, body, err := send(t, direct, http.MethodPost, other.srv.URL+"/api/data/v9.2/serviceendpoints")
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("a request to another host, tunneled: %v %q", err, body)
	}
	if n := other.reached.Load(); n != 1 {
		t.Errorf("the other host was reached %d times, want once", n)
	}
	if st := p.Stats(); st != (Stats{}) {
		t.Errorf("stats %+v, want nothing counted", st)
	}
}
