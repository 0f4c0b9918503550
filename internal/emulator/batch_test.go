package emulator

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// changesetBody is a $batch holding one changeset of the given operations (method, path, JSON).
func changesetBody(e *Emulator, ops ...[3]string) (contentType string, body []byte) {
	var b bytes.Buffer
	b.WriteString("--batch_t\r\nContent-Type: multipart/mixed; boundary=changeset_t\r\n\r\n")
	for i, op := range ops {
		fmt.Fprintf(&b, "--changeset_t\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: %d\r\n\r\n", i+1)
		fmt.Fprintf(&b, "%s %s/api/data/v9.2/%s HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n\r\n%s\r\n", op[0], e.URL(), op[1], op[2])
	}
	b.WriteString("--changeset_t--\r\n--batch_t--\r\n")
	return "multipart/mixed; boundary=batch_t", b.Bytes()
}

// postBatch sends a $batch, checks the batch's own status, and returns the status of each
// operation answered.
func postBatch(t *testing.T, c *apiClient, wantStatus int, contentType string, body []byte, prefer ...string) []int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.e.URL()+"/api/data/v9.2/$batch", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+c.token)
	for _, p := range prefer {
		req.Header.Add("Prefer", p)
	}
	resp, err := c.e.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != wantStatus || !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/mixed") {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("$batch: status %d (%s): %s; want %d, multipart", resp.StatusCode, resp.Header.Get("Content-Type"), raw, wantStatus)
	}
	return answerStatuses(t, resp.Header.Get("Content-Type"), resp.Body)
}

func answerStatuses(t *testing.T, contentType string, r io.Reader) []int {
	t.Helper()
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("answer content type %q: %v", contentType, err)
	}
	parts := multipart.NewReader(r, params["boundary"])
	var statuses []int
	for {
		part, err := parts.NextPart()
		if err == io.EOF {
			return statuses
		}
		if err != nil {
			t.Fatal(err)
		}
		if ct := part.Header.Get("Content-Type"); strings.HasPrefix(ct, "multipart/mixed") {
			statuses = append(statuses, answerStatuses(t, ct, part)...)
			continue
		}
		raw, _ := io.ReadAll(part)
		var status int
		if _, err := fmt.Sscanf(string(raw), "HTTP/1.1 %d", &status); err != nil {
			t.Fatalf("operation answer %q: %v", raw, err)
		}
		statuses = append(statuses, status)
	}
}

func TestBatchChangesetCommitsTogether(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, Options{})
	c := newClient(t, e)
	hook := c.createWebhook("batch hook", "https://fn.example.net/b", 5, "k")
	id := newGUID()
	create := fmt.Sprintf(`{"sdkmessageprocessingstepid":%q,"name":"batched","mode":1,"stage":40,"rank":1,"supporteddeployment":0,`+
		`"eventhandler_serviceendpoint@odata.bind":"/serviceendpoints(%s)","sdkmessageid@odata.bind":"/sdkmessages(%s)",`+
		`"sdkmessagefilterid@odata.bind":"/sdkmessagefilters(%s)"}`, id, hook, SDKMessageID("Update"), SDKMessageFilterID("Update", "account"))

	t.Run("a failing operation undoes the ones before it", func(t *testing.T) {
		ct, body := changesetBody(e,
			[3]string{"POST", "sdkmessageprocessingsteps", create},
			[3]string{"PATCH", "sdkmessageprocessingsteps(" + id + ")", `{"statecode":0,"statuscode":2}`})
		if got := postBatch(t, c, http.StatusBadRequest, ct, body); len(got) != 1 || got[0] != http.StatusBadRequest {
			t.Fatalf("answers %v, want the failing operation's 400 alone", got)
		}
		if _, ok := e.Row("sdkmessageprocessingsteps", id); ok {
			t.Fatal("the step of a failed changeset was kept")
		}
	})
	t.Run("operations that all succeed commit", func(t *testing.T) {
		ct, body := changesetBody(e,
			[3]string{"POST", "sdkmessageprocessingsteps", create},
			[3]string{"PATCH", "sdkmessageprocessingsteps(" + id + ")", `{"statecode":1,"statuscode":2}`})
		if got := postBatch(t, c, http.StatusOK, ct, body); len(got) != 2 || got[0] != http.StatusNoContent || got[1] != http.StatusNoContent {
			t.Fatalf("answers %v, want 204 204", got)
		}
		row, ok := e.Row("sdkmessageprocessingsteps", id)
		if !ok || row["statecode"] != int64(1) || row["statuscode"] != int64(2) {
			t.Fatalf("step after the changeset: %v (found %v), want disabled", row, ok)
		}
	})
	t.Run("the first failure ends the batch unless it is to continue", func(t *testing.T) {
		// Source: Microsoft's batch article, "Handling errors": without Prefer:
		// odata.continue-on-error the batch answers with the failing request's status and runs
		// no more; with it the batch answers 200 and runs every request.
		for _, tc := range []struct {
			name    string
			prefer  []string
			status  int
			answers []int
		}{
			{"stops", nil, http.StatusBadRequest, []int{http.StatusBadRequest}},
			{"continues", []string{"odata.continue-on-error"}, http.StatusOK, []int{http.StatusBadRequest, http.StatusNoContent}},
		} {
			contact, step := newGUID(), newGUID()
			ct, body := changesetBody(e,
				[3]string{"POST", "sdkmessageprocessingsteps", strings.Replace(create, id, step, 1)},
				[3]string{"PATCH", "sdkmessageprocessingsteps(" + step + ")", `{"statecode":0,"statuscode":2}`})
			body = append(bytes.TrimSuffix(body, []byte("--batch_t--\r\n")), fmt.Sprintf("--batch_t\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"+
				"POST %s/api/data/v9.2/contacts HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n\r\n{\"contactid\":%q,\"lastname\":\"after\"}\r\n--batch_t--\r\n", e.URL(), contact)...)
			if got := postBatch(t, c, tc.status, ct, body, tc.prefer...); fmt.Sprint(got) != fmt.Sprint(tc.answers) {
				t.Errorf("%s: answers %v, want %v", tc.name, got, tc.answers)
			}
			if _, ok := e.Row("contacts", contact); ok != (tc.status == http.StatusOK) {
				t.Errorf("%s: the request after the failure ran: %v", tc.name, ok)
			}
		}
	})
	t.Run("an empty changeset", func(t *testing.T) {
		body := []byte("--batch_t\r\nContent-Type: multipart/mixed; boundary=changeset_t\r\n\r\n--changeset_t--\r\n--batch_t--\r\n")
		if got := postBatch(t, c, http.StatusOK, "multipart/mixed; boundary=batch_t", body); len(got) != 0 {
			t.Errorf("answers %v, want none", got)
		}
	})
	t.Run("a batch that is not multipart is refused", func(t *testing.T) {
		c.do("POST", "$batch", map[string]any{"x": 1}).mustStatus(t, http.StatusBadRequest)
	})
}
