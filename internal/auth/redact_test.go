package auth

import (
	"strings"
	"testing"
)

// A token service's long answer (a proxy's HTML error page) is cut to its start, which still
// says what went wrong, rather than withheld as if it held a secret.
func TestNewRedactedErrorKeepsTheStartOfALongAnswer(t *testing.T) {
	t.Parallel()
	page := "<html><body><h1>502 Bad Gateway</h1>" + strings.Repeat("<p>upstream connect error</p>", 700) + "</body></html>"
	msg := newRedactedError("client secret authentication failed: POST https://login.example/t/oauth2/v2.0/token answered 502: "+page,
		nil, "Zx8Q~s3cret+with/odd&chars='<>").Error()
	if !strings.Contains(msg, "answered 502: <html><body><h1>502 Bad Gateway</h1>") || strings.Contains(msg, "withheld") {
		t.Errorf("message %.300q… lost the start of the answer", msg)
	}
	if n := len([]rune(msg)); n > maxErrorMessage+1 {
		t.Errorf("message of %d characters, want at most %d", n, maxErrorMessage+1)
	}
}
