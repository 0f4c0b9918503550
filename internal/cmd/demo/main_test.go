package main

import (
	"context"
	"os"
	"path/filepath"
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
