package dataverse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestErrorParsing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		wantCode    string
		wantMessage string
		notFound    bool
		duplicate   bool
	}{
		{
			name: "odata error", contentType: "application/json", status: http.StatusNotFound,
			body:     `{"error":{"code":"0x80040217","message":"serviceendpoint With Id = x Does Not Exist"}}`,
			wantCode: "0x80040217", wantMessage: "serviceendpoint With Id = x Does Not Exist", notFound: true,
		},
		{
			name: "empty code", contentType: "application/json", status: http.StatusBadRequest,
			body:        `{"error":{"code":"","message":"Could not find a property named 'nosuch'."}}`,
			wantMessage: "Could not find a property named 'nosuch'.",
		},
		{
			name: "html page", contentType: "text/html", status: http.StatusBadRequest,
			body:        "<html>\n<body>Bad\r\nRequest\x00</body></html>",
			wantMessage: "<html> <body>Bad Request</body></html>",
		},
		{
			name: "long text is truncated", contentType: "text/plain", status: http.StatusBadRequest,
			body:        strings.Repeat("x", 5000),
			wantMessage: strings.Repeat("x", maxErrorText) + "…",
		},
		{
			// A PATCH with If-Match: * on a missing row is answered so.
			name: "404 without a code, about a missing row", contentType: "application/json", status: http.StatusNotFound,
			body:        `{"error":{"code":"","message":"serviceendpoint With Id = x Does Not Exist"}}`,
			wantMessage: "serviceendpoint With Id = x Does Not Exist", notFound: true,
		},
		{
			name: "ObjectDoesNotExist on another status", contentType: "application/json", status: http.StatusBadRequest,
			body:     `{"error":{"code":"0x80040217","message":"The solution with unique name 'x' does not exist."}}`,
			wantCode: "0x80040217", wantMessage: "The solution with unique name 'x' does not exist.", notFound: true,
		},
		// A 404 that is not about a row is a failure: a wrong path or version, or a front end.
		{
			name: "404 without a body", contentType: "text/plain", status: http.StatusNotFound,
		},
		{
			name: "404 of a front end", contentType: "text/html", status: http.StatusNotFound,
			body: "<html><body>Not Found</body></html>", wantMessage: "<html><body>Not Found</body></html>",
		},
		{
			name: "unknown entity set", contentType: "application/json", status: http.StatusNotFound,
			body:     `{"error":{"code":"0x8006088a","message":"Resource not found for the segment 'serviceendpoint'."}}`,
			wantCode: "0x8006088a", wantMessage: "Resource not found for the segment 'serviceendpoint'.",
		},
		// web-api-error-bodies-real.md B and C: a key already taken, with the code on a create and
		// without it on a write with If-None-Match: *; a stale version is no duplicate.
		{
			name: "duplicate key on create", contentType: "application/json", status: http.StatusPreconditionFailed,
			body:     `{"error":{"code":"0x80040237","message":"A record with matching key values already exists."}}`,
			wantCode: "0x80040237", wantMessage: "A record with matching key values already exists.", duplicate: true,
		},
		{
			name: "duplicate key without a code", contentType: "application/json", status: http.StatusPreconditionFailed,
			body:        `{"error":{"code":"","message":"A record with matching key values already exists."}}`,
			wantMessage: "A record with matching key values already exists.", duplicate: true,
		},
		{
			name: "stale version", contentType: "application/json", status: http.StatusPreconditionFailed,
			body:        `{"error":{"code":"","message":"The version of the existing record doesn't match the RowVersion property provided."}}`,
			wantMessage: "The version of the existing record doesn't match the RowVersion property provided.",
		},
		{
			name: "no resource for the URI", contentType: "application/json", status: http.StatusNotFound,
			body:        `{"error":{"code":"","message":"No HTTP resource was found that matches the request URI 'x'."}}`,
			wantMessage: "No HTTP resource was found that matches the request URI 'x'.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			_, err := h.client.GetWebhook(context.Background(), webhookID)
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *Error", err)
			}
			wantPath := APIPath + "serviceendpoints(" + webhookID + ")"
			if apiErr.StatusCode != tt.status || apiErr.Code != tt.wantCode || apiErr.Message != tt.wantMessage ||
				apiErr.Method != http.MethodGet || apiErr.Path != wantPath {
				t.Errorf("error = %#v", apiErr)
			}
			if errors.Is(err, ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", !tt.notFound, tt.notFound)
			}
			if errors.Is(err, ErrDuplicateRecord) != tt.duplicate {
				t.Errorf("errors.Is(err, ErrDuplicateRecord) = %v, want %v", !tt.duplicate, tt.duplicate)
			}
			msg := err.Error()
			for _, part := range []string{fmt.Sprint(tt.status), tt.wantCode, http.MethodGet, wantPath} {
				if !strings.Contains(msg, part) {
					t.Errorf("Error() = %q, missing %q", msg, part)
				}
			}
			if strings.Contains(msg, "$select") {
				t.Errorf("Error() = %q carries the query string", msg)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	e := &Error{StatusCode: 400, Code: "0x80048d19", Message: "bad bind", Method: "POST", Path: "/api/data/v9.2/sdkmessageprocessingsteps"}
	want := "dataverse: POST /api/data/v9.2/sdkmessageprocessingsteps: HTTP 400 Bad Request (0x80048d19): bad bind"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if errors.Is(e, ErrNotFound) || errors.Is(e, ErrDuplicateRecord) {
		t.Error("a 400 bad bind matched a sentinel")
	}
	if !errors.Is(fmt.Errorf("wrapped: %w", &Error{StatusCode: 404, Code: codeObjectNotFound}), ErrNotFound) {
		t.Error("a wrapped ObjectDoesNotExist does not match ErrNotFound")
	}
	if errors.Is(&Error{StatusCode: 404}, ErrNotFound) {
		t.Error("a 404 that says nothing of a row matched ErrNotFound")
	}
}

// TestSecretsNeverSurface has a server echo the request body in its errors; neither the error
// nor the request log may then contain the secret.
func TestSecretsNeverSurface(t *testing.T) {
	t.Parallel()
	type echo func(w http.ResponseWriter, body string)
	echoes := map[string]echo{
		"odata message": func(w http.ResponseWriter, body string) {
			writeError(w, http.StatusBadRequest, "0x80040203", "Invalid request: "+body)
		},
		"plain text": func(w http.ResponseWriter, body string) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, "bad: "+body)
		},
		"odata message, decoded": func(w http.ResponseWriter, body string) {
			writeError(w, http.StatusBadRequest, "", "values s3cr\"et<&>value and short-ish tail")
		},
	}
	secrets := []struct {
		name      string
		authType  AuthType
		key       string
		pairs     map[string]string
		forbidden []string
	}{
		{"webhook key", AuthTypeWebhookKey, "k3y-value-0001", nil, []string{"k3y-value-0001"}},
		{"header", AuthTypeHTTPHeader, "", map[string]string{"X-Api-Key": "s3cr\"et<&>value"}, []string{"s3cr\"et<&>value", "s3cr&quot;et&lt;&amp;&gt;value", `s3cr\"et`}},
		{"short value", AuthTypeHTTPQueryString, "", map[string]string{"code": "ab"}, []string{`value=\"ab\"`, `value="ab"`}},
	}
	for echoName, answer := range echoes {
		for _, s := range secrets {
			t.Run(echoName+"/"+s.name, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) { answer(w, body) })
				value, err := EncodeAuthValue(s.authType, s.key, s.pairs)
				if err != nil {
					t.Fatal(err)
				}
				forbidden := append([]string{value}, s.forbidden...)
				check := func(what string, err error) {
					t.Helper()
					if err == nil {
						t.Fatalf("%s: no error", what)
					}
					var apiErr *Error
					if !errors.As(err, &apiErr) {
						t.Fatalf("%s: err = %v, want *Error", what, err)
					}
					for _, text := range []string{err.Error(), apiErr.Message, fmt.Sprintf("%+v", h.requestLogs())} {
						for _, f := range forbidden {
							if strings.Contains(text, f) {
								t.Errorf("%s: %q leaks %q", what, text, f)
							}
						}
					}
				}
				_, err = h.client.CreateWebhook(context.Background(), WebhookCreate{Name: "n", URL: "https://x.example", AuthType: s.authType, AuthValue: value})
				check("create", err)
				_, err = h.client.UpdateWebhook(context.Background(), webhookID, WebhookUpdate{AuthValue: &value})
				check("update", err)
			})
		}
	}
}

