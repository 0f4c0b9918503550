// Package emulator is a local stand-in for the parts of Microsoft Dataverse
// and Microsoft Entra ID that webhook registration touches: an HTTPS Web API
// (serviceendpoints, sdkmessageprocessingsteps and their images, the message
// catalog, system jobs, a few business tables), the token service, and the
// webhook pipeline that posts to registered endpoints when business rows
// change.
//
// It follows the facts Microsoft documents (status codes, headers, error
// shapes, query options, paging, service protection limits) closely enough
// that a real client — MSAL for Go, an HTTP client, the Terraform CLI — runs
// against it unchanged. Where Dataverse's behavior is undocumented, the
// emulator picks the conservative choice and says so next to the code.
package emulator

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/entra"
)

// Emulator is a running emulator. Its methods are safe for concurrent use.
type Emulator struct {
	opts    Options
	log     *slog.Logger
	baseURL string // https://127.0.0.1:PORT

	listener net.Listener
	server   *http.Server
	certs    *certificates
	caFile   string
	tempDir  string // removed by Close when StateDir is empty

	entra        *entra.Service
	clientSecret string

	schema   map[string]*table
	store    *store
	rowLocks keyedMutex
	// tx lets a $batch changeset run alone: every other Web API request holds it shared.
	tx sync.RWMutex

	limits *limiter
	faults *chance
	drops  *chance
	jitter *chance

	stats statsCounters

	clientOnce sync.Once
	client     *http.Client

	// clockSkew shifts the emulator's clock (tests move time forward with it).
	clockSkew atomic.Int64
	// audience is what bearer tokens must be issued for: the environment URL.
	audience atomic.Pointer[string]
	// admitted, when set, runs for every request that got a concurrency slot,
	// while it holds the slot (tests use it to keep requests in flight).
	admitted atomic.Pointer[func(context.Context)]

	delivery    *http.Client
	jobSequence atomic.Int64 // the asyncoperation sequence column's last value
	bgCtx       context.Context
	bgCancel    context.CancelFunc
	asyncMu     sync.Mutex // guards asyncClosed and async.Add against Close's Wait
	asyncClosed bool
	async       sync.WaitGroup
	idle        idleTracker
	asyncSem    chan struct{}

	closeOnce sync.Once
	closeErr  error
	saverStop chan struct{}
	saverDone chan struct{}
}

// Start creates the certificates, the token service and the seeded tables,
// and starts serving HTTPS.
func Start(o Options) (*Emulator, error) {
	o = withDefaults(o)
	if err := checkListenAddr(o.Addr, o.AllowNonLoopback); err != nil {
		return nil, err
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e := &Emulator{
		opts:      o,
		log:       logger,
		schema:    newSchema(),
		limits:    newLimiter(o.MaxConcurrent, o.MaxRequestsPerWindow, o.Window),
		faults:    newChance(o.Seed),
		drops:     newChance(o.Seed + 1),
		jitter:    newChance(o.Seed + 2),
		asyncSem:  make(chan struct{}, 8),
		saverStop: make(chan struct{}),
		saverDone: make(chan struct{}),
	}
	e.stats.reset()
	e.store = newStore(e.schema)
	e.bgCtx, e.bgCancel = context.WithCancel(context.Background())

	ok := false
	defer func() {
		if !ok {
			e.bgCancel()
			if e.listener != nil {
				_ = e.listener.Close()
			}
			if e.tempDir != "" {
				_ = os.RemoveAll(e.tempDir)
			}
		}
	}()

	dir := o.StateDir
	if err := e.setUpCertificates(dir); err != nil {
		return nil, err
	}

	var err error
	var saved persisted
	var haveSaved bool
	if dir != "" {
		if saved, haveSaved, err = loadState(dir); err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
	}
	e.clientSecret = saved.ClientSecret
	if e.clientSecret == "" {
		e.clientSecret = randomSecret()
	}

	e.listener, err = (&net.ListenConfig{}).Listen(context.Background(), "tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen: %w", err)
	}
	e.baseURL = "https://" + urlHost(e.listener.Addr(), o.Host)
	e.audience.Store(&e.baseURL)

	e.entra, err = entra.New(entra.Options{
		BaseURL:       e.baseURL,
		TenantID:      DefaultTenantID,
		Audience:      e.baseURL,
		TokenLifetime: time.Hour,
		Now:           e.now,
	})
	if err != nil {
		return nil, fmt.Errorf("emulator: token service: %w", err)
	}
	e.entra.RegisterSecretClient(DefaultClientID, e.clientSecret)

	e.seed(DefaultClientID)
	if haveSaved {
		e.store.restore(saved)
		// A saved environment still needs the application user of this start.
		e.ensureApplicationUser(DefaultClientID)
	}

	e.delivery = e.newDeliveryClient()

	e.server = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{e.certs.server},
			MinVersion:   tls.VersionTLS12,
		},
		BaseContext: func(net.Listener) context.Context { return context.Background() },
	}
	tlsListener := tls.NewListener(e.listener, e.server.TLSConfig)
	go func() {
		if err := e.server.Serve(tlsListener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("serve", "error", err)
		}
	}()
	if dir != "" {
		go e.saveLoop(dir)
	} else {
		close(e.saverDone)
	}
	ok = true
	e.log.Info("emulator started", "url", e.baseURL)
	return e, nil
}

