// Package webhookrecorder keeps what a webhook receives and hands it back, so that a test can
// see what Dataverse delivered: a POST to a path with a JSON body is answered 200 and kept; a
// GET of the same path returns the posts kept for it, oldest first, as a JSON array of Post; a
// DELETE forgets them.
//
// It keeps bodies and the headers Dataverse describes every delivery with (organization, table,
// message, correlation, size exceeded), never the query string or any other header: a webhook's
// key travels in the query (WebhookKey) or in headers the registration names (HttpHeader). What
// it keeps is bounded, and a post beyond the bounds is refused with 507; so are the posts it reads
// at once, and one beyond them is answered 503. With a read token set,
// GET and DELETE need it as a bearer token; posting needs nothing, as Dataverse sends none of
// its own.
package webhookrecorder

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

const (
	// MaxBody is the largest body kept. Dataverse trims a delivery above 256 KB of its
	// execution context, so a real one stays well below this.
	MaxBody = 1 << 20
	// DefaultMaxKept is how many bytes a recorder keeps in all, unless told.
	DefaultMaxKept = 64 << 20
	// MaxPostsInFlight bounds the posts being read at once, so that senders holding bodies open
	// cannot make the recorder hold more than this many MaxBody buffers; more are answered 503,
	// which Dataverse's sender retries once.
	MaxPostsInFlight = 16
	// postOverhead is what one kept post is counted for beyond its body, path and headers: the
	// structures that hold it.
	postOverhead = 256
)

// keptHeaders are the headers Dataverse adds to every delivery, and the one it adds to a
// trimmed one; Content-Type besides.
var keptHeaders = []string{
	"Content-Type",
	"X-Ms-Dynamics-Organization",
	"X-Ms-Dynamics-Entity-Name",
	"X-Ms-Dynamics-Request-Name",
	"X-Ms-Correlation-Request-Id",
	"X-Ms-Dynamics-Msg-Size-Exceeded",
}

// Post is one delivery as the recorder kept it.
type Post struct {
	// Header holds the delivery's headers of keptHeaders that it had.
	Header http.Header `json:"header"`
	// Size is the length of the body in bytes, as sent.
	Size int `json:"size"`
	// Body is the body's JSON, compacted.
	Body json.RawMessage `json:"body"`
}

// Recorder is an http.Handler keeping posts by path. Its zero value is ready to use.
type Recorder struct {
	// MaxKept bounds the bytes kept in all (bodies, paths, headers); 0 is DefaultMaxKept.
	MaxKept int
	// ReadToken, when set, is the bearer token GET and DELETE must carry.
	ReadToken string

	inFlight atomic.Int32 // posts being read

	mu    sync.Mutex
	posts map[string][]Post
	costs map[string]int // what the posts of each path are counted for
	kept  int            // the sum of costs
}

// ServeHTTP keeps a POST, answers a GET with what was kept for its path and forgets it on a
// DELETE.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		rec.keep(w, r)
	case http.MethodGet, http.MethodDelete:
		if !rec.authorized(r) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "a bearer token is needed to read or delete posts", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodDelete {
			rec.forget(r.URL.Path)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		rec.mu.Lock()
		posts := append([]Post{}, rec.posts[r.URL.Path]...)
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		writePosts(w, posts)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		http.Error(w, "GET, POST or DELETE only", http.StatusMethodNotAllowed)
	}
}

func (rec *Recorder) authorized(r *http.Request) bool {
	if rec.ReadToken == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(rec.ReadToken)) == 1
}

// writePosts writes the posts one at a time, so that a reply costs no more memory than its
// largest post, and without HTML escaping, which would make it up to six times the bodies.
func writePosts(w io.Writer, posts []Post) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_, _ = io.WriteString(w, "[")
	for i, p := range posts {
		if i > 0 {
			_, _ = io.WriteString(w, ",")
		}
		if enc.Encode(p) != nil {
			return
		}
	}
	_, _ = io.WriteString(w, "]\n")
}

func (rec *Recorder) keep(w http.ResponseWriter, r *http.Request) {
	if rec.inFlight.Add(1) > MaxPostsInFlight {
		rec.inFlight.Add(-1)
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many posts at once", http.StatusServiceUnavailable)
		return
	}
	defer rec.inFlight.Add(-1)
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	switch {
	case err != nil:
		http.Error(w, "reading the body failed", http.StatusBadRequest)
		return
	case len(body) > MaxBody:
		http.Error(w, fmt.Sprintf("body larger than %d bytes", MaxBody), http.StatusRequestEntityTooLarge)
		return
	case !json.Valid(body):
		http.Error(w, "body is not JSON", http.StatusBadRequest)
		return
	}
	p := Post{Header: http.Header{}, Size: len(body), Body: body}
	cost := len(body) + len(r.URL.Path) + postOverhead
	for _, name := range keptHeaders {
		if values := r.Header.Values(name); len(values) > 0 {
			p.Header[name] = append([]string(nil), values...)
			for _, v := range values {
				cost += len(name) + len(v)
			}
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.kept+cost > cmp.Or(rec.MaxKept, DefaultMaxKept) {
		http.Error(w, "the recorder is full: DELETE what was read", http.StatusInsufficientStorage)
		return
	}
	if rec.posts == nil {
		rec.posts, rec.costs = map[string][]Post{}, map[string]int{}
	}
	rec.posts[r.URL.Path] = append(rec.posts[r.URL.Path], p)
	rec.costs[r.URL.Path] += cost
	rec.kept += cost
	w.WriteHeader(http.StatusOK)
}

// forget drops the posts of a path and what they were counted for.
func (rec *Recorder) forget(path string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.kept -= rec.costs[path]
	delete(rec.posts, path)
	delete(rec.costs, path)
}

// Read asks the recorder at url (a receiver's address: the recorder's base URL and a path) for
// the posts it kept for that path, with token as the bearer token unless it is "".
func Read(ctx context.Context, c *http.Client, url, token string) ([]Post, error) {
	resp, err := send(ctx, c, http.MethodGet, url, token)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var posts []Post
	if err := json.NewDecoder(resp.Body).Decode(&posts); err != nil {
		return nil, errors.New("the recorder's answer is not a list of posts: " + err.Error())
	}
	return posts, nil
}

// Forget asks the recorder at url to drop what it kept for that path.
func Forget(ctx context.Context, c *http.Client, url, token string) error {
	resp, err := send(ctx, c, http.MethodDelete, url, token)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// send makes a request of the recorder and returns its answer when it is a success.
func send(ctx context.Context, c *http.Client, method, url, token string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		_ = resp.Body.Close()
		return nil, fmt.Errorf("the recorder answered %s: %s", resp.Status, strings.TrimSpace(string(raw)))
	}
	return resp, nil
}
