// Command webhook-recorder answers 200 to every webhook POST, keeps what it received, and hands
// it back on a GET of the same path (see package webhookrecorder). Run where Dataverse can reach
// it, it is the receiver of the live scenarios that check what a webhook receives:
//
//	go run ./internal/cmd/webhook-recorder --addr :8443 --tls-cert cert.pem --tls-key key.pem
//	DATAVERSE_ACC_RECORDER_URL=https://recorder.example.com:8443 make testacc
//
// Serve it over TLS, itself or behind something that terminates TLS: a webhook key travels in
// the URL's query. Anyone who knows a path can read what was posted to it; the scenarios post
// to paths carrying their run's random prefix, with keys that guard nothing.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/webhookrecorder"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "webhook-recorder:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done or a SIGINT/SIGTERM arrives.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := listen(ctx, args, stderr)
	if err != nil || l == nil {
		return err
	}
	fmt.Fprintf(stdout, "# webhook recorder listening on %s\n", l.url)
	return l.serve(ctx)
}

// listening is a recorder bound to its address, not yet serving.
type listening struct {
	url string
	ln  net.Listener
	srv *http.Server
}

// listen parses the flags and binds the address; it returns nil, nil when only usage was asked.
func listen(ctx context.Context, args []string, stderr io.Writer) (*listening, error) {
	fs := flag.NewFlagSet("webhook-recorder", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr, certFile, keyFile string
		rec                     webhookrecorder.Recorder
	)
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "listen `address`, such as :8443 for every interface")
	fs.StringVar(&certFile, "tls-cert", "", "serve TLS with the certificate chain in this PEM `file` (with --tls-key)")
	fs.StringVar(&keyFile, "tls-key", "", "the private key of --tls-cert, a PEM `file`")
	fs.IntVar(&rec.MaxKept, "max-kept", webhookrecorder.DefaultMaxKept, "`bytes` of bodies kept in all; later posts are refused with 507")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	var tlsConfig *tls.Config
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("loading --tls-cert and --tls-key: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if tlsConfig != nil {
		ln, scheme = tls.NewListener(ln, tlsConfig), "https"
	}
	return &listening{
		url: scheme + "://" + ln.Addr().String(),
		ln:  ln,
		srv: &http.Server{Handler: &rec, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute},
	}, nil
}

// serve answers until ctx is done, then lets the requests in flight finish.
func (l *listening) serve(ctx context.Context) error {
	served := make(chan error, 1)
	go func() { served <- l.srv.Serve(l.ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := l.srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
