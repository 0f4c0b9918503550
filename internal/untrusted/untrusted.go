// Package untrusted handles what a server sends back: redirects, which are never followed, answer
// bodies, which are read up to a cap, and server text, which is checked for echoed secrets before
// it is shown to anyone. The Web API client and the token client share it.
package untrusted

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NoRedirects returns a copy of c (or of a default client when c is nil) that hands every 3xx
// answer back to the caller instead of following it. A followed 307 or 308 would replay the
// request, its body and its credentials to wherever the server points.
func NoRedirects(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &out
}

// IsRedirect reports whether the answer is a redirect that a following client would have taken.
func IsRedirect(resp *http.Response) bool {
	return resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.StatusCode != http.StatusNotModified
}

// RedirectError describes a redirect that was not followed: its status and the host it pointed
// at, never its path or query, which may carry what the server wants to capture.
type RedirectError struct {
	Status     int
	TargetHost string // empty when the answer named no usable Location, or withheld
	// HostWithheld says the Location's host held part of a secret, so it is not named.
	HostWithheld bool
}

func (e *RedirectError) Error() string {
	target := "without a Location"
	switch {
	case e.HostWithheld:
		target = "to a host withheld here, because it held part of a secret"
	case e.TargetHost != "":
		target = "to host " + e.TargetHost
	}
	return fmt.Sprintf("the server answered %d %s, a redirect %s; redirects are never followed, because they would carry the request and its credentials elsewhere",
		e.Status, http.StatusText(e.Status), target)
}

// NewRedirectError builds the error for a redirect answer. The Location is the server's text:
// a host that echoes any of secrets is withheld.
func NewRedirectError(resp *http.Response, secrets []string) *RedirectError {
	e := &RedirectError{Status: resp.StatusCode}
	if loc, err := resp.Location(); err == nil {
		e.TargetHost = PlainText(loc.Host)
		if EchoesSecret(loc.Host, secrets) {
			e.TargetHost, e.HostWithheld = "", true
		}
	}
	return e
}

// Client wraps an *http.Client so that a redirect comes back as a *RedirectError and no answer
// body yields more than a cap. It is the shape MSAL and the OIDC token requests expect of an
// HTTP client.
type Client struct {
	c        *http.Client
	maxBytes int64
}

// NewClient returns a Client over c (nil means a default client) that follows no redirect and
// reads at most maxBytes of any answer.
func NewClient(c *http.Client, maxBytes int64) *Client {
	return &Client{c: NoRedirects(c), maxBytes: maxBytes}
}

// Do sends req and turns a redirect answer into an error.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.c.Do(req) //nolint:gosec // callers choose the URL; this only refuses redirects
	if err != nil {
		return nil, err
	}
	if IsRedirect(resp) {
		_ = resp.Body.Close()
		return nil, NewRedirectError(resp, nil) // its callers redact their errors whole
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: c.maxBytes}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the wrapped client.
func (c *Client) CloseIdleConnections() { c.c.CloseIdleConnections() }

// cappedBody fails a read with a *TooLargeError once the body passes its cap.
type cappedBody struct {
	io.ReadCloser
	left, limit int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.limit == 0 {
		b.limit = b.left
	}
	if b.left < 0 {
		return 0, &TooLargeError{Limit: b.limit}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, &TooLargeError{Limit: b.limit}
	}
	return n, err
}

// TooLargeError reports an answer body longer than the cap it was read with.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the answer is larger than %s, the most this client reads; nothing Dataverse or Entra ID sends here is that large", FormatBytes(e.Limit))
}

// ReadBody reads r to its end, or fails with a *TooLargeError once more than limit bytes came.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(body)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return body, err
}

// IsTooLarge reports whether err is a *TooLargeError.
func IsTooLarge(err error) bool {
	var tl *TooLargeError
	return errors.As(err, &tl)
}

// FormatBytes renders a size in MiB or KiB.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// SecretRun is the length of the shortest piece of a secret that counts as a leak.
const SecretRun = 8

