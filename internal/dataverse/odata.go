package dataverse

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
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

// checkID returns an error naming what the id is for when it is not a GUID. The id is not
// quoted: it may come from a server's answer, which a hostile server can make a secret.
func checkID(what, id string) error {
	if !IsGUID(id) {
		return fmt.Errorf("dataverse: the %s is not a GUID (%d characters)", what, len(id))
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
	Value    []T
	NextLink string
}

// decodePage decodes a page, row by row, and fails once it holds more than maxRows: a row as
// short as {} still decodes to a whole struct, so a page within the answer size cap could
// otherwise hold millions of them and take gigabytes. Members are matched as json.Unmarshal
// matches them, without regard to case, and others are skipped.
func decodePage[T any](body []byte, maxRows int) (collectionPage[T], error) {
	var p collectionPage[T]
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := expectDelim(dec, '{'); err != nil {
		return p, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return p, err
		}
		name, _ := tok.(string)
		switch {
		case strings.EqualFold(name, "value"):
			if p.Value, err = decodeRows[T](dec, maxRows); err != nil {
				return p, err
			}
		case strings.EqualFold(name, "@odata.nextLink"):
			if err := dec.Decode(&p.NextLink); err != nil {
				return p, err
			}
		default:
			var skipped json.RawMessage
			if err := dec.Decode(&skipped); err != nil {
				return p, err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return p, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return p, errPageFollowedByMore
	}
	return p, nil
}

var errPageFollowedByMore = errors.New("more than one JSON value")

// decodeRows decodes a JSON array (or null) of rows at dec, at most maxRows of them.
func decodeRows[T any](dec *json.Decoder, maxRows int) ([]T, error) {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, &json.UnmarshalTypeError{Value: "value", Type: reflect.TypeFor[[]T]()}
	}
	var rows []T
	for dec.More() {
		if len(rows) == maxRows {
			return nil, fmt.Errorf("%w (%d)", errPageTooManyRows, maxRows)
		}
		var row T
		if err := dec.Decode(&row); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, expectDelim(dec, ']')
}

var errPageTooManyRows = errors.New("a page holds more rows than any read of this provider needs")

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return &json.UnmarshalTypeError{Value: "page", Type: reflect.TypeFor[map[string]any]()}
	}
	return nil
}

// Bounds on one read of a collection, all its chunks together, so that a server answering an
// endless chain of next links cannot grow the provider without limit. Real reads here are far
// smaller: an environment with thousands of webhooks has some tens of thousands of steps.
const (
	maxPagesPerQuery = 500
	maxRowsPerRead   = 250_000
	// maxRowsPerPage is ten times the most rows Dataverse puts on a page (5000): metadata
	// reads, such as a table's columns, come unpaged.
	maxRowsPerPage = 50_000
	// maxEmptyPages is how many pages in a row may carry no row yet a next link; Dataverse
	// serves an empty page only as the last one.
	maxEmptyPages = 3
	// maxBytesPerRead bounds the answer bytes of all pages together, and so the memory the
	// rows decoded from them hold.
	maxBytesPerRead = 256 << 20
	// maxBytesInReads bounds the answer bytes of all the reads of a client in progress at once:
	// Terraform reads many data sources and resources at a time, and each read's own bound
	// alone would let them hold gigabytes together. Two reads at their own bound fit, so that
	// whether a read fails does not hang on what else runs beside it.
	maxBytesInReads = 2 * maxBytesPerRead
)

// readBudget is what one read may take from the server: the bytes and rows of its pages, counted
// across the queries of a read split into chunks (getRowsByIDs), which run at once. Its bytes
// are also counted in the client's readBytesHeld until the read ends (release).
type readBudget struct {
	bytes, rows atomic.Int64
	held        *atomic.Int64 // the client's bytes held by reads in progress
}

// newReadBudget returns the budget of one read and the function that ends it.
func (c *Client) newReadBudget() (budget *readBudget, release func()) {
	budget = &readBudget{held: &c.readBytesHeld}
	return budget, func() { c.readBytesHeld.Add(-budget.bytes.Load()) }
}

// take counts a page of n bytes; it fails when the read, or the reads in progress together,
// would hold more than their bound.
func (b *readBudget) take(what string, n int) error {
	b.held.Add(int64(n))
	if b.bytes.Add(int64(n)) > maxBytesPerRead {
		return fmt.Errorf("dataverse: %s: the pages add up to more than %s; stopping, since no read of this provider needs that much", what, untrusted.FormatBytes(maxBytesPerRead))
	}
	if b.held.Load() > maxBytesInReads {
		return fmt.Errorf("dataverse: %s: the answers of the reads in progress add up to more than %s; stopping, since no run of this provider needs that much at once", what, untrusted.FormatBytes(maxBytesInReads))
	}
	return nil
}

// getCollection reads every page of a collection, following @odata.nextLink unchanged until it
// is absent. limit > 0 stops after that many rows.
func getCollection[T any](ctx context.Context, c *Client, r *request, limit int) ([]T, error) {
	budget, release := c.newReadBudget()
	defer release()
	return getCollectionWithin[T](ctx, c, r, limit, budget)
}

