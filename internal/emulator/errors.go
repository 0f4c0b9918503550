package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error codes the emulator answers with. Where Microsoft documents a code for
// the situation it is used; the others are the generic codes Dataverse uses
// for the same class of failure.
const (
	codeObjectDoesNotExist   = "0x80040217" // documented: "<table> With Id = <id> Does Not Exist"
	codeDuplicateRecord      = "0x80040237" // documented: DuplicateRecord
	codeInvalidArgument      = "0x80040203" // InvalidArgument: rule violations without a dedicated code
	codeInvalidStateOnCreate = "0x80048408" // a create's status that does not fit the default state
	codePayload              = "0x80048d19" // documented: bad property or bind in a body
	codeQuerySyntax          = "0x80060888" // unknown property or bad syntax in the URL
	codeResourceNotFound     = "0x8006088a" // unknown entity set or path segment
	codeValueOutOfRange      = "0x8004431a" // choice value not in the option set
	codeStringTooLong        = "0x80044331" // string longer than the column allows
	codePrivilegeDenied      = "0x80040220"
	codeNotAMember           = "0x80072560" // caller has no user in the environment
	codeThrottleCount        = "0x80072322" // documented service protection codes
	codeThrottleConcurrency  = "0x80072326"
	codeWebhookStatus        = "0x80050201" // webhook answered a non-success status
	codeWebhookTimeout       = "0x80050202" // webhook did not answer in time
	codeWebhookHeaders       = "0x80050203" // HttpHeader settings could not be used
	codeWebhookQuery         = "0x80050204" // HttpQueryString settings could not be used
	codeWebhookSend          = "0x80050205" // any other delivery failure
	codeWebhookTooLarge      = "0x80050207" // context too large even after trimming; nothing sent
	codeUnexpectedServerSide = "0x80040216"
	// live: "Message property name 'Target' is not valid on message Create"
	codeInvalidMessageProperty = "0x8004416b"
	// live: an unknown table in an EntityName column of a $filter
	codeEntityNotInMetadata = "0x80041102"
	// documented: an unknown property in a query or a body
	codeUnknownProperty = "0x0"
	// SDK fault for a message and table closed to custom steps.
	codeCustomStepNotAllowed = "0x80044187"
)

// apiError is an error the Web API reports as {"error":{"code","message"}}.
type apiError struct {
	Status  int
	Code    string
	Message string
	// Header carries extra response headers (Retry-After on 429).
	Header http.Header
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func notFound(t *table, id string) *apiError {
	return newError(http.StatusNotFound, codeObjectDoesNotExist, "%s With Id = %s Does Not Exist", t.logical, id)
}

// unknownQueryProperty answers a key that names a property the table lacks with the words and
// the code Dataverse gives an unknown property in $select (web-api-error-bodies-real.md A.2:
// 0x0); what it answers for a key is not captured.
func unknownQueryProperty(t *table, name string) *apiError {
	return newError(http.StatusBadRequest, codeUnknownProperty,
		"Could not find a property named '%s' on type 'Microsoft.Dynamics.CRM.%s'.", name, t.logical)
}

// payloadError is the answer to a body OData cannot read. Dataverse names the
// entity set there, not the logical name (Microsoft's captured example).
func payloadError(t *table, format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, codePayload,
		"Error identified in Payload provided by the user for Entity :'%s'  ---->  InnerException : Microsoft.OData.ODataException: %s", t.set, fmt.Sprintf(format, args...))
}

// unknownBodyProperty is the answer to a body property the table does not
// have: code 0x0 (Microsoft's captured example).
func unknownBodyProperty(t *table, name string) *apiError {
	return newError(http.StatusBadRequest, codeUnknownProperty,
		"An error occurred while validating input parameters: Microsoft.Crm.CrmException: Invalid property '%s' was found in entity 'Microsoft.Dynamics.CRM.%s'. ---> Microsoft.OData.ODataException: Does not support untyped value in non-open type.", name, t.logical)
}

func invalidArgument(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, codeInvalidArgument, format, args...)
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	writeJSON(w, e.Status, map[string]any{"error": map[string]any{"code": e.Code, "message": e.Message}})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"` + codeUnexpectedServerSide + `","message":"response encoding failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
