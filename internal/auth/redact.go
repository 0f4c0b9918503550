package auth

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

var (
	// A JWT: base64url parts, the first a JSON object ("eyJ" is "{\""); also its payload and
	// signature without the header, which anyone can rebuild.
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?`)
	// A bearer or basic credential in an Authorization header or message.
	authorizationPattern = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}`)
	// JSON fields that hold tokens or secrets.
	secretFieldPattern = regexp.MustCompile(`(?i)("(?:access_?token|refresh_?token|id_?token|oidc_?token|client_secret|client_assertion|assertion|password|secret)"\s*:\s*")[^"]*(")`)
	// Form or query parameters that hold tokens or secrets.
	secretParamPattern = regexp.MustCompile(`(?i)\b(client_secret|client_assertion|access_token|refresh_token|password)=[^&\s"]+`)
)

const redacted = "[REDACTED]"

// Redact removes from s every occurrence of the given secrets and anything
// that looks like a token: JWTs, bearer credentials, and secret-bearing JSON
// fields or form parameters. It is applied to every error message this
// package builds from text it does not control.
func Redact(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret = strings.TrimSpace(secret); secret != "" {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	s = jwtPattern.ReplaceAllString(s, redacted)
	s = authorizationPattern.ReplaceAllString(s, "${1}${2}"+redacted)
	s = secretFieldPattern.ReplaceAllString(s, "${1}"+redacted+"${2}")
	s = secretParamPattern.ReplaceAllString(s, "${1}="+redacted)
	return s
}

// redactedError carries a message already stripped of secrets. It unwraps to
// a context error only, so callers can test for cancellation without
// reaching the original error, whose text may hold what was removed.
type redactedError struct {
	message string
	context error
	// transient marks a failure that a later attempt may not meet (a 503 from
	// the token endpoint, a reset connection).
	transient bool
}

func (e *redactedError) Error() string { return e.message }
func (e *redactedError) Unwrap() error { return e.context }

// withheldDetail replaces the part of a message that came from a server and
// held a piece of a secret.
const withheldDetail = "(the rest of the answer is withheld: it held part of a secret)"

// maxErrorMessage bounds, in characters, the message of an error built by newRedactedError.
const maxErrorMessage = 2000

// newRedactedError builds an error from a message made with cause, redacted
// of the secrets and anything token-like. When what is left still holds any
// piece of a secret in some encoding (a token service echoing the client
// secret URL-encoded, say), only the message's own opening clause is kept:
// the text after it is the server's.
func newRedactedError(message string, cause error, secrets ...string) *redactedError {
	message = Redact(message, secrets...)
	// A token service's answer can be a megabyte page; a few lines of it say what went wrong.
	if r := []rune(message); len(r) > maxErrorMessage {
		message = string(r[:maxErrorMessage]) + "…"
	}
	if untrusted.EchoesSecret(message, secrets) {
		head, _, _ := strings.Cut(message, ": ")
		message = head + ": " + withheldDetail
		if untrusted.EchoesSecret(head, secrets) {
			message = "authentication failed " + withheldDetail
		}
	}
	e := &redactedError{message: message}
	switch {
	case errors.Is(cause, context.Canceled):
		e.context = context.Canceled
	case errors.Is(cause, context.DeadlineExceeded):
		e.context = context.DeadlineExceeded
	}
	return e
}
