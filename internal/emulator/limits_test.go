package emulator

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Web API auth: missing, malformed, expired, wrongly signed or wrong-audience
// tokens get 401 with an empty body and the challenge Dataverse sends.
func TestUnauthorized(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, Options{})
	good := fetchToken(t, e, e.ClientID(), e.ClientSecret())
	other := startEmulator(t, Options{})
	foreign := fetchToken(t, other, other.ClientID(), other.ClientSecret())

	tamper := func(tok string) string {
		parts := strings.Split(tok, ".")
		payload := []byte(parts[1])
		// Flip one character of the payload: the signature no longer verifies.
		if payload[10] == 'A' {
			payload[10] = 'B'
		} else {
			payload[10] = 'A'
		}
		return parts[0] + "." + string(payload) + "." + parts[2]
	}
	cases := []struct {
		name  string
		value string
	}{
		{"missing", ""},
		{"not bearer", "Basic dXNlcjpwYXNz"},
		{"empty bearer", "Bearer "},
		{"malformed", "Bearer not-a-jwt"},
		{"tampered", "Bearer " + tamper(good)},
		{"signed by another token service", "Bearer " + foreign},
	}
	challenge := "Bearer authorization_uri=" + e.AuthorityHost() + "/" + e.TenantID() + "/oauth2/authorize, resource_id=" + e.URL()
	check := func(t *testing.T, r *response) {
		t.Helper()
		if r.status != http.StatusUnauthorized || len(r.raw) != 0 || r.header.Get("WWW-Authenticate") != challenge {
			t.Fatalf("status %d, WWW-Authenticate %q, body %q", r.status, r.header.Get("WWW-Authenticate"), r.raw)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var headers []string
			if tc.value != "" {
				headers = []string{"Authorization", tc.value}
			}
			check(t, doRequest(t, e, "", "GET", "serviceendpoints", nil, headers...))
		})
	}

	// Sequential from here: these move the emulator's clock and audience.
	t.Run("expired and wrong audience", func(t *testing.T) {
		doRequest(t, e, good, "GET", "WhoAmI", nil).mustStatus(t, http.StatusOK)
		e.clockSkew.Store(int64(2 * time.Hour))
		check(t, doRequest(t, e, good, "GET", "WhoAmI", nil))
		e.clockSkew.Store(0)
		doRequest(t, e, good, "GET", "WhoAmI", nil).mustStatus(t, http.StatusOK)

		wrong := "https://contoso.crm.dynamics.com"
		e.audience.Store(&wrong)
		check(t, doRequest(t, e, good, "GET", "WhoAmI", nil))
	})
}

