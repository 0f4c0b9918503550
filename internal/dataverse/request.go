package dataverse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// queryParam is one query option. Options keep their order so that URLs are stable and
// readable in logs.
type queryParam struct{ name, value string }

type query []queryParam

func (q query) with(name, value string) query { return append(q, queryParam{name, value}) }

// encode writes names literally ($select, @id) and escapes values; spaces become %20 rather
// than '+', which every OData server reads as a space.
func (q query) encode() string {
	var b strings.Builder
	for i, p := range q {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(strings.ReplaceAll(url.QueryEscape(p.value), "+", "%20"))
	}
	return b.String()
}

// request is one logical API call; the retry loop turns it into one or more attempts.
type request struct {
	method string
	// path is relative to the API base, e.g. "serviceendpoints(<id>)". Ignored when absURL is set.
	path   string
	query  query
	absURL string // a server-provided @odata.nextLink, used unchanged
	body   []byte // nil for no body; kept so every attempt can replay it
	prefer []string
	// ifMatchAny sends If-Match: * so a PATCH never creates a row.
	ifMatchAny bool
	solution   string // MSCRM.SolutionUniqueName
	// secrets are values in the body that must never surface in an error.
	secrets []string
	// create marks a POST whose body carries a client-chosen primary key, so a replay that meets
	// DuplicateRecord means an earlier attempt landed.
	create bool
	// rowID is the key a create sends, which its answer must carry.
	rowID string
	// rowSet is the entity set of rowID when path is not it (a changeset's $batch).
	rowSet string
	// contentType replaces the JSON content type of the body.
	contentType string
	// changeset marks a $batch of one changeset: its answer is the deciding operation's.
	changeset bool
}

// response is a fully read answer.
type response struct {
	status int
	body   []byte
}

// jsonBody encodes v without HTML escaping so XML auth values read naturally on the wire.
func jsonBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("dataverse: encoding request body: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func (c *Client) requestURL(r *request) (*url.URL, error) {
	if r.absURL != "" {
		// The link is the server's text: the errors name none of it but a host that holds no
		// secret.
		u, err := url.Parse(r.absURL)
		if err != nil {
			return nil, errors.New("dataverse: the server returned a next link that is not a URL")
		}
		// The bearer token goes wherever this URL points: never follow a link off the environment.
		if !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) {
			host := untrusted.PlainText(u.Host)
			if untrusted.EchoesSecret(u.Host, c.secretsOf("")) {
				host = "its name withheld: it held part of a secret"
			}
			return nil, fmt.Errorf("dataverse: the server returned a next link to another host (%s); refusing to follow it", host)
		}
		// A next page is a page of the same query: its path is the request's own. Errors and
		// logs quote the path, so a link that changed it could carry anything into them.
		if !strings.EqualFold(strings.TrimSuffix(u.Path, "/"), strings.TrimSuffix(c.base.Path+r.path, "/")) {
			return nil, errors.New("dataverse: the server returned a next link to another path than the query's own; refusing to follow it")
		}
		return u, nil
	}
	u := *c.base
	u.Path += r.path
	// Keep key parentheses literal on the wire (Go would escape them as %28/%29); entity paths
	// hold only set names, GUIDs, parentheses and slashes, so this raw form is exact.
	u.RawPath = c.base.EscapedPath() + r.path
	u.RawQuery = r.query.encode()
	return &u, nil
}

func entityPath(set, id string) string { return set + "(" + id + ")" }

func bindPath(set, id string) string { return "/" + entityPath(set, id) }
