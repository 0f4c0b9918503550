package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/odata"
)

// maxPageSize is both the default and the largest page the Web API returns.
const maxPageSize = 5000

// readOptions parses the query options of a read and checks every name
// against the table, so an unknown column fails even when no row matches.
func (e *Emulator) readOptions(c *call, t *table) (*odata.Options, *apiError) {
	o, err := odata.ParseOptions(c.query)
	if err != nil {
		return nil, fromOData(err)
	}
	for _, name := range o.Select {
		// authvalue may be selected — the type declares it because it is
		// writable — but its value is never returned.
		if _, ok := t.readable(name); !ok {
			return nil, fromOData(odata.PropertyNotFound(t.logical, []string{name}))
		}
	}
	for _, item := range o.Expand {
		n := t.navs[item.Property]
		if n == nil {
			if _, isCollection := t.collNavs[item.Property]; isCollection {
				return nil, newError(http.StatusBadRequest, codeQuerySyntax,
					"Expanding the collection-valued navigation property '%s' is not supported by the emulator.", item.Property)
			}
			return nil, fromOData(odata.PropertyNotFound(t.logical, []string{item.Property}))
		}
		target := e.schema[n.target]
		for _, name := range item.Select {
			if _, ok := target.readable(name); !ok {
				return nil, fromOData(odata.PropertyNotFound(target.logical, []string{name}))
			}
		}
	}
	for _, path := range o.Filter.Paths() {
		if !e.queryable(t, path) {
			return nil, fromOData(odata.PropertyNotFound(t.logical, path))
		}
	}
	for _, key := range o.OrderBy {
		if !e.queryable(t, key.Path) {
			return nil, fromOData(odata.PropertyNotFound(t.logical, key.Path))
		}
	}
	if apiErr := e.checkEntityNames(t, o.Filter); apiErr != nil {
		return nil, apiErr
	}
	return o, nil
}

// entityNameColumns are the EntityName columns of the catalogs: Dataverse
// resolves a table name compared with them against its metadata, so an
// unknown one is a 400 (0x80041102), not an empty answer (seen live).
var entityNameColumns = map[string][]string{
	"sdkmessagefilters": {"primaryobjecttypecode", "secondaryobjecttypecode"},
}

// checkEntityNames refuses a table name in an EntityName column that names
// no table. "none" is refused too: whether Dataverse accepts it in a filter
// is unproven, and clients that work live compare it on their side.
func (e *Emulator) checkEntityNames(t *table, f *odata.Filter) *apiError {
	for _, col := range entityNameColumns[t.set] {
		for _, name := range f.ComparedStrings([]string{col}) {
			if !e.isTableName(name) {
				return newError(http.StatusBadRequest, codeEntityNotInMetadata,
					"The entity with a name = '%s' with namemapping = 'Logical' was not found in the MetadataCache.", name)
			}
		}
	}
	return nil
}

// isTableName reports whether a logical name is a table of this environment:
// one the emulator serves or one its catalog has filters for.
// Names are compared without case, as the filter compares the column's
// values (a guess: no capture shows a table name in another case).
func (e *Emulator) isTableName(name string) bool {
	for _, t := range e.schema {
		if strings.EqualFold(t.logical, name) {
			return true
		}
	}
	for _, t := range catalogTables {
		if strings.EqualFold(t, name) {
			return true
		}
	}
	return false
}

// queryable reports whether $filter and $orderby may name path: a readable
// column, or a column of the row a single-valued navigation points to.
// Write-only columns (authvalue) cannot be queried: they are not readable.
func (e *Emulator) queryable(t *table, path []string) bool {
	switch len(path) {
	case 1:
		c, ok := t.readable(path[0])
		return ok && !c.writeOnly
	case 2:
		n := t.navs[path[0]]
		if n == nil {
			return false
		}
		c, ok := e.schema[n.target].readable(path[1])
		return ok && !c.writeOnly
	}
	return false
}

// resolver exposes a row to the odata engine; callers hold the store lock.
func (e *Emulator) resolver(t *table, r *record) odata.Resolver {
	return func(path []string) (any, bool) {
		switch len(path) {
		case 1:
			return columnValue(t, r, path[0])
		case 2:
			n := t.navs[path[0]]
			if n == nil {
				return nil, false
			}
			target := e.schema[n.target]
			rel := e.related(t, r, n)
			if rel == nil {
				_, ok := target.readable(path[1])
				return nil, ok
			}
			return columnValue(target, rel, path[1])
		}
		return nil, false
	}
}

