package dataverse

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// Fuzz targets for every decoder of what the Web API answers. Plain `go test` runs their seeds;
// `go test -fuzz FuzzName ./internal/dataverse` explores further.

func FuzzResponseError(f *testing.F) {
	f.Add([]byte(`{"error":{"code":"0x80040237","message":"A record with matching key values already exists."}}`), "k3y-value-0001")
	f.Add([]byte(`{"error":{"code":"0x80040203","message":"bad \u006b3y-value-0001"}}`), "k3y-value-0001")
	f.Add([]byte(`<html><body>Bad gateway: k3y%2Dvalue%2D0001</body></html>`), "k3y-value-0001")
	f.Add([]byte("line\r\nforged: entry\x1b[31m"), "")
	f.Add([]byte(`{"error":null}`), "ab")
	f.Fuzz(func(t *testing.T, body []byte, secret string) {
		var secrets []string
		if secret != "" {
			secrets = []string{secret}
		}
		e := newResponseError(http.MethodPost, "/api/data/v9.2/serviceendpoints", http.StatusBadRequest, body, secrets)
		if untrusted.EchoesSecret(e.Message, secrets) && e.Message != withheldMessage {
			t.Fatalf("message %q holds part of the secret", e.Message)
		}
		if untrusted.EchoesSecret(e.Code, secrets) {
			t.Fatalf("code %q holds part of the secret", e.Code)
		}
		if n := utf8.RuneCountInString(e.Message); n > maxErrorText+1 {
			t.Fatalf("message is %d runes long", n)
		}
		for _, r := range e.Message + e.Code {
			if r == '\n' || r == '\r' || (!unicode.IsPrint(r) && r != ' ') {
				t.Fatalf("message or code holds %q, which could forge a log line", r)
			}
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	for _, seed := range []string{"", "0", "12", "36000", "-1", "+5", "99999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT",
		"Wed, 02 Dec 2026 05:00:07 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "soon", " 7 "} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if !ok && d != 0 {
			t.Fatalf("parseRetryAfter(%q) = %v without a value", v, d)
		}
		if d < 0 {
			t.Fatalf("parseRetryAfter(%q) = %v, a negative wait", v, d)
		}
	})
}

func FuzzDecodeRow(f *testing.F) {
	f.Add([]byte(`{"serviceendpointid":"`+webhookID+`","name":"orders","url":"https://x.example","contract":8,"authtype":5,"isauthvalueset":true,"createdon":"2024-05-01T10:00:00Z"}`), webhookID)
	f.Add([]byte(`{"serviceendpointid":null,"name":"orders","contract":8}`), webhookID)
	f.Add([]byte(`{"serviceendpointid":"`+webhookID2+`","contract":"8","authtype":-1,"createdon":"yesterday"}`), webhookID)
	f.Add([]byte(`[]`), webhookID)
	f.Fuzz(func(t *testing.T, body []byte, id string) {
		r := &request{method: http.MethodGet, path: entityPath(setServiceEndpoints, id)}
		var row serviceEndpointRow
		if err := decodeRow(r, &response{status: http.StatusOK, body: body}, &row); err != nil {
			return
		}
		if keyColumns[setServiceEndpoints] != "" && !strings.EqualFold(row.ID, id) && IsGUID(id) {
			t.Fatalf("decoded a row with id %q for %q", row.ID, id)
		}
		var c Client
		if w, err := c.webhookFromRow(row); err == nil && w == nil {
			t.Fatal("webhookFromRow returned neither a webhook nor an error")
		}
		var step stepRow
		if json.Unmarshal(body, &step) == nil {
			_ = stepFromRow(step)
		}
	})
}

// pagesTransport answers every request with the same body, as a server stuck on one page would.
type pagesTransport struct {
	body     []byte
	requests int
}

func (p *pagesTransport) RoundTrip(*http.Request) (*http.Response, error) {
	p.requests++
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(p.body))}, nil
}

func FuzzPaging(f *testing.F) {
	f.Add([]byte(`{"value":[{"serviceendpointid":"a"}]}`))
	f.Add([]byte(`{"value":[{"serviceendpointid":"a"}],"@odata.nextLink":"https://org.example/api/data/v9.2/serviceendpoints?$skiptoken=1"}`))
	f.Add([]byte(`{"value":[],"@odata.nextLink":"https://org.example/api/data/v9.2/serviceendpoints?p=2"}`))
	f.Add([]byte(`{"value":[],"@odata.nextLink":"https://elsewhere.example/steal"}`))
	f.Add([]byte(`{"value":[],"@odata.nextLink":"http://org.example/api/data/v9.2/serviceendpoints"}`))
	f.Add([]byte(`{"value":null,"@odata.nextLink":":"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		transport := &pagesTransport{body: body}
		c, err := New(Config{
			EnvironmentURL: "https://org.example",
			TokenSource:    &staticTokens{},
			HTTPClient:     &http.Client{Transport: transport},
			MaxRetries:     1,
			sleep:          func(context.Context, time.Duration) error { return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := getCollection[serviceEndpointRow](context.Background(), c, &request{path: setServiceEndpoints}, 0)
		if transport.requests > maxPagesPerQuery {
			t.Fatalf("read %d pages", transport.requests)
		}
		if err == nil && len(rows) > maxRowsPerRead {
			t.Fatalf("returned %d rows", len(rows))
		}
	})
}

// authValueSentinel stands for a secret in the auth value seeds.
const authValueSentinel = "S3NT1NEL"

func FuzzDecodeAuthValue(f *testing.F) {
	f.Add(int(AuthTypeHTTPHeader), `<settings><setting name="X-Api-Key" value="s3cr&quot;etS3NT1NEL" /></settings>`)
	f.Add(int(AuthTypeHTTPHeader), `<settings><setting name="X-Api-Key" value="S3NT1NEL<" /></settings>`)
	f.Add(int(AuthTypeHTTPQueryString), `<settings><setting name="a b" value="S3NT1NEL" /></settings>`)
	f.Add(int(AuthTypeHTTPQueryString), `<settings><setting name="code" value="a&#252;b" /><setting name="code" value="dup" /></settings>`)
	f.Add(int(AuthTypeWebhookKey), `k3y-value`)
	f.Add(int(AuthTypeHTTPHeader), `<settings><setting name="x" value="unterminated`)
	f.Add(int(AuthTypeHTTPHeader), `<!DOCTYPE x [<!ENTITY a "aaaa">]><settings><setting name="x" value="&a;" /></settings>`)
	f.Fuzz(func(t *testing.T, authType int, v string) {
		_, pairs, err := DecodeAuthValue(AuthType(authType), v)
		if err != nil {
			// The document holds secrets: an error may name a setting, never quote a value.
			if strings.Contains(v, authValueSentinel) && strings.Contains(err.Error(), authValueSentinel) {
				t.Fatalf("error %q quotes a value of the auth value", err)
			}
			return
		}
		for name := range pairs {
			if name == "" && AuthType(authType) != AuthTypeWebhookKey {
				t.Fatalf("decoded an empty setting name from %q", v)
			}
		}
	})
}
