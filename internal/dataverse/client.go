// Package dataverse is a typed client for the parts of the Microsoft Dataverse Web API that
// register webhooks: serviceendpoint rows (contract 8), their sdkmessageprocessingstep rows and
// step images, the sdkmessage/sdkmessagefilter catalogs, and failed asyncoperation rows.
//
// Every request carries the OData headers, a bearer token from a TokenSource, bounded retries with
// back-off, and a per-client cap on requests in flight. Reads page through @odata.nextLink; creates
// send a client-chosen primary key so that a retried create can never duplicate a row.
package dataverse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// APIPath is the Web API root below the environment URL.
const APIPath = "/api/data/v9.2/"

// The defaults of Config; the provider states them in its schema.
const (
	DefaultMaxRetries            = 10
	DefaultMaxConcurrentRequests = 16
	DefaultRequestTimeout        = 2 * time.Minute
)

const (
	defaultPageSize    = 5000
	defaultBaseBackoff = 200 * time.Millisecond
	defaultMaxBackoff  = 30 * time.Second
)

// TokenSource supplies bearer tokens for the environment.
type TokenSource interface {
	// Token returns a bearer access token for the environment. forceRefresh asks for a token
	// that was not served from a cache (used once after a 401).
	Token(ctx context.Context, forceRefresh bool) (string, error)
}

// RequestLog describes one HTTP attempt. It never carries headers or bodies.
type RequestLog struct {
	Method string
	// Path is the URL path plus query string. No secret is ever put into a query.
	Path      string
	Status    int // 0 when no response arrived
	Attempt   int // 1 for the first try
	Duration  time.Duration
	ErrorCode string // the Dataverse error code, when the response carried one
	Err       error  // nil on success
}

// Config configures a Client.
type Config struct {
	EnvironmentURL        string // e.g. https://org.crm.dynamics.com ; API base becomes <url>/api/data/v9.2/
	TokenSource           TokenSource
	HTTPClient            *http.Client  // optional
	MaxRetries            int           // attempts cap including the first; 0 takes DefaultMaxRetries
	MaxConcurrentRequests int           // requests in flight per client; 0 takes DefaultMaxConcurrentRequests
	RequestTimeout        time.Duration // per attempt; 0 takes DefaultRequestTimeout
	UserAgent             string
	OnRequest             func(ctx context.Context, l RequestLog) // optional; called once per attempt
	// Secrets are values no error or RequestLog of the client may hold any piece of (the
	// caller's own credentials), whatever the server echoes; each request's own secrets and the
	// bearer token are checked as well.
	Secrets []string

	// Seams for tests in this package.
	sleep       func(ctx context.Context, d time.Duration) error
	now         func() time.Time
	jitter      func(limit time.Duration) time.Duration // a value in [0, limit)
	baseBackoff time.Duration
	maxBackoff  time.Duration
	pageSize    int
}

// Client talks to one Dataverse environment. It is safe for concurrent use.
type Client struct {
	envURL    string   // without trailing slash
	base      *url.URL // <envURL>/api/data/v9.2/
	tokens    TokenSource
	http      *http.Client
	userAgent string
	onRequest func(ctx context.Context, l RequestLog)
	secrets   []string
	// sent holds the secrets and bearer tokens of every request this client has sent: a later
	// answer may echo them too (a read-back after a create, a step create after its webhook's,
	// a next link).
	sent sentSecrets
	// refreshes counts the refused tokens a fresh one was fetched for (maxForcedRefreshes).
	refreshes refreshCount

	maxAttempts    int
	requestTimeout time.Duration
	pageSize       int
	slots          chan struct{} // semaphore of requests in flight
	readBytesHeld  atomic.Int64  // answer bytes of the reads in progress (maxBytesInReads)

	sleep       func(ctx context.Context, d time.Duration) error
	now         func() time.Time
	jitter      func(limit time.Duration) time.Duration
	baseBackoff time.Duration
	maxBackoff  time.Duration

	catalog  catalog
	webhooks webhookFacts // behind KnownWebhookName
	// Snapshots behind WebhookFromSnapshot and StepFromSnapshot.
	webhookSnap snapshot[Webhook]
	stepSnap    snapshot[Step]
	// imageSnap is behind ImageFromSnapshot and ImagesOfStepFromSnapshot (image_snapshot.go).
	imageSnap      snapshot[StepImage]
	imageSnapState imageSnapshotState
	columns        answerCache[[]string] // behind TableColumns
	users          answerCache[User]     // behind ResolveUser
	solutions      answerCache[Solution] // behind SolutionNamed
}

