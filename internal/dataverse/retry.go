package dataverse

// The retry loop is written by hand rather than on go-retryablehttp: that library keeps one
// context for all attempts (no per-attempt timeout), sleeps on its own timer (no injectable
// clock), and runs all attempts inside one Do call, so a concurrency slot would be held through
// its back-off sleeps. Each of those is a requirement here.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// maxAttemptsOn500 caps the attempts of a request answered 500 Internal Server Error.
const maxAttemptsOn500 = 2

// maxResponseBytes bounds a response body read into memory. A full page of 5000 step rows with
// their expanded message and filter is about 8 MiB.
const maxResponseBytes = 32 << 20

// errCreateLanded wraps the DuplicateRecord *Error met by a replayed create: an earlier attempt
// whose outcome was unknown did create the row.
type errCreateLanded struct{ err *Error }

func (e *errCreateLanded) Error() string { return e.err.Error() }
func (e *errCreateLanded) Unwrap() error { return e.err }

// errMaybeLanded wraps the final error of a create some attempt of which may have reached the
// server without its outcome being learnt (the answer was lost, or a 5xx came back).
type errMaybeLanded struct{ err error }

func (e *errMaybeLanded) Error() string { return e.err.Error() }
func (e *errMaybeLanded) Unwrap() error { return e.err }

// createRow sends a create r of the row with key id and returns what Dataverse stored: the row
// it answered with, decoded by decode, or the row read back with read when the answer carried
// none. An outcome that is not known is settled by reading the row by its id before anything is
// reported: when a replayed attempt met DuplicateRecord (an earlier attempt landed), when the
// retries ran out after an attempt that may have landed, when the caller gave up mid-request,
// and when a 2xx answer could not be decoded (an HTML page from a proxy, a cut-off body). Only
// when that read finds no row is the create's own error returned.
//
// A DuplicateRecord on the first attempt is returned as it is (it matches ErrDuplicateRecord):
// the row with that id predates this call, and only the caller can tell whether it is its own.
func createRow[R, T any](ctx context.Context, c *Client, r *request, id string, read func(context.Context, string) (*T, error), decode func(R) (*T, error)) (*T, error) {
	r.create, r.rowID = true, id
	resp, err := c.do(ctx, r)
	var landed *errCreateLanded
	var maybe *errMaybeLanded
	switch {
	case errors.As(err, &landed):
		return read(ctx, id)
	case errors.As(err, &maybe) || (err != nil && ctx.Err() != nil):
		if v, ok := readBackAfterDoubt(ctx, id, read); ok {
			return v, nil
		}
		return nil, err
	case err != nil:
		return nil, err
	case !hasRow(resp):
		return read(ctx, id)
	}
	var out R
	if err := decodeRow(r, resp, &out); err != nil {
		if v, ok := readBackAfterDoubt(ctx, id, read); ok {
			return v, nil
		}
		return nil, err
	}
	return decode(out)
}

// updateRow sets the columns in row on the existing row at path and returns what Dataverse
// stored: the row it answered with, decoded by decode, or the row read back with read when the
// answer carried none or one that could not be decoded. An empty row sends nothing and only
// reads. If-Match: * forbids the upsert a bare PATCH would do, so a missing row is ErrNotFound
// rather than a new row.
func updateRow[R, T any](ctx context.Context, c *Client, path string, row map[string]any, columns, secrets []string, read func(context.Context) (*T, error), decode func(R) (*T, error)) (*T, error) {
	if len(row) == 0 {
		return read(ctx)
	}
	r, err := rowRequest(http.MethodPatch, path, row, columns)
	if err != nil {
		return nil, err
	}
	r.ifMatchAny, r.secrets = true, secrets
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	if !hasRow(resp) {
		return read(ctx)
	}
	var out R
	if err := decodeRow(r, resp, &out); err != nil {
		// The 2xx says the change was stored; only its echo was spoilt (a proxy's page, a cut-off
		// body), so what was stored is read instead.
		return read(ctx)
	}
	return decode(out)
}