// EchoesSecret reports whether text holds a secret, or any SecretRun-character run of one, in any
// form a server might echo it in: as sent, JSON-escaped (\u0041), URL-encoded, with XML or HTML
// character references (&apos; &#252; &#xFC;), or any of these stacked, in any letter case; in
// base64 or hexadecimal (contiguous or in pairs); or, for a SkeletonRun of its letters and digits,
// spelled out with other characters between them, with accents added, or backwards. A secret with
// fewer letters and digits than that is found whole broken by white space, or backwards. A secret shorter than SecretRun counts when it
// appears whole.
//
// It decides whether to show server text at all, not how to mask it: a message that fails the
// check is withheld whole. It is still a heuristic. A server that holds a secret can always
// invent a form no check knows, so callers show server text only where it helps the user.
func EchoesSecret(text string, secrets []string) bool {
	if len(text) > MaxCheckedText {
		return !matcherFor(secrets).empty()
	}
	return HoldsSecret(text, secrets)
}

// HoldsSecret is EchoesSecret without its bound on the text: for text whose size the caller
// controls, such as a test's own log. Server text goes through EchoesSecret.
func HoldsSecret(text string, secrets []string) bool {
	m := matcherFor(secrets)
	if m.empty() {
		return false
	}
	forms := decodedForms(text)
	for _, f := range forms {
		forms = append(forms, base64Decoded(f)...)
		forms = append(forms, hexDecoded(f)...)
	}
	for _, form := range forms {
		if m.finds(form) {
			return true
		}
	}
	return false
}

// MaxCheckedText bounds the text EchoesSecret reads: longer text counts as holding a secret, so
// a hostile server cannot make the check slow. Callers show far less server text than this.
const MaxCheckedText = 16 << 10

// secretMatcher holds the pieces of a set of secrets that EchoesSecret looks for, as sets, so
// that one pass over a text finds any of them.
type secretMatcher struct {
	runs      map[string]struct{} // SecretRun-rune runs, lower-cased
	whole     []string            // lower-cased secrets shorter than SecretRun
	skeletons map[string]struct{} // SkeletonRun-rune runs of the secrets' skeletons
	// unspaced are the secrets with fewer than SkeletonRun letters and digits, lower-cased and
	// without white space, looked for whole in the text without its white space, forwards and
	// backwards: such a secret has no skeleton run, but a server can still break it across lines
	// or reverse it. Only white space is dropped, not punctuation, so ordinary words running
	// together do not match a secret made of words and punctuation.
	unspaced []string
}

func (m *secretMatcher) empty() bool { return len(m.runs) == 0 && len(m.whole) == 0 }

// finds reports whether form holds a run of a secret, or a skeleton run forwards or backwards.
func (m *secretMatcher) finds(form string) bool {
	lower := foldCase(form)
	for _, w := range m.whole {
		if strings.Contains(lower, w) {
			return true
		}
	}
	if windowIn(lower, SecretRun, m.runs) {
		return true
	}
	if len(m.unspaced) > 0 {
		flat := withoutSpace(lower)
		back := reversed(flat)
		for _, u := range m.unspaced {
			if strings.Contains(flat, u) || strings.Contains(back, u) {
				return true
			}
		}
	}
	if len(m.skeletons) == 0 {
		return false
	}
	sk := skeleton(form)
	return windowIn(sk, SkeletonRun, m.skeletons) || windowIn(reversed(sk), SkeletonRun, m.skeletons)
}

// withoutSpace is s with its white space removed.
func withoutSpace(s string) string { return strings.Join(strings.Fields(s), "") }

// foldCase maps text to one case for comparing without case, rune by rune: lower case of upper
// case, so that letters with two lower-case forms (ϖ and π, both Π in upper case) meet.
func foldCase(s string) string { return strings.ToLower(strings.ToUpper(s)) }

// windowIn reports whether any n-rune window of s is in set.
func windowIn(s string, n int, set map[string]struct{}) bool {
	if len(set) == 0 {
		return false
	}
	starts := make([]int, 0, len(s)+1)
	for i := range s {
		starts = append(starts, i)
	}
	starts = append(starts, len(s))
	for i := 0; i+n < len(starts); i++ {
		if _, ok := set[s[starts[i]:starts[i+n]]]; ok {
			return true
		}
	}
	return false
}

// matchers caches the matcher of each recent set of secrets: the client checks every request's
// query against the same few secrets and tokens.
var matchers struct {
	mu sync.Mutex
	by map[string]*secretMatcher
}

// maxMatchers bounds the cache; sets of secrets change when a token is renewed.
const maxMatchers = 16

