package dataverse

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestResolveUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
		if strings.EqualFold(r.URL.Path, "/api/data/v9.2/systemusers("+userID+")") {
			writeJSON(w, http.StatusOK, map[string]any{"systemuserid": userID, "fullname": "Integration"})
			return
		}
		// As Dataverse answers a read of a missing row (web-api-error-bodies-real.md).
		writeError(w, http.StatusNotFound, "0x80040217", "systemuser With Id = "+stepID+" Does Not Exist")
	})
	got, err := h.client.ResolveUser(context.Background(), userID)
	if err != nil || *got != (User{ID: userID, FullName: "Integration"}) {
		t.Errorf("ResolveUser = %+v, %v", got, err)
	}
	checkRequest(t, h.requests()[0], want{Method: http.MethodGet, Path: "systemusers(" + userID + ")",
		Query: map[string]string{"$select": "systemuserid,fullname"}})
	again, err := h.client.ResolveUser(context.Background(), strings.ToUpper(userID))
	if err != nil || *again != *got {
		t.Errorf("ResolveUser again = %+v, %v", again, err)
	}
	h.wantRequests(t, 1, "a user found once is answered from memory, whatever the id's case")

	for range 2 {
		if _, err := h.client.ResolveUser(context.Background(), stepID); !errors.Is(err, ErrNotFound) {
			t.Errorf("ResolveUser of a missing user: %v, want ErrNotFound", err)
		}
	}
	h.wantRequests(t, 3, "a missing user is asked about each time")
	if _, err := h.client.ResolveUser(context.Background(), "not-a-guid"); err == nil {
		t.Error("ResolveUser of a malformed id: no error")
	}
	h.wantRequests(t, 3, "a malformed id makes no request")
}