func columnValue(t *table, r *record, name string) (any, bool) {
	c, ok := t.readable(name)
	if !ok || c.writeOnly {
		return nil, false
	}
	return r.cols[name], true
}

// related returns the row a single-valued navigation points to, or nil when
// the lookup is empty, points into another table, or the row is gone.
func (e *Emulator) related(t *table, r *record, n *nav) *record {
	id, _ := r.cols[lookupKey(n.column)].(string)
	if id == "" || e.store.lookupTarget(t, r, n.column) != n.target {
		return nil
	}
	return e.store.get(n.target, id)
}

// The annotations of a lookup's value the emulator returns when asked for them.
const (
	annotationLookupTable = "Microsoft.Dynamics.CRM.lookuplogicalname"
	annotationNavigation  = "Microsoft.Dynamics.CRM.associatednavigationproperty"
)

// project renders a row as the Web API returns it; callers hold the store lock.
func (e *Emulator) project(t *table, r *record, sel []string, expand []odata.ExpandItem, annotate annotationFilter) map[string]any {
	out := map[string]any{}
	names := sel
	if len(names) == 0 {
		names = t.outputNames()
		if t.open {
			for k := range r.cols {
				if _, declared := t.cols[k]; !declared && openColumnName.MatchString(k) {
					names = append(names, k)
				}
			}
		}
	}
	for _, name := range names {
		c, ok := t.readable(name)
		if !ok || c.writeOnly {
			continue
		}
		v := r.cols[name]
		out[name] = v
		if c.kind == kindLookup && v != nil {
			set := e.store.lookupTarget(t, r, c.name)
			if target := e.schema[set]; target != nil {
				if annotate.includes(annotationLookupTable) {
					out[name+"@"+annotationLookupTable] = target.logical
				}
				for _, nn := range c.navs {
					if t.navs[nn].target == set && annotate.includes(annotationNavigation) {
						out[name+"@"+annotationNavigation] = nn
					}
				}
			}
		}
	}
	// The primary key is always returned, whatever $select says, and so are
	// the columns a live read showed unselected (_organizationid_value of a
	// serviceendpoint).
	out[t.key] = r.cols[t.key]
	for _, name := range t.alwaysRead {
		out[name] = r.cols[name]
	}
	if t.etag {
		out["@odata.etag"] = etagOf(r)
	}
	for _, item := range expand {
		n := t.navs[item.Property]
		if rel := e.related(t, r, n); rel != nil {
			out[n.name] = e.project(e.schema[n.target], rel, item.Select, nil, annotate)
		} else {
			out[n.name] = nil
		}
	}
	return out
}

func etagOf(r *record) string {
	v, _ := r.cols["versionnumber"].(int64)
	return `W/"` + strconv.FormatInt(v, 10) + `"`
}

// contextURL is the @odata.context of a response.
func contextURL(base, set string, sel []string, expand []odata.ExpandItem, entity bool) string {
	s := base + "/$metadata#" + set
	parts := append([]string(nil), sel...)
	for _, item := range expand {
		parts = append(parts, item.Property+"("+strings.Join(item.Select, ",")+")")
	}
	if len(parts) > 0 {
		s += "(" + strings.Join(parts, ",") + ")"
	}
	if entity {
		s += "/$entity"
	}
	return s
}

// skipToken is the opaque continuation of a paged query: where the next
// page starts and how long pages are, so that following the link unchanged
// gives the next page even without the Prefer header.
type skipToken struct {
	Offset int `json:"o"`
	Size   int `json:"n"`
}