// getCollectionWithin is getCollection taking its pages from budget, which other queries of the
// same read may share.
func getCollectionWithin[T any](ctx context.Context, c *Client, r *request, limit int, budget *readBudget) ([]T, error) {
	r.method = http.MethodGet
	if r.prefer == nil {
		r.prefer = []string{"odata.maxpagesize=" + strconv.Itoa(c.pageSize)}
	}
	what := r.describe()
	var all []T
	seenLinks := map[string]bool{}
	emptyPages := 0
	for page := 1; ; page++ {
		resp, err := c.do(ctx, r)
		if err != nil {
			return nil, err
		}
		if err := budget.take(what, len(resp.body)); err != nil {
			return nil, err
		}
		p, err := decodePage[T](resp.body, max(0, min(maxRowsPerPage, maxRowsPerRead-int(budget.rows.Load()))))
		if err == nil && budget.rows.Add(int64(len(p.Value))) > maxRowsPerRead {
			err = errPageTooManyRows // another query of the read took the rows meanwhile
		}
		if errors.Is(err, errPageTooManyRows) {
			return nil, fmt.Errorf("dataverse: %s: page %d holds more than %d rows, or the pages more than %d together; stopping, since no read of this provider needs that many", what, page, maxRowsPerPage, maxRowsPerRead)
		}
		if err != nil {
			return nil, fmt.Errorf("dataverse: decoding page %d of %s: %w", page, what, decodeFailure(err))
		}
		if err := checkRows(what, p.Value); err != nil {
			return nil, err
		}
		all = append(all, p.Value...)
		if limit > 0 && len(all) >= limit {
			return all[:limit], nil
		}
		if p.NextLink == "" {
			return all, nil
		}
		if err := checkNextPage(what, page, int(budget.rows.Load()), &emptyPages, len(p.Value), p.NextLink, seenLinks); err != nil {
			return nil, err
		}
		next := *r
		next.absURL = p.NextLink
		next.query = nil
		r = &next
	}
}

// checkNextPage decides whether the page after page may be read: the server's next link must be
// new, and the read must stay within the bounds above. Errors name the bound, not the link, which
// is server text.
func checkNextPage(what string, page, rows int, emptyPages *int, pageRows int, nextLink string, seen map[string]bool) error {
	if seen[nextLink] {
		return fmt.Errorf("dataverse: %s: the server sent, on page %d, a next link it had sent before; stopping rather than reading the same pages forever", what, page)
	}
	seen[nextLink] = true
	if pageRows == 0 {
		if *emptyPages++; *emptyPages >= maxEmptyPages {
			return fmt.Errorf("dataverse: %s: the server sent %d empty pages in a row, each with a next link; stopping", what, *emptyPages)
		}
	} else {
		*emptyPages = 0
	}
	if page >= maxPagesPerQuery {
		return fmt.Errorf("dataverse: %s: more than %d pages; stopping, since no read of this provider needs that many", what, maxPagesPerQuery)
	}
	if rows >= maxRowsPerRead {
		return fmt.Errorf("dataverse: %s: more than %d rows; stopping, since no read of this provider needs that many", what, maxRowsPerRead)
	}
	return nil
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
		return fmt.Errorf("dataverse: decoding the answer to %s: %w", r.describe(), decodeFailure(err))
	}
	// The key is checked first: a row answered for another, or without a key, is better told
	// as such than as a row whose key is not a GUID.
	if set, id, ok := strings.Cut(strings.TrimSuffix(r.path, ")"), "("); ok && r.absURL == "" {
		if err := checkAnsweredKey(r, set, id, resp.body); err != nil {
			return err
		}
	} else if r.create && r.rowID != "" {
		set := r.path
		if r.rowSet != "" {
			set = r.rowSet
		}
		if err := checkAnsweredKey(r, set, r.rowID, resp.body); err != nil {
			return err
		}
	}
	return checkRows(r.describe(), out)
}

// decodeFailure says why an answer could not be decoded without quoting it: Go's JSON and time
// errors quote the value they met, which a hostile server can make a secret it was sent.
func decodeFailure(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ): // Field may hold a key the server chose
		return fmt.Errorf("a value that is not a %s", typ.Type)
	default:
		return errors.New("a value of the wrong form")
	}
}

// keyColumns names the primary key column of each set whose rows are read one by one.
var keyColumns = map[string]string{
	setServiceEndpoints: "serviceendpointid",
	setSteps:            "sdkmessageprocessingstepid",
	setStepImages:       "sdkmessageprocessingstepimageid",
}

// checkAnsweredKey fails unless the row answered for set(id) carries that key: a row with
// another key, or none, would be stored in state as if it were the one asked for, and written
// to and deleted later. Go's decoder fills a field from any member whose name matches it
// without regard to case (the last one wins), so every such member must hold the key.
func checkAnsweredKey(r *request, set, id string, body []byte) error {
	column, ok := keyColumns[set]
	if !ok {
		return nil
	}
	var row map[string]json.RawMessage
	if err := json.Unmarshal(body, &row); err != nil {
		return fmt.Errorf("dataverse: decoding the answer to %s: %w", r.describe(), decodeFailure(err))
	}
	matched := false
	for name, raw := range row {
		if !strings.EqualFold(name, column) {
			continue
		}
		var got string
		if json.Unmarshal(raw, &got) != nil || !strings.EqualFold(got, id) {
			matched = false
			break
		}
		matched = true
	}
	if !matched {
		return fmt.Errorf("dataverse: the answer to %s is not the row asked for: its %s is not %s", r.describe(), column, id)
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
