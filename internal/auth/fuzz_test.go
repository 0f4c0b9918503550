package auth

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// Fuzz targets for what token services answer. Plain `go test` runs their seeds;
// `go test -fuzz FuzzName ./internal/auth` explores further.

const (
	fuzzTenant       = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	fuzzClientSecret = "Fz8Q~fuzzed.client-secret_0001"
	fuzzRequestToken = "rq-T0ken-Zq81-0002"
)

// tokenServiceTransport answers the OpenID discovery document itself and every other request
// with status and body, as a token service would that answers whatever it likes.
type tokenServiceTransport struct {
	status int
	body   []byte
}

func (s tokenServiceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	status, body := s.status, s.body
	if strings.HasSuffix(req.URL.Path, "/.well-known/openid-configuration") {
		status = http.StatusOK
		base := "https://login.fuzz.example/" + fuzzTenant
		body = []byte(`{"issuer":"` + base + `/v2.0","token_endpoint":"` + base + `/oauth2/v2.0/token","authorization_endpoint":"` + base + `/oauth2/v2.0/authorize","jwks_uri":"` + base + `/discovery/v2.0/keys"}`)
	}
	if status < 100 || status > 999 {
		status = http.StatusOK
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
}

func FuzzTokenResponse(f *testing.F) {
	f.Add(200, []byte(`{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.c2ln"}`))
	f.Add(200, []byte(`{"token_type":"Bearer","expires_in":-5,"access_token":""}`))
	f.Add(400, []byte(`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: Fz8Q~fuzzed.client-secret_0001"}`))
	f.Add(401, []byte(`{"error":"invalid_client","error_description":"secret Fz8Q%7Efuzzed.client-secret_0001 rejected"}`))
	f.Add(503, []byte(`<html>Service Unavailable</html>`))
	f.Add(307, []byte(``))
	f.Add(200, []byte(`{"access_token":"x","expires_in":"1e400"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		fetch, err := newConfidentialFetcher(Config{
			EnvironmentURL: "https://org.crm.dynamics.com",
			TenantID:       fuzzTenant,
			ClientID:       "11111111-0000-0000-0000-000000000001",
			ClientSecret:   fuzzClientSecret,
			AuthorityHost:  "https://login.fuzz.example",
		}, untrusted.NewClient(&http.Client{Transport: tokenServiceTransport{status: status, body: body}}, maxTokenAnswerBytes), MethodClientSecret, "https://org.crm.dynamics.com")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _, err = fetch(ctx, false)
		if err != nil && untrusted.EchoesSecret(err.Error(), []string{fuzzClientSecret}) {
			t.Fatalf("error holds part of the client secret: %q", err)
		}
	})
}

func FuzzOIDCAnswer(f *testing.F) {
	f.Add(200, []byte(`{"value":"eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJyZXBvIn0.c2ln"}`), false)
	f.Add(200, []byte(`{"oidcToken":"eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJyZXBvIn0.c2ln"}`), true)
	f.Add(401, []byte(`{"message":"bad token rq-T0ken-Zq81-0002"}`), false)
	f.Add(500, []byte(`Bearer rq%2DT0ken%2DZq81%2D0002`), true)
	f.Add(200, []byte(`not json`), false)
	f.Fuzz(func(t *testing.T, status int, body []byte, azureDevOps bool) {
		cfg := Config{OIDCRequestURL: "https://pipeline.fuzz.example/token?x=1", OIDCRequestToken: fuzzRequestToken}
		if azureDevOps {
			cfg.ADOServiceConnectionID = "svc-connection"
		}
		a := newAssertionSource(cfg, untrusted.NewClient(&http.Client{Transport: tokenServiceTransport{status: status, body: body}}, maxTokenAnswerBytes))
		_, err := a.assertion(context.Background())
		if err != nil && untrusted.EchoesSecret(err.Error(), []string{fuzzRequestToken}) {
			t.Fatalf("error holds part of the request token: %q", err)
		}
	})
}
