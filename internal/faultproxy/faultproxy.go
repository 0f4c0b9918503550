// Package faultproxy is an HTTPS proxy that makes one Dataverse host misbehave on purpose:
// gateway faults, throttling, and answers lost after a write committed. A live environment
// cannot be asked for these, so scenarios that need them run a client through this proxy
// (HTTPS_PROXY) against the real host, and it opens that host's TLS with a certificate the
// client trusts and decides, request by request, what the client sees.
//
// Only Web API requests (paths under /api/data/) are faulted; the token service and any other
// host pass untouched, the other hosts tunneled without being opened.
package faultproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options says which host to open and how it misbehaves. Rates are shares of its Web API
// requests, drawn in turn: fault, then throttle, then (for writes) drop after the commit.
type Options struct {
	// Host is the host:port whose traffic is opened, e.g. contoso.crm.dynamics.com:443.
	Host string
	// TLS serves Host to the client: it must hold a certificate for Host that the client trusts.
	TLS *tls.Config
	// Upstream carries the requests passed on to Host; default a transport trusting the system
	// roots (SSL_CERT_FILE included) that uses no proxy.
	Upstream http.RoundTripper
	// FaultRate is the share answered 502, 503 or 504 without reaching Host.
	FaultRate float64
	// ThrottleRate is the share answered 429 with Retry-After and Dataverse's error body for
	// the request count (0x80072322), without reaching Host.
	ThrottleRate float64
	// RetryAfter is the wait a 429 asks for; default one second.
	RetryAfter time.Duration
	// DropAfterCommitRate is the share of writes (POST, PATCH, PUT, DELETE) passed on to Host and
	// then answered by closing the connection: the write is done, the client never hears so.
	DropAfterCommitRate float64
	// Seed makes the draws reproducible for one order of requests.
	Seed int64
}

// Stats counts the Web API requests the proxy saw and what it did to them.
type Stats struct {
	Requests, Faults, Throttled, Dropped int64
}

// Proxy is a running fault proxy.
type Proxy struct {
	opts     Options
	host     string // Options.Host, lower case
	listener net.Listener
	outer    *http.Server // CONNECT requests
	inner    *http.Server // requests inside opened connections
	opened   *connQueue

	mu    sync.Mutex
	rng   *rand.Rand
	stats Stats
}

// Start listens on a loopback port and serves until Close.
func Start(o Options) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(o.Host); err != nil {
		return nil, fmt.Errorf("faultproxy: host %q is not host:port: %w", o.Host, err)
	}
	if o.TLS == nil {
		return nil, errors.New("faultproxy: no TLS configuration for the opened host")
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = time.Second
	}
	if o.Upstream == nil {
		t := http.DefaultTransport.(*http.Transport).Clone() //nolint:forcetypeassert // the standard library's own type
		t.Proxy = nil
		o.Upstream = t
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{
		opts:     o,
		host:     strings.ToLower(o.Host),
		listener: ln,
		opened:   newConnQueue(ln.Addr()),
		rng:      rand.New(rand.NewSource(o.Seed)), //nolint:gosec // reproducible draws, not secrets
	}
	p.outer = &http.Server{Handler: http.HandlerFunc(p.serveConnect), ReadHeaderTimeout: 30 * time.Second}
	p.inner = &http.Server{Handler: http.HandlerFunc(p.serveOpened), ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = p.outer.Serve(ln) }()
	go func() { _ = p.inner.Serve(p.opened) }()
	return p, nil
}

// URL is the proxy's address, for HTTPS_PROXY.
func (p *Proxy) URL() string { return "http://" + p.listener.Addr().String() }

// Stats are the counts so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close stops the proxy and drops its connections.
func (p *Proxy) Close() error {
	err := p.outer.Close()
	_ = p.inner.Close()
	_ = p.opened.Close()
	if t, ok := p.opts.Upstream.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
	return err
}

