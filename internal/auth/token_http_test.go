package auth

import (
	"net/http"
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
