package odata

import (
	"fmt"
	"strings"
)

// Codes as Dataverse returns them in {"error":{"code":…}}.
const (
	// CodeInvalidQuery is what Dataverse answers for a query option it cannot
	// parse, an unknown property, an unsupported option or mismatched types.
	CodeInvalidQuery = "0x80060888"
	// CodeUnexpected is Dataverse's generic unexpected-error code; the engine
	// uses it when a row holds a value of a Go type it cannot compare, which
	// is a fault of the emulator, not of the request.
	CodeUnexpected = "0x80040216"
	// CodePropertyNotFound is the code of an unknown property in a query.
	CodePropertyNotFound = "0x0"
)

// Error is a failure shaped like a Dataverse Web API error body.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (HTTP %d, code %s)", e.Message, e.Status, e.Code)
}

func badQuery(format string, args ...any) *Error {
	return &Error{Status: 400, Code: CodeInvalidQuery, Message: fmt.Sprintf(format, args...)}
}

// PropertyNotFound is the error Dataverse gives for a property that does not
// exist. entity is the table's logical name; when empty the type is left out
// of the message. A navigation path is named whole, segments joined by '/'.
//
// Dataverse answers it with code 0x0 (Microsoft's captured example for an
// unknown $select column), unlike other query errors.
func PropertyNotFound(entity string, path []string) *Error {
	name := strings.Join(path, "/")
	e := badQuery("Could not find a property named '%s' on type 'Microsoft.Dynamics.CRM.%s'.", name, entity)
	if entity == "" {
		e = badQuery("Could not find a property named '%s'.", name)
	}
	e.Code = CodePropertyNotFound
	return e
}

func syntaxError(src string, pos int) *Error {
	return badQuery("Syntax error at position %d in '%s'.", pos, src)
}

func expressionExpected(src string, pos int) *Error {
	return badQuery("Expression expected at position %d in '%s'.", pos, src)
}
