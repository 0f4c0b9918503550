package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
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

func TestRunWritesEnvironmentAndServes(t *testing.T) {
	t.Parallel()
	envFile := filepath.Join(t.TempDir(), "dataverse.env")
	// A file left readable by others from an earlier run is made private before the secret goes in.
	if err := os.WriteFile(envFile, []byte("export OLD=1\n"), 0o644); err != nil { //nolint:gosec // the point of the test
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--env-file", envFile, "--max-concurrent", "10", "--latency", "1ms"}, &stdout, &stderr)
	}()

	// Wait for the listening line, which is printed after the env file is written.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stdout.String(), "listening on") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no listening line; stderr: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	data, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(envFile); info.Mode().Perm() != 0o600 {
		t.Errorf("env file mode %v, want 0600", info.Mode().Perm())
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
	for _, k := range []string{"DATAVERSE_URL", "DATAVERSE_TENANT_ID", "DATAVERSE_CLIENT_ID", "DATAVERSE_CLIENT_SECRET",
		"DATAVERSE_AUTHORITY_HOST", "SSL_CERT_FILE", "CURL_CA_BUNDLE"} {
		if env[k] == "" {
			t.Errorf("%s missing", k)
		}
	}

	// The CA named by SSL_CERT_FILE verifies the server.
	pem, err := os.ReadFile(env["SSL_CERT_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("SSL_CERT_FILE holds no certificate")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(env["DATAVERSE_URL"] + "/api/data/v9.2/WhoAmI")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unauthenticated WhoAmI: %d", resp.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := os.Stat(env["SSL_CERT_FILE"]); !os.IsNotExist(err) {
		t.Errorf("temporary CA file left behind: %v", err)
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