// New validates cfg and returns a Client. It makes no request and fetches no token.
func New(cfg Config) (*Client, error) {
	envURL, base, err := parseEnvironmentURL(cfg.EnvironmentURL)
	if err != nil {
		return nil, err
	}
	if cfg.TokenSource == nil {
		return nil, errors.New("dataverse: a token source is required")
	}
	if cfg.MaxRetries < 0 {
		return nil, fmt.Errorf("dataverse: max retries must not be negative, got %d", cfg.MaxRetries)
	}
	if cfg.MaxConcurrentRequests < 0 {
		return nil, fmt.Errorf("dataverse: max concurrent requests must not be negative, got %d", cfg.MaxConcurrentRequests)
	}
	if cfg.RequestTimeout < 0 {
		return nil, fmt.Errorf("dataverse: request timeout must not be negative, got %s", cfg.RequestTimeout)
	}
	c := &Client{
		envURL:         envURL,
		base:           base,
		tokens:         cfg.TokenSource,
		http:           cfg.HTTPClient,
		userAgent:      cfg.UserAgent,
		onRequest:      cfg.OnRequest,
		secrets:        append([]string(nil), cfg.Secrets...),
		maxAttempts:    orDefault(cfg.MaxRetries, DefaultMaxRetries),
		requestTimeout: orDefault(cfg.RequestTimeout, DefaultRequestTimeout),
		pageSize:       orDefault(cfg.pageSize, defaultPageSize),
		slots:          make(chan struct{}, orDefault(cfg.MaxConcurrentRequests, DefaultMaxConcurrentRequests)),
		sleep:          cfg.sleep,
		now:            cfg.now,
		jitter:         cfg.jitter,
		baseBackoff:    orDefault(cfg.baseBackoff, defaultBaseBackoff),
		maxBackoff:     orDefault(cfg.maxBackoff, defaultMaxBackoff),
	}
	// Neither the Web API nor Entra ID redirects these requests; a followed 307 would replay
	// the body (an auth value) and the bearer token to wherever the server points.
	c.http = untrusted.NoRedirects(c.http)
	// Many rows of a configuration name one solution; a wrong name is then told once per run.
	c.solutions.keepNotFound = true
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.jitter == nil {
		c.jitter = randomJitter
	}
	if c.pageSize > defaultPageSize {
		c.pageSize = defaultPageSize
	}
	return c, nil
}

// EnvironmentURL returns the environment URL without a trailing slash.
func (c *Client) EnvironmentURL() string { return c.envURL }

// parseEnvironmentURL is ParseEnvironmentURL's URL and the API base under it.
func parseEnvironmentURL(raw string) (string, *url.URL, error) {
	envURL, err := ParseEnvironmentURL(raw)
	if err != nil {
		return "", nil, err
	}
	base, err := url.Parse(envURL + APIPath)
	if err != nil {
		return "", nil, fmt.Errorf("dataverse: building the API base from %q: %w", envURL, err)
	}
	return envURL, base, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// sentSecrets is the record of the secrets a client's requests carried: every request secret
// (webhook auth values, which a configuration bounds), and the last keptTokens bearer tokens.
// Tokens are kept only so, as a token endpoint answering tokens that expire at once would have
// one fetched for each request; keeping them all would grow the record, and the cost of every
// echo check, without bound. A token replaced by so many others is long expired: tokens turn
// over about hourly, and 401s force at most maxForcedRefreshes new ones.
type sentSecrets struct {
	mu     sync.Mutex
	list   []string
	seen   map[string]bool
	tokens []string // the newest last
}

// keptTokens is how many bearer tokens sentSecrets keeps: the one in use and those it replaced,
// which a server may still echo.
const keptTokens = 32

// keptTokenBytes bounds the bytes of the tokens sentSecrets keeps: Entra ID tokens of a few
// kilobytes keep all keptTokens; tokens near maxBearerTokenBytes keep fewer.
const keptTokenBytes = 128 << 10

func (s *sentSecrets) add(secrets []string) {
	if len(secrets) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	for _, v := range secrets {
		if v != "" && !s.seen[v] {
			s.seen[v] = true
			s.list = append(s.list, v)
		}
	}
}

func (s *sentSecrets) addToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if token == "" || slices.Contains(s.tokens, token) {
		return
	}
	s.tokens = append(s.tokens, token)
	// The oldest go first, past keptTokens or keptTokenBytes, the newest always staying: each
	// byte kept costs every later echo check.
	size := 0
	for i := len(s.tokens) - 1; i >= 0; i-- {
		if size += len(s.tokens[i]); i < len(s.tokens)-1 && (size > keptTokenBytes || len(s.tokens)-i > keptTokens) {
			s.tokens = slices.Delete(s.tokens, 0, i+1)
			break
		}
	}
}

// newest reports whether token is the last one recorded.
func (s *sentSecrets) newest(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens) > 0 && s.tokens[len(s.tokens)-1] == token
}

func (s *sentSecrets) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(s.list[:len(s.list):len(s.list)], s.tokens...)
}

// EchoesSecret reports whether text, such as a column of a row this client read, holds a secret
// that no message may show: one the client has sent or signs in with, or one of extra.
func (c *Client) EchoesSecret(text string, extra ...string) bool {
	return untrusted.EchoesSecret(text, append(c.secretsOf(""), extra...))
}

// secretsOf lists what no error or log of an answer may hold: the secrets of every request sent
// (the answered one's among them), the caller's credentials, and the bearer token.
func (c *Client) secretsOf(token string) []string {
	out := append(append([]string(nil), c.secrets...), c.sent.all()...)
	if token != "" {
		out = append(out, token)
	}
	return out
}
