package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

// TestDemo runs the whole demo, as `make demo` does, and checks that it leaves no temporary
// folder behind.
func TestDemo(t *testing.T) {
	if _, err := exec.LookPath(tfcli.TerraformPath()); err != nil {
		t.Skipf("the demo drives the Terraform CLI, and %q is not found: run make terraform-check, or set TF_ACC_TERRAFORM_PATH", tfcli.TerraformPath())
	}
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "dataverse-demo-*"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	printed, err := os.CreateTemp(t.TempDir(), "demo-output-*")
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = printed
	err = run(ctx)
	os.Stdout = stdout
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(printed.Name())
	if err != nil {
		t.Fatal(err)
	}
	// What the person sees: every delivery names its step by id, and no value fails to print.
	if strings.Contains(string(text), "%!") {
		t.Errorf("the demo printed a formatting error:\n%s", text)
	}
	if !regexp.MustCompile(`receiver got POST: Create of contact \(PostOperation, Synchronous\) from step [0-9a-f-]{36} `).Match(text) ||
		!strings.Contains(string(text), `Post-image "created" arrived`) {
		t.Errorf("the demo did not show the Create step's delivery with its post-image:\n%s", text)
	}
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "dataverse-demo-*"))
	if len(after) > len(before) {
		t.Errorf("the demo left temporary folders behind: %v", after)
	}
}

// TestStartedAt: the reported time counts from when make demo began, never from the future or
// from an unreadable value.
func TestStartedAt(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	earlier := now.Add(-20 * time.Second)
	for env, want := range map[string]time.Time{
		"":                    now,
		"1800000000N":         now, // date without %N support
		"-5":                  now,
		"1800000060000000000": now, // later than now
		strconv.FormatInt(earlier.UnixNano(), 10): earlier,
	} {
		if got := startedAt(env, now); !got.Equal(want) {
			t.Errorf("startedAt(%q) = %v, want %v", env, got, want)
		}
	}
}

func TestStageAndModeNames(t *testing.T) {
	if got := stageName(float64(40)); got != "PostOperation" {
		t.Errorf("stage 40 = %q", got)
	}
	if got := modeName(float64(0)); got != "Synchronous" {
		t.Errorf("mode 0 = %q", got)
	}
}

// Any local process can post to the demo's receiver: a post without its key is answered 401 and
// neither kept nor shown, and what a post with the key carries is printed without the controls
// that could rewrite the terminal.
// A post without the key is refused before its body is read: any local process can post to the
// receiver, and one that sends a long body slowly must not hold a handler.
func TestReceiverRefusesAPostWithoutTheKeyBeforeItsBody(t *testing.T) {
	rcv, err := startReceiver(context.Background(), "the-key")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rcv.srv.Close() })
	conn, err := net.Dial("tcp", strings.TrimPrefix(rcv.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A megabyte announced, a few bytes sent, and nothing more.
	if _, err := io.WriteString(conn, "POST /dataverse HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Content-Length: 1048576\r\n\r\n{\"MessageName\":"); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("a post without the key and with an unfinished body got no answer: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("answered %d, want 401", resp.StatusCode)
	}
}

func TestReceiverShowsOnlyKeyedPostsAsPlainText(t *testing.T) {
	ctx := context.Background()
	rcv, err := startReceiver(ctx, "the-key")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rcv.srv.Close() })
	post := func(key, body string) int {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, rcv.url+"/dataverse", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("x-api-key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	forged := `{"MessageName":"\u001b]0;owned\u0007Create","PrimaryEntityName":"x\n==> Done","OwningExtension":{"Id":"\u001b[31mred"},` +
		`"PostEntityImages":[{"key":"created","value":{"Attributes":[{"key":"k","value":"\u001b[8mhidden"}]}}]}`
	if got := post("", forged); got != http.StatusUnauthorized {
		t.Fatalf("a post without the key was answered %d, want 401", got)
	}
	if got := post("the-key", forged); got != http.StatusOK {
		t.Fatalf("a post with the key was answered %d, want 200", got)
	}

	printed, err := os.CreateTemp(t.TempDir(), "receiver-output-*")
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = printed
	got := rcv.show()
	os.Stdout = stdout
	text, err := os.ReadFile(printed.Name())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Errorf("%d deliveries shown, want only the one with the key", len(got))
	}
	if strings.ContainsAny(string(text), "\x1b\x07") || strings.Contains(string(text), "\n==> Done") {
		t.Errorf("the receiver printed a sender's controls or a forged line:\n%q", text)
	}
	if !strings.Contains(string(text), "refused 1 post(s) without its key") || !strings.Contains(string(text), "of x ==> Done") {
		t.Errorf("the receiver did not say what it refused, or lost the text:\n%s", text)
	}
}