// §6 "52 concurrent requests … Exceeded → 429 Too Many Requests with Retry-After: <seconds>; codes … 0x80072326 (concurrency)".
// 200 clients at once get 204 or 429 and nothing else; every accepted write is stored.
func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, Options{MaxConcurrent: 52})
	c := newClient(t, e)
	const clients = 200
	// Admitted requests stay in flight until all 200 have arrived, so exactly
	// 52 are admitted however slowly the connections come up.
	release := make(chan struct{})
	var holding atomic.Int64
	hold := func(ctx context.Context) {
		holding.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
	e.admitted.Store(&hold)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
		accepted = map[string]bool{}
		problems []string
	)
	start := make(chan struct{})
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			id := newGUID()
			status, header, body, err := rawRequest(e, c.token, "POST", "accounts", map[string]any{"accountid": id, "name": fmt.Sprint("load ", i)})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				problems = append(problems, err.Error())
				return
			}
			statuses[status]++
			switch status {
			case http.StatusNoContent:
				accepted[id] = true
			case http.StatusTooManyRequests:
				if header.Get("Retry-After") == "" || !bytes.Contains(body, []byte(`"code":"0x80072326"`)) {
					problems = append(problems, fmt.Sprintf("429 without Retry-After or code: %s", body))
				}
			default:
				problems = append(problems, fmt.Sprintf("status %d: %s", status, body))
			}
		}(i)
	}
	close(start)
	deadline := time.Now().Add(time.Minute)
	for holding.Load()+e.Stats().Throttled < clients {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests were admitted or throttled", holding.Load()+e.Stats().Throttled, clients)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	e.admitted.Store(nil)
	if len(problems) > 0 {
		t.Fatalf("%d problems, first: %s", len(problems), problems[0])
	}
	if statuses[http.StatusNoContent] != 52 || statuses[http.StatusTooManyRequests] != clients-52 {
		t.Fatalf("statuses = %v, want 52 accepted and %d throttled", statuses, clients-52)
	}
	stored := 0
	for _, row := range e.Rows("accounts") {
		if accepted[row["accountid"].(string)] {
			stored++
		}
	}
	if stored != len(accepted) {
		t.Fatalf("%d accepted writes, %d stored", len(accepted), stored)
	}
	if got := e.Stats().Throttled; got != int64(statuses[http.StatusTooManyRequests]) {
		t.Fatalf("stats throttled = %d, saw %d", got, statuses[http.StatusTooManyRequests])
	}

	// No lost update: concurrent PATCHes of different columns of one row all land.
	row := newGUID()
	c.do("POST", "accounts", map[string]any{"accountid": row, "name": "shared"}).mustStatus(t, http.StatusNoContent)
	var pw sync.WaitGroup
	for i := 0; i < 40; i++ {
		pw.Add(1)
		go func(i int) {
			defer pw.Done()
			for {
				status, _, _, err := rawRequest(e, c.token, "PATCH", "accounts("+row+")", map[string]any{fmt.Sprintf("col%d", i): i})
				if err != nil || status == http.StatusNoContent {
					return
				}
				time.Sleep(10 * time.Millisecond) // 429: try again
			}
		}(i)
	}
	pw.Wait()
	got, _ := e.Row("accounts", row)
	for i := 0; i < 40; i++ {
		if got[fmt.Sprintf("col%d", i)] != int64(i) {
			t.Fatalf("col%d = %v: a concurrent update was lost", i, got[fmt.Sprintf("col%d", i)])
		}
	}
}

// rawRequest is doRequest without t.Fatal, for use from goroutines.
func rawRequest(e *Emulator, token, method, path string, body any) (int, http.Header, []byte, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(method, e.URL()+"/api/data/v9.2/"+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.HTTPClient().Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, buf.Bytes(), nil
}

// §6 "6000 requests per sliding 300 s … Retry-After: <seconds>; codes 0x80072322 (count)".
func TestRequestWindowLimit(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, Options{MaxRequestsPerWindow: 5, Window: time.Minute})
	c := newClient(t, e)
	for i := 0; i < 5; i++ {
		c.do("GET", "WhoAmI", nil).mustStatus(t, http.StatusOK)
	}
	r := c.do("GET", "WhoAmI", nil)
	r.mustFail(t, http.StatusTooManyRequests, codeThrottleCount, "6th request")
	wait, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || wait < 1 || wait > 60 {
		t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	// Rejected requests do not use up the window; once it slides past the
	// first requests, requests are admitted again.
	e.clockSkew.Store(int64(61 * time.Second))
	c.do("GET", "WhoAmI", nil).mustStatus(t, http.StatusOK)
	if s := e.Stats(); s.Throttled != 1 || s.Requests.Total != 7 {
		t.Fatalf("stats = %+v", s)
	}
}

// FaultRate answers a share of requests 502/503/504 before anything else, reproducibly for a seed.
func TestFaultsAreReproducible(t *testing.T) {
	t.Parallel()
	sequence := func(seed int64) (string, Stats) {
		e := startEmulator(t, Options{FaultRate: 0.5, Seed: seed})
		var out []string
		for i := 0; i < 30; i++ {
			// No token at all: a fault is answered before authentication.
			r := doRequest(t, e, "", "GET", "serviceendpoints", nil)
			out = append(out, strconv.Itoa(r.status))
		}
		return strings.Join(out, " "), e.Stats()
	}
	a, statsA := sequence(42)
	b, _ := sequence(42)
	other, _ := sequence(7)
	if a != b {
		t.Fatalf("same seed, different faults:\n%s\n%s", a, b)
	}
	if a == other {
		t.Fatalf("different seeds gave the same 30 outcomes: %s", a)
	}
	faults := strings.Count(a, "502") + strings.Count(a, "503") + strings.Count(a, "504")
	if faults == 0 || strings.Count(a, "401") == 0 || faults+strings.Count(a, "401") != 30 {
		t.Fatalf("outcomes %s", a)
	}
	if statsA.Faults != int64(faults) || statsA.Requests.Total != 30 {
		t.Fatalf("stats %+v, %d faults seen", statsA, faults)
	}
}

// DropAfterCommitRate commits a write and drops the connection without an answer.
func TestDropAfterCommit(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, Options{DropAfterCommitRate: 1})
	c := newClient(t, e)
	id := newGUID()
	_, _, _, err := rawRequest(e, c.token, "POST", "accounts", map[string]any{"accountid": id, "name": "dropped"})
	if err == nil {
		t.Fatal("the write was answered")
	}
	if _, ok := e.Row("accounts", id); !ok {
		t.Fatal("the dropped write was not committed")
	}
	// Reads are answered.
	c.do("GET", "accounts("+id+")", nil).mustStatus(t, http.StatusOK)
	if st := e.Stats(); st.Dropped != 1 || st.Requests.Total != 2 {
		t.Errorf("stats count %d dropped answers in %d requests, want 1 in 2", st.Dropped, st.Requests.Total)
	}
}

