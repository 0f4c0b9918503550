package emulator

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"
)

// Options configures an emulator. The zero value is a usable default.
type Options struct {
	// Addr is the listen address; default "127.0.0.1:0" (a free port). It must be a loopback
	// address (127.0.0.0/8, ::1 or localhost) unless AllowNonLoopback is set.
	Addr string
	// AllowNonLoopback lets Addr name another interface, or all of them (":8443", "0.0.0.0:8443"):
	// the emulator then serves its token service, the client secret's tokens and webhook
	// deliveries to whatever can reach that interface.
	AllowNonLoopback bool
	// Host, when set, is the name clients reach the emulator by, in place of the listen
	// address's IP: the environment URL becomes https://HOST:PORT, the server certificate names
	// it, and tokens are issued for it. It must resolve to the listen address. A name rather
	// than a loopback IP lets clients reach the emulator through an HTTPS proxy, which Go never
	// uses for loopback addresses.
	Host string
	// StateDir, when set, keeps the CA and server certificate, the client
	// secret and the rows across restarts.
	StateDir string
	// Latency is added to every Web API request while it holds its
	// concurrency slot, plus a seeded random share of LatencyJitter.
	Latency, LatencyJitter time.Duration
	// MaxConcurrent is the number of requests a user may have in flight;
	// 0 means the Dataverse default of 52, a negative value no limit.
	MaxConcurrent int
	// MaxRequestsPerWindow is the number of requests a user may make in the
	// sliding Window; 0 means 6000, a negative value no limit.
	MaxRequestsPerWindow int
	// Window is the sliding window of MaxRequestsPerWindow; default 5 minutes.
	Window time.Duration
	// FaultRate is the share of Web API requests answered 502, 503 or 504
	// before anything else happens.
	FaultRate float64
	// DropAfterCommitRate is the share of writes (POST, PATCH, DELETE) that
	// are committed and then answered by dropping the connection.
	DropAfterCommitRate float64
	// Seed makes faults, dropped responses and latency jitter reproducible.
	Seed int64
	// DeliveryTimeout bounds one webhook delivery attempt; default 60 s, as Dataverse.
	DeliveryTimeout time.Duration
	// Logger receives request and delivery logs; default discards.
	Logger *slog.Logger
	// CA, when set, issues the server certificate instead of a CA of the emulator's own, so
	// that several emulators in one process are trusted through one SSL_CERT_FILE.
	CA *CA
}

// Defaults of Dataverse's service protection limits (facts sheet §6).
const (
	DefaultMaxConcurrent        = 52
	DefaultMaxRequestsPerWindow = 6000
	DefaultWindow               = 5 * time.Minute
	DefaultDeliveryTimeout      = 60 * time.Second
)

// withDefaults fills in the options left at their zero value.
func withDefaults(o Options) Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.MaxConcurrent == 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.MaxRequestsPerWindow == 0 {
		o.MaxRequestsPerWindow = DefaultMaxRequestsPerWindow
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.DeliveryTimeout <= 0 {
		o.DeliveryTimeout = DefaultDeliveryTimeout
	}
	return o
}

// checkListenAddr refuses a listen address beyond this machine unless allowed in so many words.
func checkListenAddr(addr string, allowNonLoopback bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("emulator: listen address %q: %w", addr, err)
	}
	if allowNonLoopback {
		return nil
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("emulator: listen address %q is not a loopback address; the emulator listens on this machine only "+
		"unless told otherwise (Options.AllowNonLoopback, or --allow-non-loopback on the command line)", addr)
}
