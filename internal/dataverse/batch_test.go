package dataverse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// writeFailedBatch answers a $batch as Dataverse answers one whose changeset failed (the
// "Handling errors" example of Microsoft's batch article): the batch takes the failing
// operation's status, and its multipart body holds that operation's answer alone.
func writeFailedBatch(w http.ResponseWriter, status int, code, message string) {
	boundary := "batchresponse_156da4b8-cd2c-4862-a911-4aaab97c001a"
	w.Header().Set("Content-Type", "multipart/mixed; boundary="+boundary)
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(status)
	fmt.Fprintf(w, "--%s\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"+
		"HTTP/1.1 %d %s\r\nREQ_ID: 5ecd1cb3-1730-4ffc-909c-d44c22270026\r\nContent-Type: application/json; odata.metadata=minimal\r\nOData-Version: 4.0\r\n\r\n"+
		`{"error":{"code":%q,"message":%q}}`+"\r\n--%s--\r\n",
		boundary, status, http.StatusText(status), code, message, boundary)
}

// A failed changeset is the failure of its operation, not a server that takes no $batch: the
// step is not created again without the changeset (where it could exist enabled), and the
// operation's error code decides, as a duplicate's does.
func TestCreateDisabledStep_failedChangesetIsTheOperationsError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, code, message string
		status              int
		want                error
	}{
		{"duplicate id", "0x80040237", "A record with matching key values already exists.", http.StatusPreconditionFailed, ErrDuplicateRecord},
		{"disabling refused", "0x80044331", "A validation error occurred.  The length of the 'name' attribute exceeded the maximum allowed length.", http.StatusBadRequest, nil},
		{"row gone", "0x80040217", "sdkmessageprocessingstep With Id = " + stepID + " Does Not Exist", http.StatusNotFound, ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
				if strings.HasSuffix(r.URL.Path, "/$batch") {
					writeFailedBatch(w, tc.status, tc.code, tc.message)
					return
				}
				writeJSON(w, http.StatusCreated, stepRowJSON(stepID, "quiet", false))
			})
			h.client.catalog.rememberFilter(MessageFilter{MessageID: messageID, FilterID: filterID, Message: "Update", Table: "account", CustomStepsAllowed: true})
			_, err := h.client.CreateStep(context.Background(), StepCreate{
				ID:           stepID,
				StepSettings: StepSettings{Name: "quiet", Mode: StepModeAsynchronous, Stage: StepStagePostOperation, Rank: 1},
				WebhookID:    webhookID, MessageID: messageID, MessageFilterID: filterID,
			})
			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || apiErr.Code != tc.code {
				t.Fatalf("CreateStep error = %v, want the operation's %d %s", err, tc.status, tc.code)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v is not %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "batchresponse") || strings.Contains(err.Error(), "REQ_ID") {
				t.Errorf("error quotes the multipart body: %v", err)
			}
			if reqs := h.requests(); len(reqs) != 1 {
				t.Errorf("%d requests (%v), want the $batch alone", len(reqs), reqs)
			}
		})
	}
}

// A $batch refused as such, with a JSON error of its own, still means a server that takes none:
// the step is created with its state on the create.
func TestCreateDisabledStep_batchRefusedWithJSONFallsBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, _ int, body string) {
		if strings.HasSuffix(r.URL.Path, "/$batch") {
			writeError(w, http.StatusBadRequest, "0x0", "The batch request is not supported.")
			return
		}
		row := stepRowJSON(stepID, "quiet", false)
		if strings.Contains(body, `"statecode":1`) {
			row["statecode"] = 1
		}
		writeJSON(w, http.StatusCreated, row)
	})
	h.client.catalog.rememberFilter(MessageFilter{MessageID: messageID, FilterID: filterID, Message: "Update", Table: "account", CustomStepsAllowed: true})
	step, err := h.client.CreateStep(context.Background(), StepCreate{
		ID:           stepID,
		StepSettings: StepSettings{Name: "quiet", Mode: StepModeAsynchronous, Stage: StepStagePostOperation, Rank: 1},
		WebhookID:    webhookID, MessageID: messageID, MessageFilterID: filterID,
	})
	if err != nil || step.Enabled {
		t.Fatalf("CreateStep = %+v, %v; want a disabled step", step, err)
	}
	if reqs := h.requests(); len(reqs) != 2 || reqs[1].Method != http.MethodPost || !strings.Contains(reqs[1].Body, `"statecode":1`) {
		t.Errorf("requests = %v, want the $batch, then a create with the state", reqs)
	}
}

// An answer of more operation answers than any changeset the client sends is unreadable, so a
// hostile body of many small parts is not read into memory whole, flat or nested.
func TestReadChangesetAnswer_boundsTheAnswers(t *testing.T) {
	t.Parallel()
	part := "Content-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n"
	for _, tc := range []struct {
		name   string
		nested bool
		parts  int
		ok     bool
	}{
		{"a changeset's answers", true, 2, true},
		{"as many as allowed", false, maxBatchAnswers, true},
		{"one more, flat", false, maxBatchAnswers + 1, false},
		{"one more, in changesets", true, maxBatchAnswers + 1, false},
	} {
		var b strings.Builder
		for i := range tc.parts {
			if tc.nested {
				fmt.Fprintf(&b, "--outer\r\nContent-Type: multipart/mixed; boundary=inner%d\r\n\r\n--inner%d\r\n%s--inner%d--\r\n", i, i, part, i)
			} else {
				fmt.Fprintf(&b, "--outer\r\n%s", part)
			}
		}
		b.WriteString("--outer--\r\n")
		_, err := readChangesetAnswer("multipart/mixed; boundary=outer", []byte(b.String()))
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, errUnreadableBatch)) {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