// Latency is applied to every Web API request.
func TestLatency(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, Options{Latency: 30 * time.Millisecond, LatencyJitter: 10 * time.Millisecond})
	c := newClient(t, e)
	start := time.Now()
	c.do("GET", "WhoAmI", nil).mustStatus(t, http.StatusOK)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("request took %v, less than the latency", d)
	}
}

// GET /_emulator/stats returns the counters; POST /_emulator/reset zeroes them.
// Token requests and these endpoints are not counted as requests.
func TestStatsEndpoints(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, Options{})
	c := newClient(t, e)
	c.do("GET", "serviceendpoints", nil).mustStatus(t, http.StatusOK)
	c.do("GET", "serviceendpoints(@id)?@id="+newGUID(), nil).mustStatus(t, http.StatusNotFound)
	c.do("POST", "accounts", map[string]any{"name": "x"}).mustStatus(t, http.StatusNoContent)
	doRequest(t, e, "", "GET", "accounts", nil).mustStatus(t, http.StatusUnauthorized)

	r := doRequest(t, e, c.token, "GET", "/_emulator/stats", nil).mustStatus(t, http.StatusOK)
	var s Stats
	if err := json.Unmarshal(r.raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Requests.Total != 4 || s.Requests.ByMethod["GET"] != 3 || s.Requests.ByMethod["POST"] != 1 ||
		s.Requests.ByEntitySet["serviceendpoints"] != 2 || s.Requests.ByEntitySet["accounts"] != 2 || s.TokenRequests != 1 {
		t.Fatalf("stats = %s", r.raw)
	}
	doRequest(t, e, c.token, "POST", "/_emulator/reset", nil).mustStatus(t, http.StatusNoContent)
	if s := e.Stats(); s.Requests.Total != 0 || s.TokenRequests != 0 || len(s.Requests.ByMethod) != 0 {
		t.Fatalf("stats after reset = %+v", s)
	}
	doRequest(t, e, c.token, "GET", "/_emulator/reset", nil).mustStatus(t, http.StatusMethodNotAllowed)
}

// A relative StateDir still gives an absolute SSL_CERT_FILE: the environment the emulator writes
// is used from other folders.
func TestRelativeStateDirGivesAnAbsoluteCAFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	e := startEmulator(t, Options{StateDir: "state"})
	got := e.Env()["SSL_CERT_FILE"]
	if !filepath.IsAbs(got) {
		t.Fatalf("SSL_CERT_FILE = %q, want an absolute path", got)
	}
	// The temporary folder may be reached through a symbolic link (macOS).
	resolved, err := filepath.EvalSymlinks(got)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(filepath.Join(dir, "state", "ca.pem")); resolved != want {
		t.Fatalf("SSL_CERT_FILE = %q, want the CA file in %s", got, want)
	}
}

