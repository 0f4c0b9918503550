package auth

import (
	"net/http"
	"net/url"
	"testing"
)

// A proxy from HTTP_PROXY must not see the managed identity endpoints' answers, which are access
// tokens; the sign-in requests to Entra ID keep the proxy a network may require.
func TestDefaultTokenHTTPClientSkipsTheProxyForManagedIdentity(t *testing.T) {
	t.Parallel()
	transport, ok := defaultTokenHTTPClient(MethodManagedIdentity).Transport.(*http.Transport)
	if !ok || transport.Proxy != nil {
		t.Errorf("managed identity transport = %#v, want an *http.Transport without a proxy", defaultTokenHTTPClient(MethodManagedIdentity).Transport)
	}
	for _, m := range []Method{MethodClientSecret, MethodClientCertificate, MethodOIDC} {
		if c := defaultTokenHTTPClient(m); c.Transport != nil || c.Timeout <= 0 {
			t.Errorf("%s client = %+v, want the default transport (with its proxy) and a timeout", m, c)
		}
	}
}

// The sign-in requests may reach the authority's host, with or without https' own port, and for
// a Microsoft cloud any Microsoft cloud host and the regional hosts one label under them
// (MSAL_FORCE_REGION); nothing else.
func TestSignInClientAllowedHosts(t *testing.T) {
	t.Parallel()
	microsoft := signInClient{hosts: microsoftClouds, regional: true}
	private := signInClient{hosts: map[string]bool{}}
	for _, authority := range []string{"https://login.contoso.example", "https://127.0.0.1:8443", "https://[::1]:443"} {
		u, _ := url.Parse(authority)
		private.hosts[hostOnly(u)] = true
	}
	for _, tc := range []struct {
		client signInClient
		url    string
		want   bool
	}{
		{microsoft, "https://login.microsoftonline.com/t/oauth2/v2.0/token", true},
		{microsoft, "https://login.microsoftonline.us/t/oauth2/v2.0/token", true},
		{microsoft, "https://eastus.login.microsoft.com/t/oauth2/v2.0/token", true},
		{microsoft, "https://login.microsoftonline.com:443/t/oauth2/v2.0/token", true},
		{microsoft, "https://a.b.login.microsoft.com/t", false},
		{microsoft, "https://login.microsoftonline.com.evil.example/t", false},
		{microsoft, "https://evil.example/t", false},
		{private, "https://login.contoso.example:443/adfs/oauth2/token", true},
		{private, "https://127.0.0.1:8443/t/oauth2/v2.0/token", true},
		{private, "https://127.0.0.1:9443/t/oauth2/v2.0/token", false},
		{private, "https://eu.login.contoso.example/t", false},
		{private, "https://[::1]/t/oauth2/v2.0/token", true},
		{private, "https://[::1]:8443/t", false},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := tc.client.allowed(u); got != tc.want {
			t.Errorf("allowed(%s) = %v, want %v", tc.url, got, tc.want)
		}
	}
}
