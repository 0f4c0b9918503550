// Command dataverse-emulator runs the local Dataverse emulator in the
// foreground until it is interrupted.
//
// It prints the environment a client needs as shell export lines (and writes
// them to --env-file), so that after `source FILE` the provider, its tests or
// curl can talk to it:
//
//	go run ./internal/cmd/dataverse-emulator --env-file /tmp/dataverse.env &
//	source /tmp/dataverse.env
//	TOKEN=$(curl -s "$DATAVERSE_AUTHORITY_HOST/$DATAVERSE_TENANT_ID/oauth2/v2.0/token" \
//	  -d grant_type=client_credentials -d client_id="$DATAVERSE_CLIENT_ID" \
//	  --data-urlencode client_secret="$DATAVERSE_CLIENT_SECRET" \
//	  --data-urlencode scope="$DATAVERSE_URL/.default" | jq -r .access_token)
//	curl -H "Authorization: Bearer $TOKEN" "$DATAVERSE_URL/api/data/v9.2/WhoAmI"
//	curl -H "Authorization: Bearer $TOKEN" "$DATAVERSE_URL/_emulator/stats"
//
// It listens on 127.0.0.1 only, unless --allow-non-loopback is given together with an --addr
// such as 0.0.0.0:8443. Its own endpoints (/_emulator/stats, /_emulator/reset) need a bearer
// token like the Web API. With -v it logs every request and delivery, never a query string or
// a key.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/entra"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dataverse-emulator:", err)
		os.Exit(1)
	}
}

// run parses flags, starts the emulator and blocks until ctx is done or a
// SIGINT/SIGTERM arrives.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dataverse-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o             emulator.Options
		envFile       string
		verbose       bool
		githubActions bool
	)
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:0", "listen `address`; a loopback address unless --allow-non-loopback is given")
	fs.StringVar(&o.Host, "host", "", "`name` clients reach the emulator by, resolving to the listen address (default: its IP); the environment URL, certificate and token audience use it")
	fs.BoolVar(&o.AllowNonLoopback, "allow-non-loopback", false, "let --addr name an interface other than loopback, or all of them (:PORT, 0.0.0.0:PORT)")
	fs.StringVar(&envFile, "env-file", "", "write the client environment as shell export lines to this `file`")
	fs.DurationVar(&o.Latency, "latency", 0, "latency added to every Web API request")
	fs.DurationVar(&o.LatencyJitter, "latency-jitter", 0, "random extra latency, up to this much")
	fs.IntVar(&o.MaxConcurrent, "max-concurrent", emulator.DefaultMaxConcurrent, "concurrent requests per user (negative: unlimited)")
	fs.IntVar(&o.MaxRequestsPerWindow, "max-requests-per-window", emulator.DefaultMaxRequestsPerWindow, "requests per user in the sliding window (negative: unlimited)")
	fs.DurationVar(&o.Window, "window", emulator.DefaultWindow, "sliding window of --max-requests-per-window")
	fs.Float64Var(&o.FaultRate, "fault-rate", 0, "share of Web API requests answered 502/503/504")
	fs.Float64Var(&o.DropAfterCommitRate, "drop-after-commit-rate", 0, "share of writes committed and then answered by dropping the connection")
	fs.Int64Var(&o.Seed, "seed", 0, "seed of faults, dropped responses and latency jitter")
	fs.StringVar(&o.StateDir, "state-dir", "", "keep certificates, client secret and rows in this `directory` across restarts")
	fs.DurationVar(&o.DeliveryTimeout, "delivery-timeout", emulator.DefaultDeliveryTimeout, "timeout of one webhook delivery attempt")
	fs.BoolVar(&githubActions, "github-actions", false, "let the application sign in with workload identity federation as a GitHub Actions job of "+
		"contoso/infra on main, and add the job's ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN to the environment")
	fs.BoolVar(&verbose, "v", false, "log requests and deliveries to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // usage was printed
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	em, err := emulator.Start(o)
	if err != nil {
		return err
	}
	defer em.Close()

	env := em.Env()
	if githubActions {
		em.Entra().RegisterFederatedClient(em.ClientID(), em.Entra().FederatedIssuer(), entra.GitHubActionsSubject)
		env["ACTIONS_ID_TOKEN_REQUEST_URL"], env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = em.Entra().GitHubActionsRequest()
	}
	// curl builds that name a CA file at compile time ignore SSL_CERT_FILE
	// but honor CURL_CA_BUNDLE.
	env["CURL_CA_BUNDLE"] = env["SSL_CERT_FILE"]
	lines := exportLines(env)
	if envFile != "" {
		if err := writePrivateFile(envFile, []byte(lines)); err != nil {
			return fmt.Errorf("write %s: %w", envFile, err)
		}
	}
	fmt.Fprint(stdout, lines)
	fmt.Fprintf(stdout, "# Dataverse emulator listening on %s (Web API %s/api/data/v9.2/)\n", em.URL(), em.URL())

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return em.Close()
}

// writePrivateFile writes data, the client secret among it, readable by the owner only: the mode
// of WriteFile applies to a file it creates, not to one that exists.
func writePrivateFile(name string, data []byte) error {
	if err := os.WriteFile(name, nil, 0o600); err != nil {
		return err
	}
	if err := os.Chmod(name, 0o600); err != nil {
		return err
	}
	return os.WriteFile(name, data, 0o600)
}

// exportLines renders the environment as `export NAME='value'` lines, sorted by name.
func exportLines(env map[string]string) string {
	names := slices.Sorted(maps.Keys(env))
	var b strings.Builder
	for _, name := range names {
		fmt.Fprintf(&b, "export %s=%s\n", name, shellQuote(env[name]))
	}
	return b.String()
}

// shellQuote single-quotes a value for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
