package dataverse

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// A solution is read once per client whatever the case of its name, and so is the answer that
// none has the name; a failed read is not kept.
func TestSolutionNamed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		if n == 1 {
			writeError(w, http.StatusForbidden, "0x80040220", "The user is missing privilege prvReadSolution.")
			return
		}
		var rows []any
		if strings.EqualFold(r.URL.Query().Get("$filter"), "uniquename eq 'contoso_integrations'") { // as Dataverse compares
			rows = append(rows, map[string]any{"solutionid": "6e1b9a44-0c2d-4f8e-9b1a-2c3d4e5f6a7b", "uniquename": "contoso_integrations", "ismanaged": true})
		}
		writeJSON(w, http.StatusOK, map[string]any{"value": rows})
	})
	ctx := context.Background()
	if _, err := h.client.SolutionNamed(ctx, "contoso_integrations"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused read: %v, want the refusal", err)
	}
	for _, name := range []string{"contoso_integrations", "CONTOSO_Integrations"} {
		s, err := h.client.SolutionNamed(ctx, name)
		if err != nil || s.UniqueName != "contoso_integrations" || !s.IsManaged || s.ID != "6e1b9a44-0c2d-4f8e-9b1a-2c3d4e5f6a7b" {
			t.Errorf("SolutionNamed(%q) = %+v, %v", name, s, err)
		}
	}
	if got := h.reqs[1].Query.Get("$select"); got != "solutionid,uniquename,ismanaged" {
		t.Errorf("$select = %q", got)
	}
	h.wantRequests(t, 2, "the refused read is made again, and the answer then kept whatever the case")
	for range 2 {
		if _, err := h.client.SolutionNamed(ctx, "no_such"); !errors.Is(err, ErrNotFound) {
			t.Errorf("an unknown solution: %v, want ErrNotFound", err)
		}
	}
	h.wantRequests(t, 3, "that no solution has a name is kept like an answer")
}
