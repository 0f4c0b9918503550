// Command webhook-recorder keeps what webhooks post to it and hands it back (see package
// webhookrecorder): a POST with a JSON body is answered 200 and kept by path, a GET of the same
// path returns what was kept, a DELETE forgets it. Run where Dataverse can reach it, it is the
// receiver of the live scenarios that check what a webhook receives:
//
//	export WEBHOOK_RECORDER_TOKEN=$(openssl rand -hex 32)
//	go run ./internal/cmd/webhook-recorder --addr :8443 --tls-cert cert.pem --tls-key key.pem
//	DATAVERSE_ACC_RECORDER_URL=https://recorder.example.com:8443 \
//	  DATAVERSE_ACC_RECORDER_TOKEN=$WEBHOOK_RECORDER_TOKEN make testacc
//
// Serve it over TLS, itself or behind something that terminates TLS: a webhook key travels in
// the URL's query. With WEBHOOK_RECORDER_TOKEN set, reading and forgetting need it as a bearer
// token; without it, anyone who knows a path can read what was posted to it, and it says so when
// it starts.
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
	l, err := listen(ctx, args, os.Getenv("WEBHOOK_RECORDER_TOKEN"), stderr)
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
// readToken guards GET and DELETE; without one it warns, since what was posted is then open to
// anyone who can reach the address.
func listen(ctx context.Context, args []string, readToken string, stderr io.Writer) (*listening, error) {
	fs := flag.NewFlagSet("webhook-recorder", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr, certFile, keyFile string
		rec                     webhookrecorder.Recorder
	)
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "listen `address`, such as :8443 for every interface")
	fs.StringVar(&certFile, "tls-cert", "", "serve TLS with the certificate chain in this PEM `file` (with --tls-key)")
	fs.StringVar(&keyFile, "tls-key", "", "the private key of --tls-cert, a PEM `file`")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: webhook-recorder [flags]\n\nKeeps every POST with a JSON body by path; GET returns them, DELETE forgets them.\n"+
			"It keeps the headers Dataverse adds to a delivery (x-ms-dynamics-*, x-ms-correlation-request-id) and Content-Type,\n"+
			"never a webhook's own header or query secrets, so those do not show in what GET returns.\n"+
			"With WEBHOOK_RECORDER_TOKEN set, GET and DELETE need it as a bearer token.\n\n")
		fs.PrintDefaults()
	}
	fs.IntVar(&rec.MaxKept, "max-kept", webhookrecorder.DefaultMaxKept, "`bytes` kept in all; later posts are refused with 507 until a DELETE")
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
	rec.ReadToken = readToken
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if readToken == "" {
		fmt.Fprintf(stderr, "webhook-recorder: warning: WEBHOOK_RECORDER_TOKEN is not set, so anyone who can reach %s can read and forget what was posted; set it and pass the same value as DATAVERSE_ACC_RECORDER_TOKEN\n", ln.Addr())
	}
	scheme := "http"
	if tlsConfig != nil {
		ln, scheme = tls.NewListener(ln, tlsConfig), "https"
	}
	return &listening{
		url: scheme + "://" + ln.Addr().String(),
		ln:  ln,
		// Dataverse's headers are a few hundred bytes; a slow reader holds a reply a minute at most.
		srv: &http.Server{Handler: &rec, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
			WriteTimeout: time.Minute, MaxHeaderBytes: 16 << 10},
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
