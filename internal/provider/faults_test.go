package provider

// The backend of scenarios that need Dataverse to misbehave: gateway faults, throttling and
// answers lost after a commit. The emulator does these itself; a live environment is reached
// through a fault proxy that opens its host's TLS.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/faultproxy"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

// faults is the misbehavior a scenario asks for.
type faults struct {
	// gateway is the share of Web API requests answered 502, 503 or 504.
	gateway float64
	// throttle asks for 429s: on the emulator through service protection limits tight enough to
	// throttle (throttleLimits), through the proxy as this share of requests.
	throttle float64
	// dropAfterCommit is the share of writes committed and then answered by a dropped connection.
	dropAfterCommit float64
	// oneInFlight throttles on the emulator by admitting one request in flight at a time, each
	// slowed so that parallel ones meet, instead of throttleLimits; the proxy throttles the
	// throttle share either way.
	oneInFlight bool
	seed        int64
}

// faultyBackend is a backend whose Web API misbehaves as asked, for the Terraform runs of the
// workspaces it makes; the test's own reads (client, user) reach Dataverse unharmed on a live
// environment, and go through the same faults on the emulator, whose client retries them.
type faultyBackend struct {
	backend
	proxy *faultproxy.Proxy // nil on the emulator
	env   []string          // what a workspace's Terraform needs to go through the proxy
	roots *x509.CertPool    // the proxy's CA and the system roots, for a provider in process
}

func newFaultyBackend(t *testing.T, f faults) *faultyBackend {
	t.Helper()
	if !liveEnvironment() {
		return &faultyBackend{backend: emulatorBackend(launchEmulator(t, func(o *emulator.Options) {
			o.FaultRate, o.DropAfterCommitRate, o.Seed = f.gateway, f.dropAfterCommit, f.seed
			switch {
			case f.oneInFlight:
				o.MaxConcurrent, o.Latency = 1, 50*time.Millisecond
			case f.throttle > 0:
				throttleLimits(false)(o)
			}
		}))}
	}
	b := newLiveBackend(t)
	env, err := url.Parse(os.Getenv("DATAVERSE_URL"))
	if err != nil || env.Hostname() == "" {
		t.Fatalf("DATAVERSE_URL %q names no host to put the fault proxy in front of", os.Getenv("DATAVERSE_URL"))
	}
	host := env.Host
	if env.Port() == "" {
		host = net.JoinHostPort(env.Hostname(), "443")
	}
	if ip := net.ParseIP(env.Hostname()); env.Hostname() == "localhost" || ip != nil && ip.IsLoopback() {
		t.Skipf("the fault proxy cannot stand in front of %s: Go never sends a loopback address through HTTPS_PROXY; "+
			"name the environment by a host name (the emulator's --host) instead", env.Host)
	}
	ca, err := emulator.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	tlsConfig, err := ca.ServerTLSConfig(env.Hostname())
	if err != nil {
		t.Fatal(err)
	}
	p, err := faultproxy.Start(faultproxy.Options{
		Host: host, TLS: tlsConfig,
		FaultRate: f.gateway, ThrottleRate: f.throttle, DropAfterCommitRate: f.dropAfterCommit, Seed: f.seed,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	rootsPEM := append(ca.CertPEM(), systemRoots(t)...)
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(roots, rootsPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(rootsPEM)
	return &faultyBackend{backend: b, proxy: p, roots: pool, env: []string{
		"HTTPS_PROXY=" + p.URL(), "https_proxy=" + p.URL(), "NO_PROXY=", "no_proxy=",
		// The provider trusts the proxy's certificate for the host, and the roots it trusted
		// before for every other host (the token service, tunneled untouched).
		"SSL_CERT_FILE=" + roots,
	}}
}

// systemRoots are the PEM certificates this process trusts by file: SSL_CERT_FILE's, else the
// first of the distributions' bundles that exists.
func systemRoots(t *testing.T) []byte {
	t.Helper()
	files := []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem"}
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	for _, f := range files {
		pem, err := os.ReadFile(f) //nolint:gosec // the machine's own certificate bundles
		if err == nil {
			return pem
		}
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("reading the trusted roots: %v", err)
		}
	}
	t.Fatalf("no bundle of trusted roots among %v: set SSL_CERT_FILE", files)
	return nil
}

// workspace is a Terraform workspace whose runs meet the faults.
func (b *faultyBackend) workspace(t *testing.T) *tfcli.Workspace {
	t.Helper()
	ws := newWorkspace(t)
	ws.Env = append(ws.Env, b.env...)
	return ws
}

// transport is what a provider served in process sends through to meet the faults: the proxy
// on a live environment, nil (the provider's own) on the emulator, which misbehaves itself.
func (b *faultyBackend) transport(t *testing.T) http.RoundTripper {
	t.Helper()
	if b.proxy == nil {
		return nil
	}
	proxyURL, err := url.Parse(b.proxy.URL())
	if err != nil {
		t.Fatal(err)
	}
	rt, ok := defaultTransport().(*http.Transport)
	if !ok {
		t.Fatal("the provider's transport is not an *http.Transport")
	}
	rt.Proxy = http.ProxyURL(proxyURL)
	rt.TLSClientConfig = &tls.Config{RootCAs: b.roots, MinVersion: tls.VersionTLS12}
	return rt
}

// faultStats are the faults served so far.
func (b *faultyBackend) faultStats() faultproxy.Stats {
	if b.proxy != nil {
		return b.proxy.Stats()
	}
	st := b.emulator().Stats()
	return faultproxy.Stats{Requests: st.Requests.Total, Faults: st.Faults, Throttled: st.Throttled, Dropped: st.Dropped}
}
