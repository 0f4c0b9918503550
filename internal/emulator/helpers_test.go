package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
)

// shared is one emulator for the tests that only add their own rows.
var (
	sharedOnce sync.Once
	sharedEmu  *Emulator
	sharedErr  error
)

func sharedEmulator(t *testing.T) *Emulator {
	t.Helper()
	sharedOnce.Do(func() { sharedEmu, sharedErr = Start(Options{}) })
	if sharedErr != nil {
		t.Fatalf("start shared emulator: %v", sharedErr)
	}
	return sharedEmu
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedEmu != nil {
		sharedEmu.Close()
	}
	os.Exit(code)
}

// startEmulator starts a dedicated emulator closed at the end of the test.
func startEmulator(t *testing.T, o Options) *Emulator {
	t.Helper()
	e, err := Start(o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

// fetchToken gets an access token with a plain client-credentials POST.
func fetchToken(t *testing.T, e *Emulator, clientID, secret string) string {
	t.Helper()
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {clientID},
		"client_secret": {secret},
		"scope":         {e.URL() + "/.default"},
	}
	resp, err := e.HTTPClient().PostForm(e.AuthorityHost()+"/"+e.TenantID()+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil || body.AccessToken == "" {
		t.Fatalf("token request: status %d", resp.StatusCode)
	}
	return body.AccessToken
}

// apiClient calls the Web API as one application.
type apiClient struct {
	t     *testing.T
	e     *Emulator
	token string
}

func newClient(t *testing.T, e *Emulator) *apiClient {
	t.Helper()
	return &apiClient{t: t, e: e, token: fetchToken(t, e, e.ClientID(), e.ClientSecret())}
}

type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// errorCode returns error.code of a Dataverse error body.
func (r *response) errorCode() string {
	errObj, _ := r.body["error"].(map[string]any)
	code, _ := errObj["code"].(string)
	return code
}

func (r *response) errorMessage() string {
	errObj, _ := r.body["error"].(map[string]any)
	msg, _ := errObj["message"].(string)
	return msg
}

func (r *response) values() []map[string]any {
	list, _ := r.body["value"].([]any)
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i], _ = v.(map[string]any)
	}
	return out
}

// do sends a request to the Web API; path is relative to /api/data/v9.2/
// unless it starts with "/" or "https:". Extra headers come as name, value pairs.
func (c *apiClient) do(method, path string, body any, headers ...string) *response {
	c.t.Helper()
	return doRequest(c.t, c.e, c.token, method, path, body, headers...)
}

func doRequest(t *testing.T, e *Emulator, token, method, path string, body any, headers ...string) *response {
	t.Helper()
	target := path
	switch {
	case strings.HasPrefix(path, "https:"):
	case strings.HasPrefix(path, "/"):
		target = e.URL() + path
	default:
		target = e.URL() + "/api/data/v9.2/" + path
	}
	// Queries are written readably in the tests; spaces go on the wire as %20.
	target = strings.ReplaceAll(target, " ", "%20")
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, target, reader)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("OData-MaxVersion", "4.0")
	req.Header.Set("OData-Version", "4.0")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&r.body); err != nil {
			t.Fatalf("%s %s: decode body: %v\n%s", method, path, err, raw)
		}
	}
	return r
}

// mustStatus fails the test when the status is not the one wanted.
func (r *response) mustStatus(t *testing.T, want int) *response {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body: %s", r.status, want, r.raw)
	}
	return r
}

// mustAnswer fails the test unless the answer has the status wanted and, when code is not "",
// that error code.
func (r *response) mustAnswer(t *testing.T, status int, code string) {
	t.Helper()
	if r.status != status || (code != "" && r.errorCode() != code) {
		t.Fatalf("status %d code %q, want %d %q; body %s", r.status, r.errorCode(), status, code, r.raw)
	}
}

// mustFail fails the test, saying what it was doing, unless the answer is an error of the
// status and code wanted ("" for an error without a code).
func (r *response) mustFail(t *testing.T, status int, code, doing string) {
	t.Helper()
	if r.status != status || r.errorCode() != code {
		t.Fatalf("%s: status %d, error code %q; want %d, %q; body: %s", doing, r.status, r.errorCode(), status, code, r.raw)
	}
}

// Registration helpers.

// createWebhook registers a contract-8 serviceendpoint and returns its id.
func (c *apiClient) createWebhook(name, target string, authType int, authValue string) string {
	c.t.Helper()
	id := newGUID()
	c.do("POST", "serviceendpoints", map[string]any{
		"serviceendpointid": id, "name": name, "url": target, "contract": 8,
		"authtype": authType, "authvalue": authValue, "messageformat": 2, "userclaim": 1,
	}).mustStatus(c.t, http.StatusNoContent)
	return id
}

// stepSpec describes a step to register.
type stepSpec struct {
	name                string
	endpoint            string
	message, table      string
	mode, stage, rank   int
	filteringAttributes string
	asyncAutoDelete     bool
	disabled            bool
}

func (c *apiClient) createStep(s stepSpec) string {
	c.t.Helper()
	id := newGUID()
	body := map[string]any{
		"sdkmessageprocessingstepid": id,
		"name":                       s.name,
		"mode":                       s.mode,
		"stage":                      s.stage,
		"rank":                       s.rank,
		"supporteddeployment":        0,
		"asyncautodelete":            s.asyncAutoDelete,
		"eventhandler_serviceendpoint@odata.bind": "/serviceendpoints(" + s.endpoint + ")",
		"sdkmessageid@odata.bind":                 "/sdkmessages(" + SDKMessageID(s.message) + ")",
	}
	if s.table != "" {
		body["sdkmessagefilterid@odata.bind"] = "/sdkmessagefilters(" + SDKMessageFilterID(s.message, s.table) + ")"
	}
	if s.filteringAttributes != "" {
		body["filteringattributes"] = s.filteringAttributes
	}
	c.do("POST", "sdkmessageprocessingsteps", body).mustStatus(c.t, http.StatusNoContent)
	if s.disabled {
		c.do("PATCH", "sdkmessageprocessingsteps("+id+")", map[string]any{"statecode": 1, "statuscode": 2}).
			mustStatus(c.t, http.StatusNoContent)
	}
	return id
}

// hookedStep is the setup most row tests start from: a client of the shared
// emulator, a webhook with a WebhookKey, and an asynchronous post-operation
// Update step on table bound to it.
func hookedStep(t *testing.T, hookName, target, stepName, table string) (e *Emulator, c *apiClient, hook, step string) {
	t.Helper()
	e = sharedEmulator(t)
	c = newClient(t, e)
	hook = c.createWebhook(hookName, target, 4, "k")
	step = c.createStep(stepSpec{name: stepName, endpoint: hook, message: "Update", table: table, mode: 1, stage: 40, rank: 1})
	return e, c, hook, step
}

func num(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%v is not an integer", v)
	}
	return i
}
