// Package dvuser plays a Dataverse user: it changes rows of business tables through the Web API,
// so that registered steps fire. It signs in with the emulator's application, or uses a token
// its caller got for a live environment. The demo and the tests use it to trigger webhooks.
package dvuser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
)

// Client makes Web API calls as one application user.
type Client struct {
	http  *http.Client
	base  string
	token string
}

// New signs in with the client-credentials grant.
func New(ctx context.Context, e *emulator.Emulator) (*Client, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {e.ClientID()},
		"client_secret": {e.ClientSecret()},
		"scope":         {e.URL() + "/.default"},
	}
	tokenURL := e.AuthorityHost() + "/" + e.TenantID() + "/oauth2/v2.0/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c := e.HTTPClient()
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("signing in to the emulator: HTTP %d", resp.StatusCode)
	}
	return Connect(c, e.URL(), tok.AccessToken), nil
}

// Connect makes calls to the environment at environmentURL with a bearer token for it.
func Connect(httpClient *http.Client, environmentURL, token string) *Client {
	return &Client{http: httpClient, base: strings.TrimSuffix(environmentURL, "/") + "/api/data/v9.2/", token: token}
}

// Error is a Web API answer other than success.
type Error struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// do sends one request; prefer, when not "", is its Prefer header.
func (c *Client) do(ctx context.Context, method, path, prefer string, body map[string]any) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("OData-Version", "4.0")
	req.Header.Set("OData-MaxVersion", "4.0")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method == http.MethodPatch {
		req.Header.Set("If-Match", "*")
	}
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		return nil, &Error{Method: method, Path: path, Status: resp.StatusCode, Body: string(msg)}
	}
	return resp, nil
}

// Create adds a row to an entity set, such as "accounts", and returns its id.
func (c *Client) Create(ctx context.Context, set string, row map[string]any) (string, error) {
	resp, err := c.do(ctx, http.MethodPost, set, "", row)
	if err != nil {
		return "", err
	}
	_ = resp.Body.Close()
	loc := resp.Header.Get("OData-EntityId")
	i, j := strings.LastIndex(loc, "("), strings.LastIndex(loc, ")")
	if i < 0 || j < i {
		return "", fmt.Errorf("create of %s returned no OData-EntityId", set)
	}
	return loc[i+1 : j], nil
}

// Update changes columns of an existing row.
func (c *Client) Update(ctx context.Context, set, id string, cols map[string]any) error {
	resp, err := c.do(ctx, http.MethodPatch, fmt.Sprintf("%s(%s)", set, id), "", cols)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// Delete removes a row.
func (c *Client) Delete(ctx context.Context, set, id string) error {
	resp, err := c.do(ctx, http.MethodDelete, fmt.Sprintf("%s(%s)", set, id), "", nil)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// Rows reads the first page of rows a query returns, such as
// "sdkmessageprocessingsteps?$select=name&$top=5"; prefer, when not "", asks for annotations
// such as the table a lookup points at.
func (c *Client) Rows(ctx context.Context, query, prefer string) ([]map[string]any, error) {
	resp, err := c.do(ctx, http.MethodGet, query, prefer, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var page struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, fmt.Errorf("GET %s: %w", query, err)
	}
	return page.Value, nil
}
