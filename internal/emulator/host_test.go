package emulator

import (
	"net"
	"net/http"
	"testing"
)

// With Options.Host the environment URL, the server certificate and the token audience name
// the host instead of the listen address's IP.
func TestHostNamesTheEnvironment(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, Options{Host: "contoso.crm.example.test"})
	_, port, _ := net.SplitHostPort(e.listener.Addr().String())
	if want := "https://contoso.crm.example.test:" + port; e.URL() != want || e.AuthorityHost() != want {
		t.Fatalf("URL %q, authority host %q; want %q", e.URL(), e.AuthorityHost(), want)
	}
	if err := e.certs.server.Leaf.VerifyHostname("contoso.crm.example.test"); err != nil {
		t.Errorf("the server certificate does not name the host: %v", err)
	}
	// A token for the named URL is accepted.
	newClient(t, e).do("GET", "WhoAmI", nil).mustStatus(t, http.StatusOK)
}

// Certificates kept in a state directory that do not name the host are issued anew.
func TestHostReissuesKeptCertificates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := Start(Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	e := startEmulator(t, Options{StateDir: dir, Host: "contoso.crm.example.test"})
	if err := e.certs.server.Leaf.VerifyHostname("contoso.crm.example.test"); err != nil {
		t.Errorf("the kept certificate was reused though it does not name the host: %v", err)
	}
	newClient(t, e).do("GET", "WhoAmI", nil).mustStatus(t, http.StatusOK)
}
