// Package tfcli runs the Terraform CLI against a locally built provider, the way a user does:
// a built binary found through a dev_overrides CLI configuration, no registry and no init.
// The demo, the benchmark and the end-to-end tests share it.
package tfcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/registry"
)

// OverriddenSource is the address the CLI configuration overrides: registry.Address on the host
// TF_ACC_PROVIDER_HOST names, when set. OpenTofu resolves the source "dataverse-terraform/dataverse"
// on registry.opentofu.org, where an override for registry.terraform.io does not apply.
func OverriddenSource() string {
	if host := os.Getenv("TF_ACC_PROVIDER_HOST"); host != "" {
		return host + "/" + registry.Source
	}
	return registry.Address
}

// BinaryName is the file name Terraform looks for in a dev_overrides folder.
const BinaryName = "terraform-provider-dataverse"

// TerraformPath is the Terraform (or OpenTofu) binary to run: TF_ACC_TERRAFORM_PATH when set.
func TerraformPath() string {
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	return "terraform"
}

// BuildProvider compiles the provider from the module at moduleDir into outDir and returns outDir.
func BuildProvider(ctx context.Context, moduleDir, outDir string) (string, error) {
	if err := os.MkdirAll(outDir, 0o750); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(outDir, BinaryName), ".")
	cmd.Dir = moduleDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building the provider: %w\n%s", err, out)
	}
	return outDir, nil
}

// ModuleDir finds the root of the Go module containing dir.
func ModuleDir(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no go.mod above " + dir)
		}
	}
}

// Scratch finds the module that holds the working directory and makes a temporary directory,
// named after pattern as os.MkdirTemp names it, for builds and workspaces; the caller removes it.
func Scratch(pattern string) (moduleDir, tmp string, err error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", "", err
	}
	if moduleDir, err = ModuleDir(wd); err != nil {
		return "", "", err
	}
	tmp, err = os.MkdirTemp("", pattern)
	return moduleDir, tmp, err
}

// Workspace is a folder holding one Terraform configuration and its state.
type Workspace struct {
	Dir       string
	Terraform string
	// Env is added to the environment of every command, after the process environment.
	Env           []string
	cliConfigFile string
}

// NewWorkspace prepares dir (created if missing) and a CLI configuration, outside dir, that
// points Terraform at the provider binary in providerDir.
func NewWorkspace(dir, providerDir string) (*Workspace, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	absProvider, err := filepath.Abs(providerDir)
	if err != nil {
		return nil, err
	}
	cfgDir, err := os.MkdirTemp("", "tfcli-config-")
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(cfgDir, "terraform.rc")
	body := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", OverriddenSource(), absProvider)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		return nil, err
	}
	return &Workspace{Dir: dir, Terraform: TerraformPath(), cliConfigFile: cfg}, nil
}

// Close removes the CLI configuration (not the workspace folder, which the caller owns).
func (w *Workspace) Close() error {
	return os.RemoveAll(filepath.Dir(w.cliConfigFile))
}

// WriteFile writes a file into the workspace.
func (w *Workspace) WriteFile(name, content string) error {
	return os.WriteFile(filepath.Join(w.Dir, name), []byte(content), 0o600)
}

// Result is what one command printed.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

// Run runs terraform with args in the workspace. A non-zero exit is returned as an error
// along with the output.
func (w *Workspace) Run(ctx context.Context, args ...string) (Result, error) {
	cmd := w.Command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	if err != nil {
		return res, fmt.Errorf("terraform %s: %w\n%s", strings.Join(args, " "), err, lastLines(res.Stderr+res.Stdout, 40))
	}
	return res, nil
}

// Command builds the exec.Cmd for a terraform command without running it, for callers that
// stream its output or signal it.
func (w *Workspace) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.Terraform, args...)
	cmd.Dir = w.Dir
	cmd.Env = append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+w.cliConfigFile,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
	)
	cmd.Env = append(cmd.Env, w.Env...)
	return cmd
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