// rowRequest sends row to path with method and asks for the row back with the given columns.
func rowRequest(method, path string, row map[string]any, columns []string) (*request, error) {
	body, err := jsonBody(row)
	if err != nil {
		return nil, err
	}
	return &request{
		method: method,
		path:   path,
		query:  query{}.with("$select", joinColumns(columns)),
		body:   body,
		prefer: []string{"return=representation"},
	}, nil
}

// maxForcedRefreshes bounds the refused tokens a client fetches a fresh one for in its life: a
// token is revoked once in a long while, while a server refusing every token would otherwise
// have one fetched for each request, each kept in sentSecrets. Beyond it, a 401 is returned
// with the bound named.
const maxForcedRefreshes = 16

// refreshCount is the record of the tokens refused with a 401 that a fresh one was fetched for.
type refreshCount struct {
	mu          sync.Mutex
	n           int
	lastRefused string
}

// afterRefusal says how a request whose token was refused gets another: force is false when
// another request already fetched one for the same refusal (the cache then holds it), ok is false
// once maxForcedRefreshes refusals had a fresh token fetched. Requests that meet one revocation
// together count once.
func (c *Client) afterRefusal(refused string) (force, ok bool) {
	r := &c.refreshes
	r.mu.Lock()
	defer r.mu.Unlock()
	if refused == r.lastRefused {
		return c.sent.newest(refused), true
	}
	if r.n >= maxForcedRefreshes {
		return false, false
	}
	r.n++
	r.lastRefused = refused
	return true, true
}

// maxBearerTokenBytes bounds an access token: Microsoft Entra ID tokens are a few kilobytes,
// and web servers refuse request headers much beyond 16 KiB.
const maxBearerTokenBytes = 16 << 10

// landedCheckTimeout bounds the read that looks for a row whose create had an unknown outcome.
const landedCheckTimeout = 20 * time.Second

// readBackAfterDoubt looks for the row of a create whose outcome is unknown. The caller's context
// may have ended (Terraform cancels in-flight operations on an interrupt) while the request
// reached Dataverse all the same; a row the caller never hears of would be orphaned. The read
// gets a context of its own and reports whether the row exists.
func readBackAfterDoubt[T any](ctx context.Context, id string, read func(context.Context, string) (*T, error)) (*T, bool) {
	checkCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), landedCheckTimeout)
	defer cancel()
	row, err := read(checkCtx, id)
	if err != nil {
		return nil, false
	}
	return row, true
}

// attemptOutcome is what one attempt decided.
type attemptOutcome int

const (
	outcomeDone         attemptOutcome = iota // success or permanent failure
	outcomeRetry                              // retry after a wait
	outcomeRefreshToken                       // retry at once with a fresh token
)

// maxRetryAfter is the longest wait a Retry-After may ask for. Dataverse's service protection
// asks for seconds to a few minutes; a longer wait would stall a run silently, so it fails at
// once with what the server asked for.
const maxRetryAfter = 5 * time.Minute

// defaultCallTimeout bounds a call whose context has no deadline (plan-time lookups, the
// provider's own reads), so that no server can hold an operation forever.
const defaultCallTimeout = 10 * time.Minute