// serveConnect opens a CONNECT to the host and tunnels any other.
func (p *Proxy) serveConnect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "this proxy serves CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	var upstream net.Conn
	open := strings.EqualFold(r.Host, p.host)
	if !open {
		var err error
		upstream, err = (&net.Dialer{Timeout: 30 * time.Second}).DialContext(r.Context(), "tcp", r.Host)
		if err != nil {
			http.Error(w, "dial "+r.Host+": "+err.Error(), http.StatusBadGateway)
			return
		}
	}
	conn, buffered, err := http.NewResponseController(w).Hijack()
	if err != nil {
		if upstream != nil {
			_ = upstream.Close()
		}
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		_ = conn.Close()
		return
	}
	client := &prefixedConn{Conn: conn, r: buffered.Reader}
	if !open {
		tunnel(client, upstream)
		return
	}
	cfg := p.opts.TLS.Clone()
	cfg.NextProtos = []string{"http/1.1"} // one request at a time per connection, so a drop loses one answer
	p.opened.push(tls.Server(client, cfg))
}

// serveOpened decides the fate of one request to the host.
func (p *Proxy) serveOpened(w http.ResponseWriter, r *http.Request) {
	fate := pass
	if strings.HasPrefix(r.URL.Path, "/api/data/") {
		fate = p.draw(isWrite(r.Method))
	}
	switch fate {
	case fault:
		status := []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}[p.intn(3)]
		http.Error(w, http.StatusText(status), status)
		return
	case throttle:
		w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
		w.Header().Set("Retry-After", strconv.Itoa(int((p.opts.RetryAfter+time.Second-1)/time.Second)))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}}`)
		return
	}
	res, err := p.forward(r)
	if err != nil {
		http.Error(w, "faultproxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	if fate == drop {
		_, _ = io.Copy(io.Discard, res.Body)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	for name, values := range res.Header {
		if !hopByHop(name) {
			w.Header()[name] = values
		}
	}
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, res.Body)
}

// forward passes r on to the host as it came, whatever host it names.
func (p *Proxy) forward(r *http.Request) (*http.Response, error) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, "https://"+p.opts.Host+r.URL.RequestURI(), r.Body) //nolint:gosec // the one host this proxy was told to open
	if err != nil {
		return nil, err
	}
	out.Host = r.Host
	for name, values := range r.Header {
		if !hopByHop(name) {
			out.Header[name] = values
		}
	}
	out.ContentLength = r.ContentLength
	return p.opts.Upstream.RoundTrip(out)
}

type fate int

const (
	pass fate = iota
	fault
	throttle
	drop
)

func (p *Proxy) draw(write bool) fate {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Requests++
	switch {
	case p.rng.Float64() < p.opts.FaultRate:
		p.stats.Faults++
		return fault
	case p.rng.Float64() < p.opts.ThrottleRate:
		p.stats.Throttled++
		return throttle
	case write && p.rng.Float64() < p.opts.DropAfterCommitRate:
		p.stats.Dropped++
		return drop
	}
	return pass
}

func (p *Proxy) intn(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.Intn(n)
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// hopByHop names the headers that belong to one connection, not to the request or answer.
func hopByHop(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// tunnel copies bytes both ways until either side closes.
func tunnel(a, b net.Conn) {
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		_ = dst.Close()
		done <- struct{}{}
	}
	go pipe(a, b)
	go pipe(b, a)
	<-done
	<-done
}

// prefixedConn reads what the CONNECT's reader had buffered before the connection itself.
type prefixedConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// connQueue is a listener whose connections are the opened CONNECTs, served by the inner server.
type connQueue struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newConnQueue(addr net.Addr) *connQueue {
	return &connQueue{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (q *connQueue) push(c net.Conn) {
	select {
	case q.conns <- c:
	case <-q.closed:
		_ = c.Close()
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.conns:
		return c, nil
	case <-q.closed:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.closed) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return q.addr }