// setUpCertificates creates the state directory, the temporary directory a
// CA file may need, and the certificates, and records where the CA file is.
func (e *Emulator) setUpCertificates(dir string) error {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("emulator: state directory: %w", err)
		}
	}
	// A given CA is written to a temporary file: the state directory's
	// ca.pem belongs to the certificates kept there.
	if dir == "" || e.opts.CA != nil {
		tmp, err := os.MkdirTemp("", "dataverse-emulator-*")
		if err != nil {
			return fmt.Errorf("emulator: temporary directory: %w", err)
		}
		e.tempDir = tmp
	}

	var certs *certificates
	var err error
	if e.opts.CA != nil {
		certs, err = e.opts.CA.issue(e.now(), e.opts.Host)
	} else {
		certs, err = loadOrCreateCertificates(dir, e.now(), e.opts.Host)
	}
	if err != nil {
		return fmt.Errorf("emulator: certificates: %w", err)
	}
	e.certs = certs
	certDir := dir
	if e.tempDir != "" {
		certDir = e.tempDir
		if err := os.WriteFile(filepath.Join(certDir, caCertFile), certs.caPEM, 0o600); err != nil {
			return fmt.Errorf("emulator: write CA: %w", err)
		}
	}
	// Absolute, since the environment it is written to is used from other folders.
	caFile, err := filepath.Abs(filepath.Join(certDir, caCertFile))
	if err != nil {
		return fmt.Errorf("emulator: CA file: %w", err)
	}
	e.caFile = caFile
	return nil
}

// urlHost renders a listen address as the host part of a URL, named host when that is set.
func urlHost(a net.Addr, host string) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if host != "" {
		return net.JoinHostPort(host, strconv.Itoa(tcp.Port))
	}
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	return net.JoinHostPort(tcp.IP.String(), strconv.Itoa(tcp.Port))
}

func randomSecret() string {
	b := make([]byte, 30)
	if _, err := rand.Read(b); err != nil {
		panic("emulator: no randomness: " + err.Error())
	}
	// Entra secrets are ~40 characters of URL-safe text with a tilde.
	return "emu~" + base64.RawURLEncoding.EncodeToString(b)
}

// now is the emulator's clock.
func (e *Emulator) now() time.Time {
	return time.Now().Add(time.Duration(e.clockSkew.Load()))
}

// Close stops serving, cancels webhook deliveries still running and waits for
// them, saves the state directory, and removes temporary files.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		e.bgCancel()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.server.Shutdown(ctx); err != nil {
			_ = e.server.Close()
		}
		e.asyncMu.Lock()
		e.asyncClosed = true
		e.asyncMu.Unlock()
		e.async.Wait()
		close(e.saverStop)
		<-e.saverDone
		if e.opts.StateDir != "" {
			e.closeErr = e.store.save(e.opts.StateDir, e.clientSecret)
		}
		if e.tempDir != "" {
			if err := os.RemoveAll(e.tempDir); err != nil && e.closeErr == nil {
				e.closeErr = err
			}
		}
		if t, ok := e.delivery.Transport.(*http.Transport); ok {
			t.CloseIdleConnections()
		}
		e.clientOnce.Do(func() {}) // after this, e.client is no longer written
		if e.client != nil {
			e.client.CloseIdleConnections()
		}
	})
	return e.closeErr
}

// URL is the environment URL, https://127.0.0.1:PORT.
func (e *Emulator) URL() string { return e.baseURL }

// AuthorityHost is the token service's host (the same server).
func (e *Emulator) AuthorityHost() string { return e.baseURL }

// TenantID is the tenant of the token service.
func (e *Emulator) TenantID() string { return e.entra.TenantID() }

// ClientID is the pre-registered application (DefaultClientID).
func (e *Emulator) ClientID() string { return DefaultClientID }

// ClientSecret is the pre-registered application's secret.
func (e *Emulator) ClientSecret() string { return e.clientSecret }

// CAFile is the path of the PEM file holding the emulator's CA certificate.
func (e *Emulator) CAFile() string { return e.caFile }

// CACertPEM is the emulator's CA certificate in PEM form.
func (e *Emulator) CACertPEM() []byte { return append([]byte(nil), e.certs.caPEM...) }

// HTTPClient returns a client that trusts the emulator's CA, and reaches it by Options.Host
// whether or not that name resolves.
func (e *Emulator) HTTPClient() *http.Client {
	e.clientOnce.Do(func() {
		pool := x509.NewCertPool()
		pool.AddCert(e.certs.ca)
		named, listening := strings.TrimPrefix(e.baseURL, "https://"), e.listener.Addr().String()
		dialer := &net.Dialer{Timeout: 30 * time.Second}
		e.client = &http.Client{Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if strings.EqualFold(addr, named) {
					addr = listening
				}
				return dialer.DialContext(ctx, network, addr)
			},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 64,
			TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		}}
	})
	return e.client
}

// Entra is the token service, for registering more clients.
func (e *Emulator) Entra() *entra.Service { return e.entra }

// Env returns the environment variables a client of the emulator needs.
func (e *Emulator) Env() map[string]string {
	return map[string]string{
		"DATAVERSE_URL":            e.baseURL,
		"DATAVERSE_TENANT_ID":      e.TenantID(),
		"DATAVERSE_CLIENT_ID":      e.ClientID(),
		"DATAVERSE_CLIENT_SECRET":  e.clientSecret,
		"DATAVERSE_AUTHORITY_HOST": e.AuthorityHost(),
		"SSL_CERT_FILE":            e.caFile,
	}
}

// ServeHTTP dispatches between the Web API, the emulator's own endpoints and
// the token service, which share one listener.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/data/"):
		e.serveWebAPI(w, r)
	case strings.HasPrefix(r.URL.Path, "/_emulator/"):
		e.serveAdmin(w, r)
	default:
		e.entra.Handler().ServeHTTP(w, r)
	}
}
