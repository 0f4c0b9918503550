package odata

import (
	"errors"
	"strings"
	"testing"
)

// rowOf resolves paths against a flat map whose keys join path segments with
// '/', so {"sdkmessageid/name": "Update"} answers ["sdkmessageid","name"].
func rowOf(m map[string]any) Resolver {
	return func(path []string) (any, bool) {
		v, ok := m[strings.Join(path, "/")]
		return v, ok
	}
}

// mustParseFilter parses a filter the test takes to be valid.
func mustParseFilter(t *testing.T, expr string, aliases map[string]string) *Filter {
	t.Helper()
	f, err := ParseFilter(expr, aliases)
	if err != nil {
		t.Fatalf("ParseFilter(%q): %v", expr, err)
	}
	return f
}

// wantError checks that err is a 400 *Error with the Dataverse query code
// whose message contains every fragment.
func wantError(t *testing.T, err error, fragments ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error", err, err)
	}
	// An unknown property has its own code (0x0); every other query error the generic one.
	want := CodeInvalidQuery
	if strings.HasPrefix(e.Message, "Could not find a property named") {
		want = CodePropertyNotFound
	}
	if e.Status != 400 || e.Code != want {
		t.Errorf("error status/code = %d/%s, want 400/%s", e.Status, e.Code, want)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Message, f) {
			t.Errorf("error message %q does not contain %q", e.Message, f)
		}
	}
}
