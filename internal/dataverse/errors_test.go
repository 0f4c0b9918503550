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
			name: "404 without a body", contentType: "text/plain", status: http.StatusNotFound,
			notFound: true,
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
	if !errors.Is(fmt.Errorf("wrapped: %w", &Error{StatusCode: 404}), ErrNotFound) {
		t.Error("a wrapped 404 does not match ErrNotFound")
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