// do sends r, retrying as the Web API's failure modes call for, and returns the response of a
// 2xx answer. Any other answer becomes an *Error.
func (c *Client) do(ctx context.Context, r *request) (*response, error) {
	c.sent.add(r.secrets) // from here on, every answer's error is checked against them
	target, err := c.requestURL(r)
	if err != nil {
		return nil, err
	}
	logPath := target.EscapedPath()
	if target.RawQuery != "" {
		// A next link's query is the server's text; a log needs its start only.
		query := target.RawQuery
		if len(query) > maxLoggedQuery {
			query = strings.ToValidUTF8(query[:maxLoggedQuery], "") + "…"
		}
		logPath += "?" + query
		if untrusted.EchoesSecret(query, c.secretsOf("")) {
			logPath = target.EscapedPath() + "?(query withheld: it held part of a secret)"
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultCallTimeout)
		defer cancel()
	}

	forceRefresh := false
	refreshed := false
	// landedMaybe is set once an attempt of a create may have reached the server without us
	// learning its outcome.
	landedMaybe := false
	internalErrors := 0
	var lastErr error
	for attempt := 1; ; attempt++ {
		token, err := c.tokens.Token(ctx, forceRefresh)
		if err != nil {
			return nil, fmt.Errorf("dataverse: getting an access token: %w", err)
		}
		if len(token) > maxBearerTokenBytes {
			// No server takes a header that long; holding it, and checking every answer for
			// it, would only cost memory and time.
			return nil, fmt.Errorf("dataverse: the access token the sign-in gave is %s, more than the %s any Web API request header can carry; not sending it",
				untrusted.FormatBytes(int64(len(token))), untrusted.FormatBytes(maxBearerTokenBytes))
		}
		c.sent.addToken(token) // a later answer, a next link say, may echo it
		forceRefresh = false

		resp, retryAfter, outcome, err := c.attempt(ctx, r, target, logPath, token, attempt)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			// The cause says which deadline it was, when the caller gave one; the failed
			// attempt's error often holds it already.
			if cause := context.Cause(ctx); !errors.Is(lastErr, cause) {
				return nil, fmt.Errorf("%w (%w)", lastErr, cause)
			}
			return nil, lastErr
		}
		var apiErr *Error
		if r.create && landedMaybe && errors.As(err, &apiErr) && errors.Is(apiErr, ErrDuplicateRecord) {
			return nil, &errCreateLanded{err: apiErr}
		}
		if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusInternalServerError {
			// Dataverse reports transient SQL and platform time-outs as 500, but also lasting
			// faults: one more attempt, not the full budget of waits; other transient answers
			// before it do not use that attempt up.
			if internalErrors++; internalErrors >= maxAttemptsOn500 {
				outcome = outcomeDone
			}
		}
		if r.create && mayHaveLanded(err) {
			landedMaybe = true
		}
		if outcome == outcomeDone {
			return nil, doubtful(r, landedMaybe, err)
		}
		if outcome == outcomeRefreshToken {
			if refreshed {
				return nil, doubtful(r, landedMaybe, err)
			}
			force, ok := c.afterRefusal(token)
			if !ok {
				return nil, doubtful(r, landedMaybe, fmt.Errorf("%w (no fresh token fetched: %d refused tokens had one already, the most one run fetches)", err, maxForcedRefreshes))
			}
			refreshed = true
			forceRefresh = force
		}
		if attempt >= c.maxAttempts {
			return nil, doubtful(r, landedMaybe, fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempt))
		}
		if outcome == outcomeRefreshToken {
			continue
		}

		var wait time.Duration
		if retryAfter >= 0 {
			if retryAfter > maxRetryAfter {
				return nil, doubtful(r, landedMaybe, fmt.Errorf("%w (not retrying: the server asked to wait %s (Retry-After), more than the %s this provider waits)", lastErr, formatWait(retryAfter), maxRetryAfter))
			}
			if deadline, ok := ctx.Deadline(); ok && c.now().Add(retryAfter).After(deadline) {
				return nil, doubtful(r, landedMaybe, fmt.Errorf("%w (not retrying: the Retry-After of %s is past the deadline, %s away: %w)", lastErr, formatWait(retryAfter), deadline.Sub(c.now()).Round(time.Second), context.DeadlineExceeded))
			}
			// Requests throttled together would all come back at the same instant and be
			// throttled together again: spread them over half the wait again.
			wait = retryAfter + c.jitter(retryAfter/2)
		} else {
			wait = c.backoff(attempt)
		}
		if deadline, ok := ctx.Deadline(); ok && c.now().Add(wait).After(deadline) {
			return nil, doubtful(r, landedMaybe, fmt.Errorf("%w (not retrying after %d attempts: waiting %s would pass the deadline: %w)", lastErr, attempt, wait.Round(time.Millisecond), context.DeadlineExceeded))
		}
		if err := c.sleep(ctx, wait); err != nil {
			if ctx.Err() != nil {
				err = context.Cause(ctx)
			}
			return nil, fmt.Errorf("%w (%w)", lastErr, err)
		}
	}
}

