package dataverse

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// QuoteString returns s as an OData string literal: wrapped in single quotes, with each single
// quote doubled ('O”Brien').
func QuoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// IsGUID reports whether s is a GUID in the 8-4-4-4-12 hexadecimal form the Web API uses in
// keys, without braces. Every id is checked with it before it is put into a URL.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch i {
		case 8, 13, 18, 23:
			if ch != '-' {
				return false
			}
		default:
			if !isHex(ch) {
				return false
			}
		}
	}
	return true
}

func isHex(ch byte) bool {
	return ('0' <= ch && ch <= '9') || ('a' <= ch && ch <= 'f') || ('A' <= ch && ch <= 'F')
}

// checkID returns an error naming what the id is for when it is not a GUID.
func checkID(what, id string) error {
	if !IsGUID(id) {
		return fmt.Errorf("dataverse: %s %q is not a GUID", what, id)
	}
	return nil
}

// newGUID returns a random (version 4) GUID in lower case.
func newGUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("dataverse: generating an id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// idOrNew validates a caller-chosen id, or makes one when it is empty.
func idOrNew(what, id string) (string, error) {
	if id == "" {
		return newGUID()
	}
	return id, checkID(what, id)
}

// filterDateTime formats t as an OData DateTimeOffset literal.
func filterDateTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// collectionPage is one page of a collection read.
type collectionPage[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// getCollection reads every page of a collection, following @odata.nextLink unchanged until it
// is absent. limit > 0 stops after that many rows.
func getCollection[T any](ctx context.Context, c *Client, r *request, limit int) ([]T, error) {
	r.method = http.MethodGet
	if r.prefer == nil {
		r.prefer = []string{"odata.maxpagesize=" + strconv.Itoa(c.pageSize)}
	}
	var all []T
	for page := 1; ; page++ {
		resp, err := c.do(ctx, r)
		if err != nil {
			return nil, err
		}
		var p collectionPage[T]
		if err := json.Unmarshal(resp.body, &p); err != nil {
			return nil, fmt.Errorf("dataverse: decoding page %d of %s: %w", page, r.describe(), err)
		}
		all = append(all, p.Value...)
		if limit > 0 && len(all) >= limit {
			return all[:limit], nil
		}
		if p.NextLink == "" {
			return all, nil
		}
		next := *r
		next.absURL = p.NextLink
		next.query = nil
		r = &next
	}
}

// getEntity reads one row into out.
func (c *Client) getEntity(ctx context.Context, path string, q query, out any) error {
	r := &request{method: http.MethodGet, path: path, query: q}
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	return decodeRow(r, resp, out)
}

// hasRow reports whether a create or update answer carries the row. A server that ignores
// Prefer: return=representation answers 204 without one; callers then read the row back.
func hasRow(resp *response) bool {
	return resp.status != http.StatusNoContent && len(bytes.TrimSpace(resp.body)) > 0
}

func decodeRow(r *request, resp *response, out any) error {
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("dataverse: decoding the answer to %s: %w", r.describe(), err)
	}
	return nil
}

// describe names the call for error messages without any query values.
func (r *request) describe() string {
	if r.absURL != "" {
		return r.method + " (next page)"
	}
	return r.method + " " + r.path
}

// joinColumns renders a list of column names as Dataverse's comma-separated form.
func joinColumns(cols []string) string { return strings.Join(cols, ",") }

// splitColumns parses a comma-separated column list: entries trimmed, empty ones dropped, order
// kept. An empty list is nil.
func splitColumns(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
