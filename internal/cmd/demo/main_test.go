package main

import (
	"context"
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