// formatWait renders a server-requested wait; one beyond any real wait reads as such rather
// than as a huge number of hours.
func formatWait(d time.Duration) string {
	if d >= 100*24*time.Hour {
		return "more than 100 days"
	}
	return d.Round(time.Second).String()
}

// doubtful marks the final error of a create that may have landed, so createRow reads it back.
func doubtful(r *request, landedMaybe bool, err error) error {
	if r.create && landedMaybe {
		return &errMaybeLanded{err: err}
	}
	return err
}

// maxLoggedQuery bounds the bytes of a request's query that its log line shows.
const maxLoggedQuery = 2048

// attempt performs one HTTP exchange while holding a concurrency slot. retryAfter is negative
// when the server named no wait.
func (c *Client) attempt(ctx context.Context, r *request, target fmt.Stringer, logPath, token string, attempt int) (resp *response, retryAfter time.Duration, outcome attemptOutcome, err error) {
	retryAfter = -1
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, retryAfter, outcomeDone, ctx.Err()
	}
	defer func() { <-c.slots }()

	start := c.now()
	entry := RequestLog{Method: r.method, Path: logPath, Attempt: attempt}
	defer func() {
		if c.onRequest != nil {
			entry.Duration = c.now().Sub(start)
			entry.Err = err
			c.onRequest(ctx, entry)
		}
	}()

	attemptCtx, cancel := context.WithTimeout(ctx, c.requestTimeout)
	defer cancel()
	req, err := c.newHTTPRequest(attemptCtx, r, target.String(), token)
	if err != nil {
		return nil, retryAfter, outcomeDone, err
	}
	httpResp, err := c.http.Do(req)
	if err != nil {
		return nil, retryAfter, transportOutcome(ctx, err), newTransportError(r.method, req.URL.EscapedPath(), err, c.secretsOf(token))
	}
	defer httpResp.Body.Close()
	entry.Status = httpResp.StatusCode
	if untrusted.IsRedirect(httpResp) {
		return nil, retryAfter, outcomeDone, newTransportError(r.method, req.URL.EscapedPath(), untrusted.NewRedirectError(httpResp, c.secretsOf(token)), nil)
	}
	body, err := untrusted.ReadBody(httpResp.Body, maxResponseBytes)
	if untrusted.IsTooLarge(err) {
		return nil, retryAfter, outcomeDone, newTransportError(r.method, req.URL.EscapedPath(), err, nil)
	}
	if err != nil {
		return nil, retryAfter, transportOutcome(ctx, err), newTransportError(r.method, req.URL.EscapedPath(), err, c.secretsOf(token))
	}
	status, header, errPath := httpResp.StatusCode, httpResp.Header, req.URL.EscapedPath()
	// A changeset that fails answers with the failing operation's status and, in a multipart
	// body, that operation's answer ("Handling errors" of Microsoft's batch article).
	if ok := status >= 200 && status < 300; r.changeset && (ok || isMultipart(header.Get("Content-Type"))) {
		answer, err := readChangesetAnswer(header.Get("Content-Type"), body)
		switch {
		case err != nil && ok:
			// Nothing says whether the changeset committed: the caller reads the row back.
			return &response{status: status}, retryAfter, outcomeDone, nil
		case err == nil && (ok || answer.status < 200 || answer.status > 299):
			status, header, body = answer.status, answer.header, answer.body
			errPath += " (changeset)"
		}
	}
	if status >= 200 && status < 300 {
		return &response{status: status, body: body}, retryAfter, outcomeDone, nil
	}

	// The bearer token counts as a secret too: a server echoing it must not put it in a log.
	apiErr := newResponseError(r.method, errPath, status, body, c.secretsOf(token))
	entry.ErrorCode = apiErr.Code
	switch status {
	case http.StatusUnauthorized:
		return nil, retryAfter, outcomeRefreshToken, apiErr
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		if d, ok := parseRetryAfter(header.Get("Retry-After"), c.now()); ok {
			retryAfter = d
		}
		return nil, retryAfter, outcomeRetry, apiErr
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return nil, retryAfter, outcomeRetry, apiErr
	case http.StatusInternalServerError:
		// do decides how many of these are retried.
		return nil, retryAfter, outcomeRetry, apiErr
	}
	return nil, retryAfter, outcomeDone, apiErr
}