func matcherFor(secrets []string) *secretMatcher {
	var b strings.Builder
	for _, s := range secrets {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	key := b.String() // length-prefixed: no two lists of secrets share a key
	matchers.mu.Lock()
	m, ok := matchers.by[key]
	matchers.mu.Unlock()
	if ok {
		return m
	}
	m = &secretMatcher{runs: map[string]struct{}{}, skeletons: map[string]struct{}{}}
	for _, s := range secrets {
		if s == "" {
			continue // found in every text; no secret to withhold
		}
		for _, run := range secretRuns(s) {
			if utf8.RuneCountInString(run) < SecretRun {
				m.whole = append(m.whole, run)
				continue
			}
			m.runs[run] = struct{}{}
		}
		// A stray '%' before a URL-escaped secret joins the secret's first two characters
		// into another escape. A longer secret keeps a whole run after them; a shorter one is
		// also looked for as escaped.
		if utf8.RuneCountInString(s) < SecretRun+2 {
			low := foldCase(s)
			m.whole = append(m.whole, foldCase(url.PathEscape(low)), foldCase(url.QueryEscape(low)))
		}
		sk := skeleton(s)
		for _, run := range runsOf(sk) {
			m.skeletons[run] = struct{}{}
		}
		if flat := withoutSpace(foldCase(s)); utf8.RuneCountInString(sk) < SkeletonRun && utf8.RuneCountInString(flat) >= SecretRun {
			m.unspaced = append(m.unspaced, flat)
		}
	}
	matchers.mu.Lock()
	if len(matchers.by) >= maxMatchers || matchers.by == nil {
		matchers.by = map[string]*secretMatcher{}
	}
	matchers.by[key] = m
	matchers.mu.Unlock()
	return m
}

// skeleton is s with only its letters and digits, lower-cased and without accents: what is left
// of a secret that a server spells out with spaces, dots or marks between its characters.
func skeleton(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// SkeletonRun is the length of the shortest piece of a secret's skeleton that counts as a leak.
// It is longer than SecretRun: without their spaces and punctuation, ordinary words run together
// ("token request to" holds "requestto") and would match secrets made of words.
const SkeletonRun = 12

// runsOf lists the SkeletonRun-character runs of a skeleton; one shorter than that has none.
func runsOf(sk string) []string {
	rs := []rune(sk)
	var out []string
	for i := 0; i+SkeletonRun <= len(rs); i++ {
		out = append(out, string(rs[i:i+SkeletonRun]))
	}
	return out
}

func reversed(s string) string {
	rs := []rune(s)
	slices.Reverse(rs)
	return string(rs)
}

// base64Word is a run of text that may be base64 of a secret (standard or URL alphabet).
var base64Word = regexp.MustCompile(`[A-Za-z0-9+/_-]{12,}={0,2}`)

// base64Decoded returns what each base64-looking word of text decodes to, in either alphabet,
// padded or not, read from each of its first four characters (a character put before the
// encoding shifts every group) and cut to a whole number of characters.
func base64Decoded(text string) []string {
	var out []string
	for _, word := range base64Word.FindAllString(text, -1) {
		bare := strings.TrimRight(word, "=")
		for skip := range 4 {
			part := bare[skip:]
			if rest := len(part) % 4; rest == 1 {
				part = part[:len(part)-1] // no base64 ends in one lone character
			}
			for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
				if b, err := enc.DecodeString(part); err == nil {
					out = append(out, string(b))
				}
			}
		}
	}
	return out
}

// hexWord is a run of text that may be the bytes of a secret in hexadecimal: contiguous, or in
// pairs joined by '-', ':' or a space (as .NET's BitConverter and many dumps write them).
var hexWord = regexp.MustCompile(`(?:[0-9A-Fa-f]{2}[-: ]?){8,}`)

// hexDecoded returns what each hexadecimal-looking word of text decodes to, read from its first
// and its second character (one character put before the digits shifts every pair).
func hexDecoded(text string) []string {
	var out []string
	for _, word := range hexWord.FindAllString(text, -1) {
		digits := strings.NewReplacer("-", "", ":", "", " ", "").Replace(word)
		for skip := range 2 {
			part := digits[skip:]
			part = part[:len(part)/2*2]
			if b, err := hex.DecodeString(part); err == nil {
				out = append(out, string(b))
			}
		}
	}
	return out
}

// secretRuns lists the lower-cased runs of s that EchoesSecret looks for, also after white space
// is collapsed (servers often normalize it).
func secretRuns(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, form := range []string{s, strings.Join(strings.Fields(s), " ")} {
		rs := []rune(foldCase(form))
		if len(rs) == 0 {
			continue
		}
		if len(rs) <= SecretRun {
			if !seen[string(rs)] {
				seen[string(rs)] = true
				out = append(out, string(rs))
			}
			continue
		}
		for i := 0; i+SecretRun <= len(rs); i++ {
			run := string(rs[i : i+SecretRun])
			if !seen[run] {
				seen[run] = true
				out = append(out, run)
			}
		}
	}
	return out
}

// maxDecodeRounds bounds how many layers of encoding are peeled off (a server may escape an
// already escaped value).
const maxDecodeRounds = 4

// decodedForms returns text and every distinct form reached by undoing JSON escapes, URL
// encoding and XML/HTML character references, in any order, up to maxDecodeRounds deep.
func decodedForms(text string) []string {
	forms := []string{text}
	seen := map[string]bool{text: true}
	frontier := []string{text}
	for round := 0; round < maxDecodeRounds && len(frontier) > 0; round++ {
		var next []string
		for _, f := range frontier {
			for _, d := range []string{unescapeJSON(f), unescapeURL(f), html.UnescapeString(f), strings.ReplaceAll(f, "+", " ")} {
				if !seen[d] {
					seen[d] = true
					forms = append(forms, d)
					next = append(next, d)
				}
			}
		}
		frontier = next
	}
	return forms
}

// unescapeURL undoes percent-encoding; a malformed escape is kept as it is, so text with a stray
// '%' still decodes everywhere else.
func unescapeURL(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(v))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unescapeJSON undoes JSON string escapes (\" \\ \/ \n \uXXXX, with surrogate pairs) wherever
// they appear; anything else is kept.
func unescapeJSON(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch c := s[i+1]; c {
		case '"', '\\', '/', '\'':
			b.WriteByte(c)
			i++
		case 'n', 'r', 't', 'b', 'f':
			// The character itself: a secret may hold it, and the collapsed-space runs of
			// secretRuns meet a server that turned it into a space.
			b.WriteByte(map[byte]byte{'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f'}[c])
			i++
		case 'u':
			r, width := decodeUnicodeEscape(s[i:])
			if width == 0 {
				b.WriteByte(s[i])
				continue
			}
			b.WriteRune(r)
			i += width - 1
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// decodeUnicodeEscape reads \uXXXX (or a surrogate pair of two) at the start of s and returns the
// rune and the bytes it took, or width 0 when s does not start with one.
func decodeUnicodeEscape(s string) (rune, int) {
	hex4 := func(s string) (rune, bool) {
		if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(s[2:6], 16, 16)
		return rune(uint16(v)), err == nil
	}
	r, ok := hex4(s)
	if !ok {
		return 0, 0
	}
	if r >= 0xD800 && r < 0xDC00 {
		if lo, ok := hex4(s[6:]); ok && lo >= 0xDC00 && lo < 0xE000 {
			return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12
		}
	}
	if !utf8.ValidRune(r) {
		return utf8.RuneError, 6
	}
	return r, 6
}

func isHex(ch byte) bool {
	return ('0' <= ch && ch <= '9') || ('a' <= ch && ch <= 'f') || ('A' <= ch && ch <= 'F')
}

// WithoutControls is text read from a server's rows with what could rewrite a terminal removed,
// and its lines kept: C0 controls other than tab, line feed and a carriage return before a line
// feed, DEL, C1 controls, and the bidirectional embeddings, overrides and isolates. Terraform
// shows a value of several lines as it is, so a stored description could otherwise clear the
// screen or hide a line of a plan. Text without any of these is returned as it is.
func WithoutControls(s string) string {
	if strings.IndexFunc(s, isTerminalControl) < 0 && !strings.Contains(s, "\r") {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if r == '\r' && strings.HasPrefix(s[i+1:], "\n") {
			b.WriteRune(r)
			continue
		}
		if r == '\r' || isTerminalControl(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isTerminalControl(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20 || (r >= 0x7f && r <= 0x9f):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// PlainText is server or tool text made fit to show: control characters (terminal escapes among
// them), format characters such as bidirectional overrides and invalid UTF-8 are dropped, and runs
// of white space become one space, so the text cannot forge log lines or rewrite a terminal.
func PlainText(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || (!unicode.IsPrint(r) && !unicode.IsSpace(r)) {
			continue
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
