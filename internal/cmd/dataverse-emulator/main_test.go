package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestShellQuote(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"plain", "'plain'"},
		{"", "''"},
		{"it's", `'it'\''s'`},
		{"$HOME `x` \"y\"", "'$HOME `x` \"y\"'"},
	}
	for _, tc := range cases {
		if got := shellQuote(tc.in); got != tc.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// The quoted lines survive a real shell unchanged.
func TestExportLinesInAShell(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	lines := exportLines(map[string]string{"B_VALUE": `a'b "c" $d`, "A_VALUE": "x"})
	if !strings.HasPrefix(lines, "export A_VALUE='x'\n") {
		t.Fatalf("lines not sorted: %s", lines)
	}
	out, err := exec.Command(sh, "-c", lines+`printf '%s' "$B_VALUE"`).Output()
	if err != nil || string(out) != `a'b "c" $d` {
		t.Fatalf("shell read %q, %v", out, err)
	}
}

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startRun runs the command with args and an env file until the test ends, and returns the
// variables the file exports.
func startRun(t *testing.T, envFile string, args ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"--env-file", envFile}, args...), &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})

	// Wait for the listening line, which is printed after the env file is written.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stdout.String(), "listening on") {
		if time.Now().After(deadline) {
			t.Fatalf("no listening line; stderr: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	data, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), string(data)) {
		t.Errorf("stdout does not repeat the env file:\n%s\n---\n%s", stdout.String(), data)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		name, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok || !strings.HasPrefix(line, "export ") {
			t.Fatalf("bad line %q", line)
		}
		env[name] = strings.Trim(value, "'")
	}
	return env
}

// trusting is an HTTP client that trusts the CA of an env file's SSL_CERT_FILE.
func trusting(t *testing.T, env map[string]string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(env["SSL_CERT_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("SSL_CERT_FILE holds no certificate")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func TestRunWritesEnvironmentAndServes(t *testing.T) {
	t.Parallel()
	envFile := filepath.Join(t.TempDir(), "dataverse.env")
	// A file left readable by others from an earlier run is made private before the secret goes in.
	if err := os.WriteFile(envFile, []byte("export OLD=1\n"), 0o644); err != nil { //nolint:gosec // the point of the test
		t.Fatal(err)
	}
	var caFile string
	t.Cleanup(func() {
		// Runs after the command has stopped.
		if _, err := os.Stat(caFile); !os.IsNotExist(err) {
			t.Errorf("temporary CA file left behind: %v", err)
		}
	})
	env := startRun(t, envFile, "--max-concurrent", "10", "--latency", "1ms")
	caFile = env["SSL_CERT_FILE"]
	if info, _ := os.Stat(envFile); info.Mode().Perm() != 0o600 {
		t.Errorf("env file mode %v, want 0600", info.Mode().Perm())
	}
	for _, k := range []string{"DATAVERSE_URL", "DATAVERSE_TENANT_ID", "DATAVERSE_CLIENT_ID", "DATAVERSE_CLIENT_SECRET",
		"DATAVERSE_AUTHORITY_HOST", "SSL_CERT_FILE", "CURL_CA_BUNDLE"} {
		if env[k] == "" {
			t.Errorf("%s missing", k)
		}
	}

	if env["ACTIONS_ID_TOKEN_REQUEST_URL"] != "" {
		t.Error("a GitHub Actions token endpoint without --github-actions")
	}

	// The CA named by SSL_CERT_FILE verifies the server.
	resp, err := trusting(t, env).Get(env["DATAVERSE_URL"] + "/api/data/v9.2/WhoAmI")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unauthenticated WhoAmI: %d", resp.StatusCode)
	}
}

// With --github-actions, the application signs in with the token the job's endpoint gives, as
// a GitHub Actions workflow does, and with no secret.
func TestRunServesAGitHubActionsJob(t *testing.T) {
	t.Parallel()
	env := startRun(t, filepath.Join(t.TempDir(), "dataverse.env"), "--github-actions")
	client := trusting(t, env)
	req, err := http.NewRequest(http.MethodGet, env["ACTIONS_ID_TOKEN_REQUEST_URL"]+"&audience=api://AzureADTokenExchange", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
	var jobToken struct{ Value string }
	getJSON(t, client, req, &jobToken)

	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {env["DATAVERSE_CLIENT_ID"]}, "scope": {env["DATAVERSE_URL"] + "/.default"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {jobToken.Value},
	}
	req, err = http.NewRequest(http.MethodPost, env["DATAVERSE_AUTHORITY_HOST"]+"/"+env["DATAVERSE_TENANT_ID"]+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var access struct {
		AccessToken string `json:"access_token"`
	}
	getJSON(t, client, req, &access)
	if access.AccessToken == "" {
		t.Fatal("the token service gave no access token for the job's token")
	}
}

// getJSON sends req and decodes its 200 answer into v.
func getJSON(t *testing.T, c *http.Client, req *http.Request, v any) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d: %s", req.Method, req.URL.Path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"--no-such-flag"}, &out, &errOut); err == nil {
		t.Fatal("unknown flag accepted")
	}
	if err := run(context.Background(), []string{"extra"}, &out, &errOut); err == nil {
		t.Fatal("positional argument accepted")
	}
	errOut.Reset()
	if err := run(context.Background(), []string{"--help"}, &out, &errOut); err != nil || !strings.Contains(errOut.String(), "-drop-after-commit-rate") {
		t.Fatalf("--help: %v; usage %q", err, errOut.String())
	}
}

func TestRunListensBeyondLoopbackOnlyWhenAllowed(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"--addr", "0.0.0.0:0"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "--allow-non-loopback") {
		t.Fatalf("--addr 0.0.0.0:0 alone: %v, want a refusal naming --allow-non-loopback", err)
	}
}
