package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// cliTimeout bounds one run of az, which may refresh its own tokens.
const cliTimeout = time.Minute

// az prints a token answer of a few KiB, and an error of a few lines (more under --debug in a
// cli_command wrapper); what it prints is held in memory, so a CLI that prints without end is
// stopped at these bounds.
const (
	maxCLIStdout = 1 << 20
	maxCLIStderr = 1 << 20
)

// boundedOutput keeps up to limit bytes a command writes; past it, it keeps nothing more, calls
// stop (which kills the command) and fails the write, which ends exec's copy.
type boundedOutput struct {
	name  string
	limit int
	stop  func()
	buf   bytes.Buffer
	over  bool
}

func (b *boundedOutput) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.limit {
		b.over = true
		b.stop()
		return 0, errors.New("output bound reached")
	}
	return b.buf.Write(p)
}

func (b *boundedOutput) String() string { return b.buf.String() }

func (b *boundedOutput) Bytes() []byte { return b.buf.Bytes() }

// newCLIFetcher gets tokens from the Azure CLI's signed-in account with
// `az account get-access-token`. The CLI keeps its own token cache, which a
// forced refresh cannot bypass; a token it serves is one it considers valid.
func newCLIFetcher(cfg Config, resource string) fetchFunc {
	command := cfg.CLICommand
	if command == "" {
		command = "az"
	}
	args := []string{"account", "get-access-token", "--resource", resource, "--output", "json"}
	if cfg.TenantID != "" {
		args = append(args, "--tenant", cfg.TenantID)
	}
	return func(ctx context.Context, _ bool) (string, time.Time, error) {
		ctx, cancel := context.WithTimeout(ctx, cliTimeout)
		defer cancel()
		stdout := &boundedOutput{name: "stdout", limit: maxCLIStdout, stop: cancel}
		stderr := &boundedOutput{name: "stderr", limit: maxCLIStderr, stop: cancel}
		cmd := exec.CommandContext(ctx, command, args...)
		cmd.Stdout = stdout
		cmd.Stderr = stderr
		cmd.WaitDelay = 5 * time.Second
		err := cmd.Run()
		for _, out := range []*boundedOutput{stdout, stderr} {
			if out.over {
				return "", time.Time{}, newRedactedError(fmt.Sprintf("Azure CLI authentication failed: `az account get-access-token --resource %s` printed more than %d KiB on %s; it was stopped",
					resource, out.limit>>10, out.name), err)
			}
		}
		if err != nil {
			if errors.Is(err, exec.ErrNotFound) {
				return "", time.Time{}, fmt.Errorf("the Azure CLI is needed for Azure CLI authentication, but %q was not found on PATH: install it and run az login", command)
			}
			detail := untrusted.PlainText(stderr.String())
			if detail == "" {
				detail = "it printed no error"
			}
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return "", time.Time{}, newRedactedError(fmt.Sprintf(
				"Azure CLI authentication failed: `az account get-access-token --resource %s` %v: %s", resource, err, detail), err)
		}
		token, expiresOn, err := parseCLIToken(stdout.Bytes())
		if err != nil {
			return "", time.Time{}, newRedactedError("Azure CLI authentication failed: "+err.Error(), err)
		}
		return token, expiresOn, nil
	}
}

// parseCLIToken reads az's answer: accessToken with expires_on (Unix
// seconds, Azure CLI 2.54 and later) or expiresOn (local time, older ones).
func parseCLIToken(output []byte) (string, time.Time, error) {
	var answer struct {
		AccessToken string `json:"accessToken"`
		ExpiresOn   string `json:"expiresOn"`
		ExpiresUnix *int64 `json:"expires_on"`
	}
	if err := json.Unmarshal(output, &answer); err != nil {
		return "", time.Time{}, errors.New("`az account get-access-token` printed something other than JSON")
	}
	if answer.AccessToken == "" {
		return "", time.Time{}, errors.New("`az account get-access-token` printed no accessToken")
	}
	if answer.ExpiresUnix != nil {
		return answer.AccessToken, time.Unix(*answer.ExpiresUnix, 0), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999", time.RFC3339Nano} {
		if t, err := time.ParseInLocation(layout, answer.ExpiresOn, time.Local); err == nil {
			return answer.AccessToken, t, nil
		}
	}
	return "", time.Time{}, fmt.Errorf("`az account get-access-token` printed an expiry that cannot be read: expiresOn %q", answer.ExpiresOn)
}
