package auth

import (
	"context"
	"errors"
	"regexp"
	"strings"
)

var (
	// A JWT: three base64url parts, the first a JSON object ("eyJ" is "{\"").
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
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
}

func (e *redactedError) Error() string { return e.message }
func (e *redactedError) Unwrap() error { return e.context }

// newRedactedError builds an error from a message made with cause, redacted
// of the secrets and anything token-like.
func newRedactedError(message string, cause error, secrets ...string) error {
	e := &redactedError{message: Redact(message, secrets...)}
	switch {
	case errors.Is(cause, context.Canceled):
		e.context = context.Canceled
	case errors.Is(cause, context.DeadlineExceeded):
		e.context = context.DeadlineExceeded
	}
	return e
}