func encodeSkipToken(t skipToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSkipToken(s string) (skipToken, bool) {
	var t skipToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Offset < 0 || t.Size <= 0 || t.Size > maxPageSize {
		return skipToken{}, false
	}
	return t, true
}

func (e *Emulator) serveList(c *call, p *resourcePath) {
	t := p.t
	if p.coll != nil {
		t = e.schema[p.coll.target]
	}
	o, apiErr := e.readOptions(c, t)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	page := skipToken{Size: maxPageSize}
	if c.prefer.maxPageSize > 0 {
		page.Size = min(c.prefer.maxPageSize, maxPageSize)
	}
	if o.SkipToken != "" {
		tok, ok := decodeSkipToken(o.SkipToken)
		if !ok {
			writeAPIError(c.w, newError(http.StatusBadRequest, codeQuerySyntax, "The $skiptoken value is not valid."))
			return
		}
		page = tok
	}

	e.store.mu.RLock()
	if p.coll != nil && e.store.get(p.t.set, p.id) == nil {
		e.store.mu.RUnlock()
		writeAPIError(c.w, notFound(p.t, p.id))
		return
	}
	var matched []*record
	for _, r := range e.store.sorted(t.set) {
		if p.coll != nil {
			if id, _ := r.cols[lookupKey(p.coll.column)].(string); id != p.id || e.store.lookupTarget(t, r, p.coll.column) != p.t.set {
				continue
			}
		}
		if o.Filter != nil {
			ok, err := o.Filter.Eval(e.resolver(t, r))
			if err != nil {
				e.store.mu.RUnlock()
				writeAPIError(c.w, fromOData(err))
				return
			}
			if !ok {
				continue
			}
		}
		matched = append(matched, r)
	}
	if len(o.OrderBy) > 0 {
		sort.SliceStable(matched, func(i, j int) bool {
			return odata.Less(o.OrderBy, e.resolver(t, matched[i]), e.resolver(t, matched[j]))
		})
	}
	if o.Top > 0 && len(matched) > o.Top {
		matched = matched[:o.Top]
	}
	start := min(page.Offset, len(matched))
	end := min(start+page.Size, len(matched))
	values := make([]any, 0, end-start)
	for _, r := range matched[start:end] {
		values = append(values, e.project(t, r, o.Select, o.Expand, c.prefer.annotations))
	}
	e.store.mu.RUnlock()

	body := map[string]any{
		"@odata.context": contextURL(c.base, t.set, o.Select, o.Expand, false),
		"value":          values,
	}
	if o.Count {
		body["@odata.count"] = len(matched)
	}
	if end < len(matched) {
		next := o.Values()
		next.Set("$skiptoken", encodeSkipToken(skipToken{Offset: end, Size: page.Size}))
		body["@odata.nextLink"] = c.base + "/" + c.path + "?" + encodeQuery(next)
	}
	e.preferenceApplied(c, false, c.prefer.maxPageSize > 0)
	writeJSON(c.w, http.StatusOK, body)
}

// encodeQuery renders query options the way OData links spell them: option
// names and the characters of OData syntax stay readable ($select, quotes,
// parentheses, commas), everything else is percent-encoded.
func encodeQuery(q url.Values) string {
	keys := slices.Sorted(maps.Keys(q))
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(escapeQueryPart(k))
			b.WriteByte('=')
			b.WriteString(escapeQueryPart(v))
		}
	}
	return b.String()
}

func escapeQueryPart(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~$@'(),:/*!", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// preferenceApplied echoes the preferences the response honored.
func (e *Emulator) preferenceApplied(c *call, representation, pageSize bool) {
	var applied []string
	if representation {
		applied = append(applied, "return=representation")
	}
	if pageSize {
		applied = append(applied, fmt.Sprintf("odata.maxpagesize=%d", min(c.prefer.maxPageSize, maxPageSize)))
	}
	if c.prefer.annotations != nil {
		applied = append(applied, `odata.include-annotations="`+strings.Join(c.prefer.annotations, ",")+`"`)
	}
	if len(applied) > 0 {
		c.w.Header().Set("Preference-Applied", strings.Join(applied, ","))
	}
}

func (e *Emulator) serveRetrieve(c *call, p *resourcePath) {
	o, apiErr := e.readOptions(c, p.t)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	e.store.mu.RLock()
	r := e.store.get(p.t.set, p.id)
	if r == nil {
		e.store.mu.RUnlock()
		writeAPIError(c.w, notFound(p.t, p.id))
		return
	}
	body := e.project(p.t, r, o.Select, o.Expand, c.prefer.annotations)
	e.store.mu.RUnlock()
	body["@odata.context"] = contextURL(c.base, p.t.set, o.Select, o.Expand, true)
	e.preferenceApplied(c, false, false)
	writeJSON(c.w, http.StatusOK, body)
}