func TestServerTextIsWithheldWhenItEchoesASecret(t *testing.T) {
	t.Parallel()
	const secret = "hunter22-Grüße'<&>"
	tests := []struct {
		name, msg string
		withheld  bool
		secrets   []string
	}{
		{"no secret", "no secret here", false, []string{secret}},
		{"no secrets at all", "a  b\tc", false, nil},
		{"raw", "key " + secret + " rejected", true, []string{secret}},
		{"prefix of 8", "key hunter22 rejected", true, []string{secret}},
		{"run from the middle", "key r22-Grüß rejected", true, []string{secret}},
		{"seven characters are not a run", "key hunter2 rejected", false, []string{secret}},
		{"JSON unicode escapes", `key \u0068\u0075nter22-Gr\u00fc rejected`, true, []string{secret}},
		{"URL-encoded", "key hunter22-Gr%C3%BC%C3%9Fe%27%3C rejected", true, []string{secret}},
		{"XML entities", "key r22-Gr&#252;&#xDF;e&apos;&lt;&amp; rejected", true, []string{secret}},
		{"HTML entities", "key Gr&uuml;&szlig;e&#39;&lt;&amp;&gt; rejected", true, []string{secret}},
		{"URL-encoded then JSON-escaped", `key hunter22-Gr%C3%BC\u0025C3%9F rejected`, true, []string{secret}},
		{"upper case", "key HUNTER22 rejected", true, []string{secret}},
		{"multi-line secret after normalizing", "value was multi line secret", true, []string{"multi\r\nline secret"}},
		{"short secret", "key hunter22 rejected", false, []string{"ab"}},
		{"short secret whole", "key ab rejected", true, []string{"ab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": "0x80040203", "message": tt.msg}})
			e := newResponseError("POST", "/serviceendpoints", 400, body, tt.secrets)
			if got := e.Message == withheldMessage; got != tt.withheld {
				t.Errorf("message %q withheld = %v, want %v (Message %q)", tt.msg, got, tt.withheld, e.Message)
			}
			if e.Code != "0x80040203" {
				t.Errorf("Code = %q, want the code kept", e.Code)
			}
		})
	}
}

