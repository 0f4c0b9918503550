package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// assertionSource produces the federated token (client assertion) for each
// token request, from the first configured of: a fixed token, a token file,
// GitHub Actions, or Azure DevOps.
type assertionSource struct {
	token         string
	tokenFile     string
	requestURL    string
	requestToken  string
	adoConnection string
	httpClient    *untrusted.Client

	// issued are the last assertions handed to MSAL: a token service that echoes one, whole or
	// in part, must have it withheld like a configured secret.
	mu     sync.Mutex
	issued []string
}

// maxIssuedAssertions bounds issued; a file or pipeline token rotates about hourly.
const maxIssuedAssertions = 4

func (a *assertionSource) remember(token string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !slices.Contains(a.issued, token) {
		a.issued = append(a.issued, token)
		if len(a.issued) > maxIssuedAssertions {
			a.issued = a.issued[1:]
		}
	}
	return token
}

// issuedAssertions returns the assertions this source has handed out that it may still have
// to keep out of an error.
func (a *assertionSource) issuedAssertions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.issued)
}

func newAssertionSource(cfg Config, client *untrusted.Client) *assertionSource {
	return &assertionSource{
		token:         strings.TrimSpace(cfg.OIDCToken),
		tokenFile:     cfg.OIDCTokenFilePath,
		requestURL:    cfg.OIDCRequestURL,
		requestToken:  cfg.OIDCRequestToken,
		adoConnection: cfg.ADOServiceConnectionID,
		httpClient:    client,
	}
}

// maxTokenFileBytes bounds an OIDC token file; a federated token is a few kilobytes.
const maxTokenFileBytes = 64 << 10

func (a *assertionSource) assertion(ctx context.Context) (string, error) {
	token, err := a.fetch(ctx)
	if err != nil {
		return "", err
	}
	return a.remember(token), nil
}

func (a *assertionSource) fetch(ctx context.Context) (string, error) {
	switch {
	case a.token != "":
		return a.token, nil
	case a.tokenFile != "":
		// Read on every request: projected service account tokens rotate.
		data, err := readFileUpTo(a.tokenFile, maxTokenFileBytes)
		if err != nil {
			return "", newRedactedError(fmt.Sprintf("cannot read the OIDC token file: %v", err), err)
		}
		token := strings.TrimSpace(string(data))
		if token == "" {
			return "", fmt.Errorf("the OIDC token file %s is empty", a.tokenFile)
		}
		return token, nil
	case a.adoConnection != "":
		return a.requestAzureDevOps(ctx)
	default:
		return a.requestGitHubActions(ctx)
	}
}

// requestGitHubActions asks GitHub Actions for an ID token:
// GET <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=... with
// "Authorization: bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>", answered by {"value": "<jwt>"}.
func (a *assertionSource) requestGitHubActions(ctx context.Context) (string, error) {
	var answer struct {
		Value string `json:"value"`
	}
	return a.requestIDToken(ctx, "GitHub Actions", http.MethodGet, "audience="+url.QueryEscape(TokenExchangeAudience),
		map[string]string{"Authorization": "bearer " + a.requestToken, "Accept": "application/json; api-version=2.0"},
		&answer, &answer.Value)
}

// requestAzureDevOps asks an Azure DevOps pipeline for the service
// connection's ID token: POST <SYSTEM_OIDCREQUESTURI>?api-version=7.1&serviceConnectionId=<id>
// with "Authorization: Bearer <SYSTEM_ACCESSTOKEN>", answered by {"oidcToken": "<jwt>"}.
func (a *assertionSource) requestAzureDevOps(ctx context.Context) (string, error) {
	var answer struct {
		OIDCToken string `json:"oidcToken"`
	}
	return a.requestIDToken(ctx, "Azure DevOps", http.MethodPost, "api-version=7.1&serviceConnectionId="+url.QueryEscape(a.adoConnection),
		map[string]string{"Authorization": "Bearer " + a.requestToken},
		&answer, &answer.OIDCToken)
}

// requestIDToken sends a platform's ID token request to the OIDC request URL with query added and
// the given headers, decodes the answer into answer and returns the token it holds, which token
// points to.
func (a *assertionSource) requestIDToken(ctx context.Context, platform, method, query string, header map[string]string, answer any, token *string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, method, appendQuery(a.requestURL, query), nil)
	if err != nil {
		return "", newRedactedError(fmt.Sprintf("the OIDC request URL is not a valid URL: %v", err), err, a.requestToken)
	}
	for name, value := range header {
		req.Header.Set(name, value)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := a.call(req, platform, answer); err != nil {
		return "", err
	}
	if *token == "" {
		return "", fmt.Errorf("the %s ID token request to %s answered without a token", platform, displayURL(req.URL))
	}
	return *token, nil
}

func (a *assertionSource) call(req *http.Request, platform string, answer any) error {
	resp, err := a.httpClient.Do(req)
	if err != nil {
		return newRedactedError(fmt.Sprintf("the %s ID token request to %s failed: %v", platform, displayURL(req.URL), err), err, a.requestToken)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body) // capped by the client
	if err != nil {
		return newRedactedError(fmt.Sprintf("the %s ID token request to %s failed reading the answer: %v", platform, displayURL(req.URL), err), err, a.requestToken)
	}
	if resp.StatusCode != http.StatusOK {
		detail := untrusted.PlainText(string(body))
		if len(detail) > 300 {
			detail = detail[:300] + "..."
		}
		// Azure DevOps names the request in these headers; support asks for them.
		for _, h := range []string{"X-Vss-E2eid", "X-Msedge-Ref"} {
			if v := resp.Header.Get(h); v != "" {
				detail += fmt.Sprintf(" (%s: %s)", h, v)
			}
		}
		return newRedactedError(fmt.Sprintf("the %s ID token request to %s answered %s: %s", platform, displayURL(req.URL), resp.Status, detail), nil, a.requestToken)
	}
	if err := json.Unmarshal(body, answer); err != nil {
		return fmt.Errorf("the %s ID token request to %s answered with something other than JSON: %w", platform, displayURL(req.URL), err)
	}
	return nil
}

// appendQuery adds parameters to a URL that may already carry a query, as
// ACTIONS_ID_TOKEN_REQUEST_URL does.
func appendQuery(target, params string) string {
	if strings.Contains(target, "?") {
		return target + "&" + params
	}
	return target + "?" + params
}

// displayURL shows where a request went without its query.
func displayURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.Path
}
