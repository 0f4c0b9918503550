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
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, command, args...)
		cmd.Stdout = &stdout
		cmd.Stderr = &stderr
		cmd.WaitDelay = 5 * time.Second
		if err := cmd.Run(); err != nil {
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
