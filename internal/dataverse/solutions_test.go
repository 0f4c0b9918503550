package dataverse

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

func TestSolutionNamed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		var rows []any
		if r.URL.Query().Get("$filter") == "uniquename eq 'contoso_integrations'" {
			rows = append(rows, map[string]any{"solutionid": "6e1b9a44-0c2d-4f8e-9b1a-2c3d4e5f6a7b", "uniquename": "contoso_integrations", "ismanaged": true})
		}
		writeJSON(w, http.StatusOK, map[string]any{"value": rows})
	})
	s, err := h.client.SolutionNamed(context.Background(), "contoso_integrations")
	if err != nil || s.UniqueName != "contoso_integrations" || !s.IsManaged || s.ID != "6e1b9a44-0c2d-4f8e-9b1a-2c3d4e5f6a7b" {
		t.Errorf("SolutionNamed = %+v, %v", s, err)
	}
	if got := h.reqs[0].Query.Get("$select"); got != "solutionid,uniquename,ismanaged" {
		t.Errorf("$select = %q", got)
	}
	if _, err := h.client.SolutionNamed(context.Background(), "no_such"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown solution: %v, want ErrNotFound", err)
	}
}