// A hostile server echoes a secret in what is not an error body: a malformed answer that
// net/http quotes, a next link to its own host, a next link that is no URL. The client's error
// and its request log name neither the webhook's key nor the bearer token.
func TestHostileAnswersNeverQuoteASecret(t *testing.T) {
	t.Parallel()
	const key = "Hostile-Echo-Key-9"
	tests := map[string]func(h *harness, w http.ResponseWriter, r *http.Request){
		"malformed status line": func(_ *harness, w http.ResponseWriter, r *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			fmt.Fprintf(buf, "%s|%s\r\n\r\n", r.Header.Get("Authorization"), key)
			_ = buf.Flush()
		},
		"next link to a host named by the key": func(_ *harness, w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"value": []any{}, "@odata.nextLink": "https://" + strings.ToLower(key) + ".example/x"})
		},
		"next link to a host named by the token": func(_ *harness, w http.ResponseWriter, r *http.Request) {
			token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			writeJSON(w, http.StatusOK, map[string]any{"value": []any{}, "@odata.nextLink": "https://" + token + ".example/x"})
		},
		"next link that is no URL": func(h *harness, w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"value": []any{}, "@odata.nextLink": h.srv.URL + "/x?k=" + key + "\x7f"})
		},
	}
	for name, listing := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var h *harness
			h = newHarness(t, func(w http.ResponseWriter, r *http.Request, _ int, body string) {
				if r.Method == http.MethodPost {
					row := webhookRow(keyOfRequest(r, body, "serviceendpointid"), "n")
					row["authtype"] = 4
					writeJSON(w, http.StatusCreated, row)
					return
				}
				listing(h, w, r)
			})
			ctx := context.Background()
			if _, err := h.client.CreateWebhook(ctx, WebhookCreate{Name: "n", URL: "https://fn.example", AuthType: AuthTypeWebhookKey, AuthValue: key}); err != nil {
				t.Fatalf("create: %v", err)
			}
			_, err := h.client.ListWebhooks(ctx, WebhookFilter{})
			if err == nil {
				t.Fatal("the listing succeeded; want it refused")
			}
			texts := []string{err.Error()}
			for _, l := range h.requestLogs() {
				if l.Err != nil {
					texts = append(texts, l.Err.Error())
				}
				texts = append(texts, l.Path)
			}
			for _, text := range texts {
				for _, secret := range []string{key, "test-token"} {
					if strings.Contains(strings.ToLower(text), strings.ToLower(secret)) {
						t.Errorf("%q names a secret (%s)", text, secret)
					}
				}
			}
		})
	}
}
