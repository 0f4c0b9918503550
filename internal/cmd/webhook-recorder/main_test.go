package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/webhookrecorder"
)

func TestRunRecordsAndHandsBack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var warned strings.Builder
	l, err := listen(ctx, []string{"--addr", "127.0.0.1:0"}, "", &warned)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warned.String(), "WEBHOOK_RECORDER_TOKEN is not set") {
		t.Errorf("without a read token it said %q, want a warning naming WEBHOOK_RECORDER_TOKEN", warned.String())
	}
	if !strings.HasPrefix(l.url, "http://127.0.0.1:") {
		t.Fatalf("url = %q, want plain HTTP on loopback", l.url)
	}
	done := make(chan error, 1)
	go func() { done <- l.serve(ctx) }()

	resp, err := http.Post(l.url+"/api/accounts?code=k", "application/json", strings.NewReader(`{"MessageName":"Update"}`)) //nolint:noctx // a test's one-off post
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST answered %s", resp.Status)
	}
	posts, err := webhookrecorder.Read(ctx, http.DefaultClient, l.url+"/api/accounts", "")
	if err != nil || len(posts) != 1 || string(posts[0].Body) != `{"MessageName":"Update"}` {
		t.Fatalf("posts = %+v, %v; want the one posted", posts, err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after its context ended: %v", err)
	}
}

func TestRunWithAReadTokenGuardsReadsAndDoesNotWarn(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var warned strings.Builder
	l, err := listen(ctx, []string{"--addr", "127.0.0.1:0"}, "reader-token", &warned)
	if err != nil {
		t.Fatal(err)
	}
	if warned.Len() != 0 {
		t.Errorf("with a read token it said %q, want nothing", warned.String())
	}
	go func() { _ = l.serve(ctx) }()
	if _, err := webhookrecorder.Read(ctx, http.DefaultClient, l.url+"/api/accounts", ""); err == nil {
		t.Error("a read without the token was answered, want it refused")
	}
	if _, err := webhookrecorder.Read(ctx, http.DefaultClient, l.url+"/api/accounts", "reader-token"); err != nil {
		t.Errorf("a read with the token: %v", err)
	}
}

func TestRunRefusesHalfATLSConfiguration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", junk}, "go together"},
		{[]string{"--tls-cert", junk, "--tls-key", junk}, "loading --tls-cert"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		var out strings.Builder
		err := run(context.Background(), append([]string{"--addr", "127.0.0.1:0"}, tc.args...), &out, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one saying %q", tc.args, err, tc.want)
		}
		if strings.Contains(out.String(), "listening") {
			t.Errorf("%v: it listened before refusing", tc.args)
		}
	}
}
