package dataverse

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// Dataverse error codes the client acts on.
const (
	codeDuplicateRecord = "0x80040237"
	codeObjectNotFound  = "0x80040217"
)

var (
	// ErrNotFound matches (errors.Is) any error for a row or catalog entry that does not exist:
	// an *Error with code 0x80040217, or a 404 whose Dataverse error has no code and says the
	// row does not exist. Other 404s (an unknown entity set, a wrong path, a front end's page)
	// do not match: taking one for a deleted row would drop a resource from state.
	ErrNotFound = errors.New("dataverse: not found")
	// ErrNotWebhook is returned by GetWebhook when the serviceendpoint exists but is not a
	// webhook (its contract is not 8).
	ErrNotWebhook = errors.New("dataverse: the service endpoint is not a webhook")
	// ErrDuplicateRecord matches (errors.Is) an *Error with code 0x80040237, or a 412 without a
	// code saying so: a row with the same primary key already exists.
	ErrDuplicateRecord = errors.New("dataverse: duplicate record")
)

// Error is a non-success answer from the Web API. Message is the server's message with any
// secret the request carried removed; no request or response body or header is ever kept.
type Error struct {
	StatusCode int
	Code       string // Dataverse code such as 0x80040217; often empty
	Message    string
	Method     string
	Path       string // URL path without the query string
	// rowMissing is set for a 404 whose Dataverse error has no code and whose message says the
	// row does not exist, as Dataverse answers a PATCH with If-Match: * on a missing row; it
	// is decided before a message that echoes a secret is withheld.
	rowMissing bool
	// keyTaken is set for a 412 whose Dataverse error has no code and whose message says a row
	// with the key exists, as Dataverse answers a write with If-None-Match: * of an existing row.
	keyTaken bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dataverse: %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteString(" " + text)
	}
	if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) true for answers about a missing row (see ErrNotFound)
// and errors.Is(err, ErrDuplicateRecord) true for DuplicateRecord answers.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return strings.EqualFold(e.Code, codeObjectNotFound) || e.rowMissing
	case ErrDuplicateRecord:
		return strings.EqualFold(e.Code, codeDuplicateRecord) || e.keyTaken
	}
	return false
}

// AuthValueError reports an auth value that cannot be encoded or decoded. It names the setting,
// never its value.
type AuthValueError struct {
	Key    string // the setting name; empty for a WebhookKey or for the value as a whole
	Reason string
}

func (e *AuthValueError) Error() string {
	if e.Key == "" {
		return "dataverse: invalid auth value: " + e.Reason
	}
	return fmt.Sprintf("dataverse: invalid auth value setting %q: %s", e.Key, e.Reason)
}

// duplicateKeyMessage is Dataverse's message for a write that meets an existing row's key, with
// code 0x80040237 on a create and none on a conditional write (web-api-error-bodies-real.md).
const duplicateKeyMessage = "A record with matching key values already exists."

// maxErrorText bounds how much of an unstructured error body is kept.
const maxErrorText = 300

// odataErrorBody is the Web API error envelope.
type odataErrorBody struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// newResponseError builds the *Error for a non-success response. The server's text is shown
// only when it holds no piece of a secret the request carried, in any encoding: Dataverse
// messages sometimes echo submitted values, and a hostile server can echo them in forms no mask
// list foresees. A withheld message keeps the Dataverse error code, which is what support needs.
func newResponseError(method, path string, status int, body []byte, secrets []string) *Error {
	e := &Error{StatusCode: status, Method: method, Path: path}
	var env odataErrorBody
	var message string
	if len(body) <= maxParsedErrorBody && json.Unmarshal(body, &env) == nil && env.Error != nil {
		e.Code = truncate(untrusted.PlainText(env.Error.Code), 64)
		message = env.Error.Message
		e.rowMissing = status == http.StatusNotFound && (e.Code == "" || e.Code == "0x0") &&
			strings.HasSuffix(strings.ToLower(strings.TrimSpace(message)), "does not exist")
		e.keyTaken = status == http.StatusPreconditionFailed && e.Code == "" &&
			strings.EqualFold(strings.TrimSpace(message), duplicateKeyMessage)
	} else {
		message = string(body[:min(len(body), maxParsedErrorBody)])
	}
	if untrusted.EchoesSecret(e.Code, secrets) {
		e.Code = ""
	}
	e.Message = truncate(untrusted.PlainText(message), maxErrorText)
	if untrusted.EchoesSecret(e.Message, secrets) {
		e.Message = withheldMessage
	}
	return e
}

// maxParsedErrorBody bounds the error body decoded for its code and message; real error
// envelopes are a few hundred bytes.
const maxParsedErrorBody = 64 << 10

func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit]) + "…"
}

const withheldMessage = "(message withheld: it held part of a secret the request carried)"