func (c *Client) newHTTPRequest(ctx context.Context, r *request, target, token string) (*http.Request, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("dataverse: building %s request: %w", r.method, err)
	}
	if r.body != nil {
		payload := r.body
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(payload)), nil }
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		if r.contentType != "" {
			req.Header.Set("Content-Type", r.contentType)
		}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("OData-MaxVersion", "4.0")
	req.Header.Set("OData-Version", "4.0")
	req.Header.Set("Authorization", "Bearer "+token)
	if len(r.prefer) > 0 {
		req.Header.Set("Prefer", strings.Join(r.prefer, ","))
	}
	if r.ifMatchAny {
		req.Header.Set("If-Match", "*")
	}
	if r.solution != "" {
		req.Header.Set("MSCRM.SolutionUniqueName", r.solution)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	return req, nil
}

// transportError is a failure with no usable HTTP answer: a reset, a time-out, a TLS failure.
type transportError struct {
	method, path string
	err          error
	// text is what the failure says. net/http quotes the server's bytes in some failures (a
	// malformed status line, say), so a text that echoes a secret the request carried is
	// withheld.
	text string
}

func newTransportError(method, path string, err error, secrets []string) *transportError {
	// A *url.Error quotes the whole URL, and a next link's query is the server's text: the path
	// is named already.
	cause := err
	var ue *url.Error
	if errors.As(cause, &ue) {
		cause = ue.Err
	}
	// A TLS failure quotes the certificate's names, which whoever answered chose.
	text := untrusted.PlainText(cause.Error())
	if untrusted.EchoesSecret(text, secrets) {
		text = withheldMessage
	}
	return &transportError{method: method, path: path, err: err, text: text}
}

func (e *transportError) Error() string {
	return fmt.Sprintf("dataverse: %s %s: %s", e.method, e.path, e.text)
}

func (e *transportError) Unwrap() error { return e.err }

// transportOutcome decides whether a transport failure is worth another attempt. A failure the
// caller caused (its context ended) or one that repeats identically (certificate trust) is not.
func transportOutcome(ctx context.Context, err error) attemptOutcome {
	if ctx.Err() != nil {
		return outcomeDone
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuthority) || errors.As(err, &hostErr) || errors.As(err, &invalidCert) {
		return outcomeDone
	}
	return outcomeRetry
}

// mayHaveLanded reports whether a failed attempt might nevertheless have been applied.
func mayHaveLanded(err error) bool {
	var tErr *transportError
	var redirect *untrusted.RedirectError
	if errors.As(err, &tErr) {
		// A redirect is an answer, and one Dataverse never gives: nothing is read back from a
		// server that sends it.
		return !errors.As(err, &redirect)
	}
	var apiErr *Error
	// 501 says the server does not offer the operation at all.
	return errors.As(err, &apiErr) && apiErr.StatusCode >= 500 && apiErr.StatusCode != http.StatusNotImplemented
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date. A value too large
// for a time.Duration saturates rather than wrapping round to a short or negative wait.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil || secs > uint64(math.MaxInt64/int64(time.Second)) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		// Sub saturates at the largest Duration for a date far ahead, such as year 9999.
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// backoff returns the wait before attempt+1: exponential from baseBackoff, capped at
// maxBackoff, with the upper half jittered so that parallel clients spread out.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.maxBackoff
	if shift := attempt - 1; shift < 31 {
		if exp := c.baseBackoff << shift; exp > 0 && exp < c.maxBackoff {
			d = exp
		}
	}
	half := d / 2
	return half + c.jitter(d-half)
}

func randomJitter(limit time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(limit)))
	if err != nil {
		return 0
	}
	return time.Duration(n.Int64())
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