// StateDir keeps the CA, the secret and the rows across restarts; without it
// the CA file lives in a temporary directory Close removes.
func TestStateDirAndFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := Start(Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, first)
	hook := c.createWebhook("hook-persisted", "https://r.example/p", 4, "persisted-key")
	ca, secret := first.CACertPEM(), first.ClientSecret()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := startEmulator(t, Options{StateDir: dir})
	if !bytes.Equal(second.CACertPEM(), ca) || second.ClientSecret() != secret {
		t.Fatal("the CA or the secret changed across a restart")
	}
	if second.CAFile() != filepath.Join(dir, "ca.pem") {
		t.Fatalf("CAFile = %s", second.CAFile())
	}
	c2 := newClient(t, second)
	r := c2.do("GET", "serviceendpoints("+hook+")?$select=name,isauthvalueset", nil).mustStatus(t, http.StatusOK)
	if r.body["name"] != "hook-persisted" || r.body["isauthvalueset"] != true {
		t.Fatalf("row after restart = %v", r.body)
	}
	if v, _ := second.AuthValue(hook); v != "persisted-key" {
		t.Fatalf("auth value after restart = %q", v)
	}

	temp, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := temp.Env()
	pem, err := os.ReadFile(env["SSL_CERT_FILE"])
	if err != nil || !bytes.Equal(pem, temp.CACertPEM()) {
		t.Fatalf("SSL_CERT_FILE %s: %v", env["SSL_CERT_FILE"], err)
	}
	for _, k := range []string{"DATAVERSE_URL", "DATAVERSE_TENANT_ID", "DATAVERSE_CLIENT_ID", "DATAVERSE_CLIENT_SECRET", "DATAVERSE_AUTHORITY_HOST"} {
		if env[k] == "" {
			t.Fatalf("%s missing from %v", k, env)
		}
	}
	if env["DATAVERSE_URL"] != temp.URL() || !strings.HasPrefix(temp.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL = %s", temp.URL())
	}
	if err := temp.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(env["SSL_CERT_FILE"]); !os.IsNotExist(err) {
		t.Fatalf("CA file survived Close: %v", err)
	}
	if err := temp.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// Drift helpers change rows behind the Web API's back.
func TestDriftHelpers(t *testing.T) {
	t.Parallel()
	e, c, hook, step := hookedStep(t, "hook-drift", "https://r.example/drift", "drift step", "account")
	if err := e.PatchRow("serviceendpoints", hook, map[string]any{"url": "https://r.example/drifted", "authvalue": ""}); err != nil {
		t.Fatal(err)
	}
	r := c.do("GET", "serviceendpoints("+hook+")?$select=url,isauthvalueset", nil).mustStatus(t, http.StatusOK)
	if r.body["url"] != "https://r.example/drifted" || r.body["isauthvalueset"] != false {
		t.Fatalf("drifted row = %v", r.body)
	}
	if err := e.PatchRow("serviceendpoints", newGUID(), nil); err == nil {
		t.Fatal("PatchRow of a missing row succeeded")
	}
	if err := e.DeleteRow("serviceendpoints", hook); err != nil {
		t.Fatal(err)
	}
	c.do("GET", "sdkmessageprocessingsteps("+step+")", nil).mustStatus(t, http.StatusNotFound)
	if err := e.DeleteRow("nosuchset", hook); err == nil {
		t.Fatal("DeleteRow of an unknown set succeeded")
	}
}

// Emulators started with one CA are trusted through one CA file.
func TestSharedCA(t *testing.T) {
	t.Parallel()
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	a := startEmulator(t, Options{CA: ca})
	b := startEmulator(t, Options{CA: ca, StateDir: t.TempDir()})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca.CertPEM()) {
		t.Fatal("CertPEM holds no certificate")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, e := range []*Emulator{a, b} {
		if !bytes.Equal(e.CACertPEM(), ca.CertPEM()) {
			t.Fatal("CACertPEM is not the shared CA")
		}
		if file, err := os.ReadFile(e.CAFile()); err != nil || !bytes.Equal(file, ca.CertPEM()) {
			t.Fatalf("CAFile %s does not hold the shared CA: %v", e.CAFile(), err)
		}
		resp, err := client.Get(e.URL() + "/api/data/v9.2/WhoAmI")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
}
