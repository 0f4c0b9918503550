// Package webhookrecorder keeps what a webhook receives and hands it back, so that a test can
// see what Dataverse delivered: every POST to a path is answered 200 and kept; a GET of the same
// path returns the posts kept for it, oldest first, as a JSON array of Post.
//
// It keeps bodies and the x-ms-* headers Dataverse describes a delivery with (size exceeded,
// correlation), never the query string or any other header: a webhook's key travels in the
// query (WebhookKey) or in headers the registration names (HttpHeader). What it keeps is
// bounded, and a post beyond the bounds is refused with 507.
package webhookrecorder

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

const (
	// MaxBody is the largest body kept. Dataverse trims a delivery above 256 KB of its
	// execution context, so a real one stays well below this.
	MaxBody = 1 << 20
	// DefaultMaxKept is how many bytes of bodies a recorder keeps in all, unless told.
	DefaultMaxKept = 64 << 20
)

// Post is one delivery as the recorder kept it.
type Post struct {
	// Header holds the delivery's x-ms-* headers and its Content-Type.
	Header http.Header `json:"header"`
	// Size is the length of the body in bytes.
	Size int `json:"size"`
	// Body is the body as sent; the recorder refuses a post whose body is not JSON.
	Body json.RawMessage `json:"body"`
}

// Recorder is an http.Handler keeping posts by path. Its zero value is ready to use.
type Recorder struct {
	// MaxKept bounds the bytes of bodies kept in all; 0 is DefaultMaxKept.
	MaxKept int

	mu    sync.Mutex
	posts map[string][]Post
	kept  int
}

// ServeHTTP keeps a POST and answers a GET with what was kept for its path.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		rec.keep(w, r)
	case http.MethodGet:
		rec.mu.Lock()
		posts := append([]Post{}, rec.posts[r.URL.Path]...)
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(posts)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "GET or POST only", http.StatusMethodNotAllowed)
	}
}

func (rec *Recorder) keep(w http.ResponseWriter, r *http.Request) {
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
	for name, values := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-ms-") || strings.EqualFold(name, "Content-Type") {
			p.Header[name] = append([]string(nil), values...)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.kept+len(body) > cmp.Or(rec.MaxKept, DefaultMaxKept) {
		http.Error(w, "the recorder is full", http.StatusInsufficientStorage)
		return
	}
	if rec.posts == nil {
		rec.posts = map[string][]Post{}
	}
	rec.posts[r.URL.Path] = append(rec.posts[r.URL.Path], p)
	rec.kept += len(body)
	w.WriteHeader(http.StatusOK)
}

// Read asks the recorder at url (a receiver's address: the recorder's base URL and a path) for
// the posts it kept for that path.
func Read(ctx context.Context, c *http.Client, url string) ([]Post, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4*DefaultMaxKept))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the recorder answered %s: %s", resp.Status, bytes.TrimSpace(raw[:min(len(raw), 200)]))
	}
	var posts []Post
	if err := json.Unmarshal(raw, &posts); err != nil {
		return nil, errors.New("the recorder's answer is not a list of posts: " + err.Error())
	}
	return posts, nil
}
