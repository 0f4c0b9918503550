package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestDemo runs the whole demo, as `make demo` does, and checks that it leaves no temporary
// folder behind.
func TestDemo(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("the demo drives the Terraform CLI; set TF_ACC=1 (make test does)")
	}
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "dataverse-demo-*"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx); err != nil {
		t.Fatal(err)
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
