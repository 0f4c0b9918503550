package dataverse

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

func TestGetUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
		if r.URL.Path == "/api/data/v9.2/systemusers("+userID+")" {
			writeJSON(w, http.StatusOK, map[string]any{"systemuserid": userID, "fullname": "Integration"})
			return
		}
		// As Dataverse answers a read of a missing row (web-api-error-bodies-real.md).
		writeError(w, http.StatusNotFound, "0x80040217", "systemuser With Id = "+stepID+" Does Not Exist")
	})
	got, err := h.client.GetUser(context.Background(), userID)
	if err != nil || *got != (User{ID: userID, FullName: "Integration"}) {
		t.Errorf("GetUser = %+v, %v", got, err)
	}
	checkRequest(t, h.requests()[0], want{Method: http.MethodGet, Path: "systemusers(" + userID + ")",
		Query: map[string]string{"$select": "systemuserid,fullname"}})
	if _, err := h.client.GetUser(context.Background(), stepID); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetUser of a missing user: %v, want ErrNotFound", err)
	}
	if _, err := h.client.GetUser(context.Background(), "not-a-guid"); err == nil || len(h.requests()) != 2 {
		t.Errorf("GetUser of a malformed id: %v after %d requests, want an error and no request", err, len(h.requests()))
	}
}
